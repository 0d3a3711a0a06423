package dev.tideline.sync.engine;

import dev.tideline.core.TidelineException;
import dev.tideline.sync.target.SyncState;
import dev.tideline.sync.types.TargetColumn;
import java.util.ArrayList;
import java.util.List;

/**
 * Only additive schema changes propagate to TRIGGERED and CONTINUOUS synced tables (seed 003): new
 * columns are added to the Postgres table; a dropped, renamed or retyped column stops the sync until
 * a full refresh rebuilds the table.
 */
final class SchemaChanges {

    private SchemaChanges() {
    }

    /**
     * @return the columns of {@code now} the synced table does not have yet
     * @throws TidelineException NEEDS_OPERATOR naming the column when the change is not additive
     */
    static List<TargetColumn> added(String syncedTable, SyncState synced, List<TargetColumn> now) {
        for (int i = 0; i < synced.columnNames().size(); i++) {
            String name = synced.columnNames().get(i);
            String type = synced.columnTypes().get(i);
            TargetColumn current = now.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
            if (current == null) {
                throw notAdditive(syncedTable, "column '" + name + "' was dropped or renamed in the source table");
            }
            if (!current.postgresType().equals(type)) {
                throw notAdditive(syncedTable, "column '" + name + "' changed type from " + type + " to " + current.postgresType());
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

    private static TidelineException notAdditive(String syncedTable, String what) {
        return new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                "synced table " + syncedTable + " cannot follow a schema change: " + what
                        + "; only additive schema changes (new columns) are synced incrementally",
                "run a full refresh of the synced table (POST /api/2.0/pipelines/{pipeline_id}/updates with full_refresh=true), "
                        + "which rebuilds it with the new schema");
    }
}
