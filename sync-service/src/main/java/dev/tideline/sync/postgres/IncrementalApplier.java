package dev.tideline.sync.postgres;

import dev.tideline.core.postgres.SqlStates;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.sync.delta.DuplicateKeyException;
import dev.tideline.sync.delta.NetChanges;
import dev.tideline.sync.delta.RowChanges;
import dev.tideline.sync.model.SyncFaults;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.types.CopyBuffer;
import dev.tideline.sync.types.TargetColumn;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.util.PSQLException;

/**
 * TRIGGERED/CONTINUOUS refresh: applies the net row changes between the synced version and a newer
 * one in ONE Postgres transaction, set-based, all data by binary COPY:
 * <ol>
 *   <li>deleted keys: COPY into a temporary table, one {@code DELETE … USING};</li>
 *   <li>rows whose key is new (see {@link RowChanges}): COPY straight into the synced table. Without
 *       a timeseries key, a key Postgres already holds fails the COPY with a unique violation: the
 *       Delta table then has two rows with that key (one in a file the change did not touch), and
 *       the refresh fails naming it, as a snapshot would;</li>
 *   <li>rows whose key existed: COPY into a temporary table, one {@code UPDATE … FROM}; with a
 *       timeseries key every written row goes this way but through {@code INSERT … ON CONFLICT DO
 *       UPDATE}, only where the incoming value is not older; a streamed refresh on Postgres 15+
 *       ({@link #applyStreamed}) uses one {@code MERGE} instead, which also skips unchanged rows;</li>
 * </ol>
 * together with new columns (additive schema changes) and the bookkeeping row carrying the new
 * version. Either all of it commits or none of it, so a refresh stopped anywhere is simply redone
 * from the recorded version. That holds for a refresh folded in partitions on disk too: its changes
 * arrive here folded whole, each kind streamed from its spill file into one COPY of the same
 * transaction, so readers see all of the refresh or none of it.
 */
public final class IncrementalApplier {

    private static final int FLUSH_BYTES = 1 << 20;
    /** Session buffers for the staging tables; allocated only as they fill. */
    private static final String TEMP_BUFFERS = "128MB";
    /**
     * For the join of a staging table with the synced table (hash or sort of the staged rows), this
     * transaction only: 100k staged rows of a few columns hash in about 15 MB, the default 4 MB
     * would make them spill in batches.
     */
    private static final String WORK_MEM = "64MB";

    /**
     * ANALYZE samples of the staging tables, this transaction only: 300 × this many rows. The join
     * needs the key's distinct count, which a sample of unique keys gives exactly (all distinct:
     * unique), not a fine histogram; 3,000 rows instead of the default 30,000 cut the ANALYZE of
     * 100k staged rows from about 26 ms to 3.5 ms (Postgres 15, scratch cluster).
     */
    private static final int STAGING_STATISTICS_TARGET = 10;

    /**
     * What a refresh applied.
     *
     * @param rows   rows applied (upserted plus deleted)
     * @param phases where the time went, for the log: e.g. {@code "update: copy 80 ms, analyze 20 ms, update 500 ms"}
     */
    public record Applied(long rows, String phases) {
    }

    private final SyncFaults faults;

    public IncrementalApplier(SyncFaults faults) {
        this.faults = faults;
    }

    /**
     * @param c            a connection to the target database in autocommit mode (left so on return)
     * @param previous     the bookkeeping row the changes start from; the refresh fails RETRYABLE if it moved meanwhile
     * @param columns      the columns at {@code toVersion}, in the order of the change rows
     * @param addedColumns columns new since {@code previous} (added to the table first)
     * @param changes      the net changes, in memory or spilled: each kind is streamed once into its COPY
     * @return rows applied (upserted plus deleted) and the time of each stage
     * @throws DuplicateKeyException when a new row's key is already held by a row the change did not touch (no timeseries key)
     */
    public Applied apply(Connection c, SyncedTableDefinition def, SyncState previous, List<TargetColumn> columns, List<TargetColumn> addedColumns,
            NetChanges changes, long toVersion) {
        return apply(c, def, previous, columns, addedColumns, null, changes, toVersion);
    }

