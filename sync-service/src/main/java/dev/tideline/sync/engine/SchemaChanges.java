package dev.tideline.sync.engine;

import dev.tideline.core.TidelineException;
import dev.tideline.sync.postgres.SyncState;
import dev.tideline.sync.types.ColumnIdentity;
import dev.tideline.sync.types.TargetColumn;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Only additive schema changes propagate to TRIGGERED and CONTINUOUS synced tables (seed 003): new
 * columns are added to the Postgres table; a dropped, renamed or retyped column stops the sync until
 * a full refresh rebuilds the table.
 *
 * <p>Columns are matched by name <em>and</em> by {@link ColumnIdentity identity} (the column-mapping
 * physical name recorded when the synced version was written). A name alone is not enough under
 * column mapping: two columns swapped by renames, or a column dropped and re-added under the same name,
 * keep every name and type, yet each such column now reads other stored data — and an incremental
 * refresh rewrites only the rows that changed, so Postgres would keep the old column's values in every
 * other row under a healthy status. Those changes stop the sync like a rename does.
 */
final class SchemaChanges {

    private SchemaChanges() {
    }

    /**
     * @param syncedIds the identities of the synced columns (same order as {@code synced.columnNames()}),
     *                  or {@code null} when unknown (only names and types are compared then)
     * @return the columns of {@code now} the synced table does not have yet
     * @throws TidelineException NEEDS_OPERATOR naming the column when the change is not additive
     */
    static List<TargetColumn> added(String syncedTable, SyncState synced, List<String> syncedIds, List<TargetColumn> now) {
        for (int i = 0; i < synced.columnNames().size(); i++) {
            String name = synced.columnNames().get(i);
            String type = synced.columnTypes().get(i);
            String id = syncedIds == null ? null : syncedIds.get(i);
            TargetColumn current = now.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
            if (current == null) {
                TargetColumn renamed = id == null ? null : byStoredColumn(now, ColumnIdentity.topLevel(id));
                throw notAdditive(syncedTable, renamed == null
                        ? "column '" + name + "' was dropped or renamed in the source table"
                        : "column '" + name + "' was renamed to '" + renamed.name() + "' in the source table");
            }
            if (!current.postgresType().equals(type)) {
                throw notAdditive(syncedTable, "column '" + name + "' changed type from " + type + " to " + current.postgresType());
            }
            if (id != null && !id.equals(current.identity())) {
                throw notAdditive(syncedTable, differentColumn(synced, syncedIds, name, id, current));
            }
        }
        List<TargetColumn> added = new ArrayList<>();
        for (TargetColumn c : now) {
            if (!synced.columnNames().contains(c.name())) {
                added.add(c);
            }
        }
        return added;
    }

    /**
     * Whether the source table was replaced as a whole: every synced column is still there under its
     * name and type, but none of them is the same stored column any more — a snapshot load of the
     * ingestion pipeline that writes it (which replaces the table), or {@code CREATE OR REPLACE TABLE}
     * with the same columns. Its rows are then read anew (a snapshot load of the synced table), not as
     * changes: files written before the replace store other columns. The Postgres table keeps its shape,
     * so this needs no operator, unlike a swap or a single column dropped and re-added.
     *
     * @param syncedIds as for {@link #added}; {@code null} (unknown) is never a replace
     */
    static boolean replacedWhole(SyncState synced, List<String> syncedIds, List<TargetColumn> now) {
        if (syncedIds == null || synced.columnNames().isEmpty()) {
            return false;
        }
        Set<String> stored = new HashSet<>();
        for (TargetColumn c : now) {
            stored.add(ColumnIdentity.topLevel(c.identity()));
        }
        for (int i = 0; i < synced.columnNames().size(); i++) {
            String name = synced.columnNames().get(i);
            TargetColumn current = now.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
            String id = syncedIds.get(i);
            if (current == null || !current.postgresType().equals(synced.columnTypes().get(i)) || id == null
                    || stored.contains(ColumnIdentity.topLevel(id))) {
                return false;
            }
        }
        return true;
    }

    /** Why column {@code name} keeps its name and type but is no longer the column Postgres holds. */
    private static String differentColumn(SyncState synced, List<String> syncedIds, String name, String id, TargetColumn current) {
        String was = ColumnIdentity.topLevel(id);
        String is = ColumnIdentity.topLevel(current.identity());
        if (was.equals(is)) {
            return "fields nested in column '" + name + "' were renamed, dropped, added or re-added (stored as "
                    + current.identity() + ", synced as " + id + ")";
        }
        for (int j = 0; j < syncedIds.size(); j++) {
            if (ColumnIdentity.topLevel(syncedIds.get(j)).equals(is)) {
                return "column '" + name + "' now holds the data of the former column '" + synced.columnNames().get(j)
                        + "' (columns renamed into each other's names, e.g. swapped)";
            }
        }
        return "column '" + name + "' was dropped and re-added under the same name: it is a new column (Delta physical column "
                + is + ", synced as " + was + ") and the values Postgres holds belong to the old one";
    }

    private static TargetColumn byStoredColumn(List<TargetColumn> now, String topLevelId) {
        for (TargetColumn c : now) {
            if (ColumnIdentity.topLevel(c.identity()).equals(topLevelId)) {
                return c;
            }
        }
        return null;
    }

    private static TidelineException notAdditive(String syncedTable, String what) {
        return new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                "synced table " + syncedTable + " cannot follow a schema change: " + what
                        + "; only additive schema changes (new columns) are synced incrementally",
                "run a full refresh of the synced table (POST /api/2.0/pipelines/{pipeline_id}/updates with full_refresh=true), "
                        + "which rebuilds it with the new schema");
    }
}
