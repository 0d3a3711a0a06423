package dev.tideline.sync.target;

import dev.tideline.core.TidelineException;
import dev.tideline.sync.delta.RowChanges;
import dev.tideline.sync.model.Sql;
import dev.tideline.sync.model.SyncFaults;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.types.TargetColumn;
import java.io.IOException;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * TRIGGERED/CONTINUOUS refresh: applies the net row changes between the synced version and a newer
 * one in ONE Postgres transaction, set-based — COPY into temporary staging tables, then one
 * {@code DELETE … USING} and one {@code INSERT … ON CONFLICT DO UPDATE} — together with new columns
 * (additive schema changes) and the bookkeeping row carrying the new version. Either all of it
 * commits or none of it, so a refresh stopped anywhere is simply redone from the recorded version.
 */
public final class IncrementalApplier {

    private final SyncFaults faults;

    public IncrementalApplier(SyncFaults faults) {
        this.faults = faults;
    }

    /**
     * @param c            a connection to the target database in autocommit mode (left so on return)
     * @param previous     the bookkeeping row the changes start from; the refresh fails RETRYABLE if it moved meanwhile
     * @param columns      the columns at {@code toVersion}, in the order of the change lines
     * @param addedColumns columns new since {@code previous} (added to the table first)
     * @return rows applied (upserted plus deleted)
     */
    public long apply(Connection c, SyncedTableDefinition def, SyncState previous, List<TargetColumn> columns, List<TargetColumn> addedColumns,
            RowChanges changes, long toVersion) {
        String table = def.target().quoted();
        try {
            c.setAutoCommit(false);
            try {
                Bookkeeping.allowSyncWrites(c);
                try (Statement s = c.createStatement()) {
                    s.execute("SET LOCAL lock_timeout = '60s'");
                }
                SyncState current = Bookkeeping.read(c, def.name(), true).orElse(null);
                if (current == null || current.deltaVersion() != previous.deltaVersion()) {
                    throw new TidelineException(TidelineException.Kind.RETRYABLE,
                            "synced table " + def.name() + " moved from version " + previous.deltaVersion() + " to "
                                    + (current == null ? "nothing" : current.deltaVersion()) + " while this refresh was prepared",
                            "another sync of the same table ran concurrently; the refresh is retried");
                }
                try (Statement s = c.createStatement()) {
                    for (TargetColumn added : addedColumns) {
                        s.execute("ALTER TABLE " + table + " ADD COLUMN " + Sql.quote(added.name()) + " " + added.postgresType());
                    }
                }
                CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
                if (!changes.deletes().isEmpty()) {
                    List<TargetColumn> keyColumns = def.primaryKey().stream()
                            .map(k -> columns.stream().filter(col -> col.name().equals(k)).findFirst().orElseThrow()).toList();
                    try (Statement s = c.createStatement()) {
                        s.execute("CREATE TEMP TABLE tideline_deletes (" + TableDdl.columnDefinitions(keyColumns) + ") ON COMMIT DROP");
                    }
                    copy.copyIn("COPY tideline_deletes FROM STDIN", new StringReader(joinLines(changes.deletes())));
                    try (Statement s = c.createStatement()) {
                        s.executeUpdate("DELETE FROM " + table + " t USING tideline_deletes d WHERE "
                                + def.primaryKey().stream().map(k -> "t." + Sql.quote(k) + " = d." + Sql.quote(k))
                                        .collect(Collectors.joining(" AND ")));
                    }
                }
                java.util.Map<String, String> upserts = changes.upserts();
                if (!upserts.isEmpty()) {
                    String names = TableDdl.columnList(columns.stream().map(TargetColumn::name).toList());
                    try (Statement s = c.createStatement()) {
                        s.execute("CREATE TEMP TABLE tideline_upserts (" + TableDdl.columnDefinitions(columns) + ") ON COMMIT DROP");
                    }
                    copy.copyIn("COPY tideline_upserts (" + names + ") FROM STDIN",
                            new StringReader(String.join("", upserts.values())));
                    try (Statement s = c.createStatement()) {
                        s.executeUpdate("INSERT INTO " + table + " AS t (" + names + ") SELECT " + names + " FROM tideline_upserts "
                                + onConflict(def, columns));
                    }
                }
                Bookkeeping.write(c, new SyncState(def.name(), def.target().schema(), def.target().table(), def.sourceTableName(),
                        toVersion, columns.stream().map(TargetColumn::name).toList(),
                        columns.stream().map(TargetColumn::postgresType).toList(), Instant.now(), changes.size(), "INCREMENTAL"));
                faults.at(SyncFaults.REFRESH_BEFORE_COMMIT);
                c.commit();
                c.setAutoCommit(true);
                return changes.size();
            } catch (SQLException | IOException | RuntimeException e) {
                try {
                    c.rollback();
                    c.setAutoCommit(true);
                } catch (SQLException ignored) {
                    // connection gone: nothing was committed
                }
                throw e;
            }
        } catch (SQLException e) {
            throw PostgresErrors.wrap("refresh of synced table " + def.name() + " to version " + toVersion, e);
        } catch (IOException e) {
            throw new TidelineException(TidelineException.Kind.RETRYABLE, "refresh of synced table " + def.name() + " failed: " + e, null, e);
        }
    }

    private static String onConflict(SyncedTableDefinition def, List<TargetColumn> columns) {
        String key = TableDdl.columnList(def.primaryKey());
        List<String> others = columns.stream().map(TargetColumn::name).filter(n -> !def.primaryKey().contains(n)).toList();
        if (others.isEmpty()) {
            return "ON CONFLICT (" + key + ") DO NOTHING";
        }
        String set = others.stream().map(n -> Sql.quote(n) + " = EXCLUDED." + Sql.quote(n)).collect(Collectors.joining(", "));
        String guard = def.timeseriesKey()
                .map(ts -> " WHERE t." + Sql.quote(ts) + " IS NULL OR t." + Sql.quote(ts) + " <= EXCLUDED." + Sql.quote(ts))
                .orElse("");
        return "ON CONFLICT (" + key + ") DO UPDATE SET " + set + guard;
    }

    private static String joinLines(Collection<String> keys) {
        StringBuilder sb = new StringBuilder(keys.size() * 16);
        for (String k : keys) {
            sb.append(k).append('\n');
        }
        return sb.toString();
    }
}