    /**
     * Changes whose updates are produced while they are copied: {@link #stream} hands each update row
     * (a binary COPY tuple of all columns) to its consumer, on the calling thread, as soon as it is
     * known, and returns the rest of the change (inserts and deletes, no updates) once all is read.
     */
    @FunctionalInterface
    public interface StreamedChanges {
        /**
         * @param targetCompares {@code true} when the target skips each handed row that equals the row
         *                       it holds (a {@code MERGE}, Postgres 15+): the producer may then hand over
         *                       rows without knowing whether they changed (a rewritten file's removed
         *                       side read by key only); {@code false}: only rows that changed
         */
        NetChanges stream(Consumer<byte[]> updates, boolean targetCompares);
    }

    /** {@code MERGE} (with which the target compares the rows itself) exists from this major version on. */
    private static final int MERGE_SINCE = 15;

    /**
     * As {@link #apply(Connection, SyncedTableDefinition, SyncState, List, List, NetChanges, long)}, but
     * the transaction opens first and the update rows are copied into the staging table while
     * {@code changes} still produces them (the Delta files are still being read), instead of after
     * the whole change was folded. Same single transaction; an exception from {@code changes} rolls it
     * back and is rethrown as it is. Not for a timeseries key. On Postgres 15+ the staged rows are
     * applied by one {@code MERGE} that skips rows the table already holds unchanged ({@code
     * targetCompares}, see {@link StreamedChanges}), else by {@code UPDATE … FROM} as in {@code apply}.
     */
    public Applied applyStreamed(Connection c, SyncedTableDefinition def, SyncState previous, List<TargetColumn> columns,
            List<TargetColumn> addedColumns, StreamedChanges changes, long toVersion) {
        if (def.timeseriesKey().isPresent()) {
            throw new IllegalArgumentException("a timeseries key folds its updates through INSERT ... ON CONFLICT, never streamed");
        }
        return apply(c, def, previous, columns, addedColumns, changes, null, toVersion);
    }

    private Applied apply(Connection c, SyncedTableDefinition def, SyncState previous, List<TargetColumn> columns, List<TargetColumn> addedColumns,
            StreamedChanges streamed, NetChanges folded, long toVersion) {
        NetChanges changes = folded;
        long streamedUpdates = 0;
        boolean merge = false;
        String table = def.target().quoted();
        String names = TableDdl.columnList(columns.stream().map(TargetColumn::name).toList());
        boolean timeseries = def.timeseriesKey().isPresent();
        Stages stages = new Stages();
        try {
            roomForStaging(c);
            c.setAutoCommit(false);
            try {
                Bookkeeping.allowSyncWrites(c);
                try (Statement s = c.createStatement()) {
                    s.execute("SET LOCAL lock_timeout = '60s'");
                    s.execute("SET LOCAL work_mem = '" + WORK_MEM + "'");
                    s.execute("SET LOCAL default_statistics_target = " + STAGING_STATISTICS_TARGET);
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
                        s.execute("ALTER TABLE " + table + " ADD COLUMN " + TableId.quoteIdentifier(added.name()) + " " + added.postgresType());
                    }
                }
                stages.done("begin");
                if (streamed != null) {
                    try (Statement s = c.createStatement()) {
                        s.execute("CREATE TEMP TABLE tideline_upserts (" + TableDdl.columnDefinitions(columns) + ") ON COMMIT DROP");
                    }
                    merge = c.getMetaData().getDatabaseMajorVersion() >= MERGE_SINCE;
                    CopyStream updates = new CopyStream(c, "COPY tideline_upserts (" + names + ") FROM STDIN (FORMAT binary)");
                    try {
                        changes = streamed.stream(updates, merge);
                        updates.end();
                    } catch (CopyStream.Failed e) {
                        throw e.getCause();
                    } finally {
                        updates.cancelIfActive();
                    }
                    streamedUpdates = updates.rows();
                    stages.done("read + update: copy");
                    stages.note("writing the COPY " + updates.writeMillis() + " ms");
                }
                if (changes.deleteCount() > 0) {
                    List<TargetColumn> keyColumns = def.primaryKey().stream()
                            .map(k -> columns.stream().filter(col -> col.name().equals(k)).findFirst().orElseThrow()).toList();
                    try (Statement s = c.createStatement()) {
                        s.execute("CREATE TEMP TABLE tideline_deletes (" + TableDdl.columnDefinitions(keyColumns) + ") ON COMMIT DROP");
                    }
                    copy(c, "COPY tideline_deletes FROM STDIN (FORMAT binary)", changes.deleteKeys());
                    stages.done("delete: copy");
                    try (Statement s = c.createStatement()) {
                        analyze(s, "tideline_deletes", def);
                        stages.done("analyze");
                        s.executeUpdate("DELETE FROM " + table + " t USING tideline_deletes d WHERE " + keyMatch(def, "t", "d"));
                        stages.done("delete");
                    }
                }
                if (!timeseries && changes.insertCount() > 0) {
                    copyNewRows(c, def, table, names, changes.insertRows(), toVersion);
                    stages.done("insert: copy");
                }
                Iterable<byte[]> updates = timeseries ? concat(changes.insertRows(), changes.updateRows()) : changes.updateRows();
                long updateCount = streamed != null ? streamedUpdates
                        : timeseries ? changes.insertCount() + changes.updateCount() : changes.updateCount();
                if (updateCount > 0) {
                    if (streamed == null) {
                        try (Statement s = c.createStatement()) {
                            s.execute("CREATE TEMP TABLE tideline_upserts (" + TableDdl.columnDefinitions(columns) + ") ON COMMIT DROP");
                        }
                        copy(c, "COPY tideline_upserts (" + names + ") FROM STDIN (FORMAT binary)", updates);
                        stages.done("update: copy");
                    }
                    try (Statement s = c.createStatement()) {
                        if (timeseries) {
                            s.executeUpdate("INSERT INTO " + table + " AS t (" + names + ") SELECT " + names + " FROM tideline_upserts "
                                    + onConflict(def, columns));
                        } else if (merge) {
                            analyze(s, "tideline_upserts", def);
                            stages.done("analyze");
                            // Staged rows may equal what the table holds (see StreamedChanges): only the others count as applied.
                            streamedUpdates = s.executeUpdate(merge(def, table, columns));
                        } else {
                            analyze(s, "tideline_upserts", def);
                            stages.done("analyze");
                            if (s.executeUpdate(update(def, table, columns)) < updateCount) {
                                // Postgres lacks rows it should hold at the synced version (removed behind the sync's back):
                                // the changed rows are the truth, so the missing ones are inserted.
                                s.executeUpdate("INSERT INTO " + table + " (" + names + ") SELECT " + names + " FROM tideline_upserts u "
                                        + "WHERE NOT EXISTS (SELECT 1 FROM " + table + " t WHERE " + keyMatch(def, "t", "u") + ")");
                            }
                        }
                        stages.done(timeseries ? "upsert" : merge ? "merge" : "update");
                    }
                }
                long applied = changes.size() + streamedUpdates;
                Bookkeeping.write(c, SyncState.of(def.name(), def.target().schema(), def.target().table(), def.sourceTableName(),
                        toVersion, columns, applied, "INCREMENTAL"));
                faults.at(SyncFaults.REFRESH_BEFORE_COMMIT);
                c.commit();
                stages.done("commit");
                c.setAutoCommit(true);
                return new Applied(applied, stages.toString());
            } catch (SQLException | RuntimeException e) {
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
        }
    }

    /**
     * Temporary tables live in the session's own buffers (8 MB by default); a staging table larger
     * than that spills to disk. The setting can only change before the session first touches a
     * temporary table, which a fresh sync connection has not: if it has, the default stays.
     */
    private static void roomForStaging(Connection c) {
        try (Statement s = c.createStatement()) {
            s.execute("SET temp_buffers = '" + TEMP_BUFFERS + "'");
        } catch (SQLException e) {
            // already used temporary tables: keep the default
        }
    }

    /**
     * Statistics of a staging table's key columns. A temporary table is never analyzed by autovacuum,
     * and without statistics the planner assumes few distinct keys, finds hashing the staged rows
     * expensive and hashes the whole synced table instead (measured on 100k staged rows against a
     * 1M-row table: a seq scan of all of it plus a hash spilled in batches, about twice the time of
     * the merge or hash join it picks with them). The key columns are all the join needs.
     */
    private static void analyze(Statement s, String stagingTable, SyncedTableDefinition def) throws SQLException {
        s.execute("ANALYZE " + stagingTable + " (" + TableDdl.columnList(def.primaryKey()) + ")");
    }

    /** Wall time of the refresh's stages, in order, for the log line. */
    private static final class Stages {
        private final StringBuilder text = new StringBuilder();
        private long last = System.nanoTime();

        void done(String stage) {
            long now = System.nanoTime();
            text.append(text.isEmpty() ? "" : ", ").append(stage).append(' ').append((now - last) / 1_000_000).append(" ms");
            last = now;
        }

        /** Detail of the stage just done, in parentheses. */
        void note(String detail) {
            text.append(" (").append(detail).append(')');
        }

        @Override
        public String toString() {
            return text.toString();
        }
    }

    /**
     * New keys go straight into the table: no staging, no conflict handling. The primary key index
     * turns a key that is already there into a unique violation, which names the key.
     */
    private static void copyNewRows(Connection c, SyncedTableDefinition def, String table, String names, Iterable<byte[]> rows, long toVersion)
            throws SQLException {
        try {
            copy(c, "COPY " + table + " (" + names + ") FROM STDIN (FORMAT binary)", rows);
        } catch (PSQLException e) {
            if (SqlStates.UNIQUE_VIOLATION.equals(e.getSQLState())) {
                String detail = e.getServerErrorMessage() == null ? null : e.getServerErrorMessage().getDetail();
                String key = detail == null ? "(" + String.join(", ", def.primaryKey()) + ")"
                        : detail.replaceFirst("^Key ", "").replaceFirst(" already exists\\.?$", "");
                throw new DuplicateKeyException(def.sourceTableName(), key, toVersion);
            }
            throw e;
        }
    }

    /** Streams binary COPY tuples, framed by the format's header and trailer, in 1 MiB writes. */
    private static void copy(Connection c, String sql, Iterable<byte[]> tuples) throws SQLException {
        CopyIn copy = c.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
        try {
            CopyBuffer buffer = new CopyBuffer(FLUSH_BYTES + 4096).header();
            for (byte[] tuple : tuples) {
                buffer.write(tuple);
                if (buffer.size() >= FLUSH_BYTES) {
                    copy.writeToCopy(buffer.array(), 0, buffer.size());
                    buffer.clear();
                }
            }
            buffer.trailer();
            copy.writeToCopy(buffer.array(), 0, buffer.size());
            copy.endCopy();
        } finally {
            if (copy.isActive()) {
                copy.cancelCopy();
            }
        }
    }

    /**
     * A binary COPY fed one tuple at a time, in 1 MiB writes: the sink of {@link StreamedChanges}.
     * A failed write surfaces as {@link Failed}, unchecked, through the producer's code.
     */
    private static final class CopyStream implements Consumer<byte[]> {
        static final class Failed extends RuntimeException {
            Failed(SQLException cause) {
                super(cause);
            }

            @Override
            public synchronized SQLException getCause() {
                return (SQLException) super.getCause();
            }
        }

        private final CopyIn copy;
        private final CopyBuffer buffer = new CopyBuffer(FLUSH_BYTES + 4096).header();
        private long rows;
        private long writeNanos;

        CopyStream(Connection c, String sql) throws SQLException {
            this.copy = c.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
        }

        @Override
        public void accept(byte[] tuple) {
            buffer.write(tuple);
            rows++;
            if (buffer.size() >= FLUSH_BYTES) {
                long w0 = System.nanoTime();
                try {
                    copy.writeToCopy(buffer.array(), 0, buffer.size());
                } catch (SQLException e) {
                    throw new Failed(e);
                }
                writeNanos += System.nanoTime() - w0;
                buffer.clear();
            }
        }

        void end() throws SQLException {
            long w0 = System.nanoTime();
            buffer.trailer();
            copy.writeToCopy(buffer.array(), 0, buffer.size());
            copy.endCopy();
            writeNanos += System.nanoTime() - w0;
        }

        /** Time spent writing to the server (blocked while Postgres has not taken the previous writes). */
        long writeMillis() {
            return writeNanos / 1_000_000;
        }

        void cancelIfActive() throws SQLException {
            if (copy.isActive()) {
                copy.cancelCopy();
            }
        }

        long rows() {
            return rows;
        }
    }

    /** {@code a}'s tuples, then {@code b}'s, each read once as the COPY consumes them. */
    private static Iterable<byte[]> concat(Iterable<byte[]> a, Iterable<byte[]> b) {
        return () -> java.util.stream.Stream.concat(java.util.stream.StreamSupport.stream(a.spliterator(), false),
                java.util.stream.StreamSupport.stream(b.spliterator(), false)).iterator();
    }

    /**
     * The rows of existing keys, by one {@code UPDATE … FROM}: cheaper for Postgres than {@code INSERT
     * … ON CONFLICT} (no speculative insertion per row), and still an UPDATE for anyone decoding the
     * synced table's WAL.
     */
    private static String update(SyncedTableDefinition def, String table, List<TargetColumn> columns) {
        List<String> others = columns.stream().map(TargetColumn::name).filter(n -> !def.primaryKey().contains(n)).toList();
        if (others.isEmpty()) {
            // Only key columns: nothing to change, but the statement still counts the rows that exist.
            return "UPDATE " + table + " t SET " + TableId.quoteIdentifier(def.primaryKey().get(0)) + " = t." + TableId.quoteIdentifier(def.primaryKey().get(0))
                    + " FROM tideline_upserts u WHERE " + keyMatch(def, "t", "u");
        }
        return "UPDATE " + table + " t SET " + others.stream().map(n -> TableId.quoteIdentifier(n) + " = u." + TableId.quoteIdentifier(n)).collect(Collectors.joining(", "))
                + " FROM tideline_upserts u WHERE " + keyMatch(def, "t", "u");
    }

    /**
     * The streamed updates when the staged rows may include unchanged ones: one {@code MERGE} that
     * updates a row only where some column differs from what the table holds, and inserts a staged
     * row whose key the table lacks (removed behind the sync's back; the changed rows are the truth),
     * in the same join — as {@link #update}'s plan (a merge or hash join of the staged rows with the
     * table), no second pass for missing rows. Its count is the rows really changed.
     */
    private static String merge(SyncedTableDefinition def, String table, List<TargetColumn> columns) {
        List<TargetColumn> others = columns.stream().filter(col -> !def.primaryKey().contains(col.name())).toList();
        String names = TableDdl.columnList(columns.stream().map(TargetColumn::name).toList());
        String values = columns.stream().map(col -> "u." + TableId.quoteIdentifier(col.name())).collect(Collectors.joining(", "));
        String insert = " WHEN NOT MATCHED THEN INSERT (" + names + ") VALUES (" + values + ")";
        String using = "MERGE INTO " + table + " t USING tideline_upserts u ON " + keyMatch(def, "t", "u");
        if (others.isEmpty()) {
            return using + insert;
        }
        String differs = "(" + others.stream().map(col -> exactValue("t", col)).collect(Collectors.joining(", ")) + ") IS DISTINCT FROM ("
                + others.stream().map(col -> exactValue("u", col)).collect(Collectors.joining(", ")) + ")";
        String set = others.stream().map(col -> TableId.quoteIdentifier(col.name()) + " = u." + TableId.quoteIdentifier(col.name()))
                .collect(Collectors.joining(", "));
        return using + " WHEN MATCHED AND " + differs + " THEN UPDATE SET " + set + insert;
    }

    /**
     * A column as {@link #merge} compares it: by value where equal values have one binary form (as
     * the Java side compares rows, by their binary COPY bytes), else by that binary form — floating
     * point ({@code -0} equals {@code 0}) and {@code jsonb} ({@code 1.0} equals {@code 1.00}).
     */
    private static String exactValue(String alias, TargetColumn column) {
        String ref = alias + "." + TableId.quoteIdentifier(column.name());
        String type = column.postgresType().toUpperCase(java.util.Locale.ROOT);
        return switch (type) {
            case "DOUBLE PRECISION" -> "float8send(" + ref + ")";
            case "REAL" -> "float4send(" + ref + ")";
            case "JSONB" -> "jsonb_send(" + ref + ")";
            default -> ref;
        };
    }

    private static String keyMatch(SyncedTableDefinition def, String left, String right) {
        return def.primaryKey().stream().map(k -> left + "." + TableId.quoteIdentifier(k) + " = " + right + "." + TableId.quoteIdentifier(k))
                .collect(Collectors.joining(" AND "));
    }

    private static String onConflict(SyncedTableDefinition def, List<TargetColumn> columns) {
        String key = TableDdl.columnList(def.primaryKey());
        List<String> others = columns.stream().map(TargetColumn::name).filter(n -> !def.primaryKey().contains(n)).toList();
        if (others.isEmpty()) {
            return "ON CONFLICT (" + key + ") DO NOTHING";
        }
        String set = others.stream().map(n -> TableId.quoteIdentifier(n) + " = EXCLUDED." + TableId.quoteIdentifier(n)).collect(Collectors.joining(", "));
        String guard = def.timeseriesKey()
                .map(ts -> " WHERE t." + TableId.quoteIdentifier(ts) + " IS NULL OR t." + TableId.quoteIdentifier(ts) + " <= EXCLUDED." + TableId.quoteIdentifier(ts))
                .orElse("");
        return "ON CONFLICT (" + key + ") DO UPDATE SET " + set + guard;
    }
}
