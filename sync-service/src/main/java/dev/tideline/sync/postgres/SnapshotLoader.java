package dev.tideline.sync.postgres;

import dev.tideline.core.postgres.SqlStates;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.sync.delta.DeltaSource;
import dev.tideline.sync.delta.DuplicateKeyException;
import dev.tideline.sync.model.SyncFaults;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.types.CopyBuffer;
import dev.tideline.sync.types.CopyRowEncoder;
import dev.tideline.sync.types.TargetColumn;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.utils.CloseableIterator;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * SNAPSHOT: copies a whole Delta table at one version into a scratch table in the {@code tideline}
 * schema with binary COPY, in parallel over data files (one connection per worker; workers: one
 * per core, at most {@code maxConnections} and the number of files), builds the primary key, and
 * swaps the scratch table in for the synced table in one transaction that also recreates the
 * indexes users created on the old table, restores its grants, recreates the views built on it
 * ({@link DependentViews}), attaches the read-only trigger and records the synced version. Readers see the old
 * table until that commit and the new one after it, never a half-loaded table.
 *
 * <p>A snapshot stopped anywhere leaves the synced table and its bookkeeping untouched (the scratch
 * table is dropped and rebuilt by the next attempt).
 */
public final class SnapshotLoader {

    private static final Logger LOG = Logger.getLogger(SnapshotLoader.class);
    private static final int FLUSH_BYTES = 1 << 20;
    /** For the primary key's sort: enough that a table of tens of millions of rows sorts in memory. */
    private static final String MAINTENANCE_WORK_MEM = "256MB";
    private static final Pattern DUPLICATE_KEY = Pattern.compile("Key (\\(.*\\))=(\\(.*\\)) is duplicated");

    private final PostgresTarget target;
    private final DeltaSource source;
    private final int maxConnections;
    private final int fillFactor;
    private final SyncFaults faults;

    /** @param fillFactor the new table's Postgres fillfactor, 10..100 (100: packed full, the Postgres default) */
    public SnapshotLoader(PostgresTarget target, DeltaSource source, int maxConnections, int fillFactor, SyncFaults faults) {
        if (maxConnections < 1 || maxConnections > 16) {
            throw new IllegalArgumentException("maxConnections must be 1..16 (seed 003: up to 16 connections per synced table), was "
                    + maxConnections);
        }
        this.target = target;
        this.source = source;
        this.maxConnections = maxConnections;
        this.fillFactor = fillFactor;
        this.faults = faults;
    }

    /**
     * Loads {@code files} and swaps them in.
     *
     * @return the number of rows the synced table now holds
     * @throws DuplicateKeyException    when two rows share a primary key and there is no timeseries key
     * @throws TidelineException        for null bytes (policy FAIL), a NULL primary key, objects depending on the
     *                                  old table, or Postgres errors (RETRYABLE for connection failures)
     */
    public long load(SyncedTableDefinition def, DeltaSource.SnapshotFiles files, List<TargetColumn> columns) {
        String scratch = ScratchTables.name(def.name());
        String scratchQuoted = Bookkeeping.SCHEMA + "." + TableId.quoteIdentifier(scratch);
        String rawQuoted = Bookkeeping.SCHEMA + "." + TableId.quoteIdentifier(scratch + "_raw");
        boolean dedupe = def.timeseriesKey().isPresent();
        try (Connection c = target.open()) {
            try (Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS " + scratchQuoted);
                s.execute("DROP TABLE IF EXISTS " + rawQuoted);
                // Key columns NOT NULL from the start: COPY refuses a NULL key at once, and adding the primary
                // key later needs no extra scan of the whole table to check for NULLs.
                String definitions = TableDdl.columnDefinitions(columns, def.primaryKey());
                String storage = fillFactor < 100 ? " WITH (fillfactor = " + fillFactor + ")" : "";
                s.execute("CREATE TABLE " + scratchQuoted + " (" + definitions + ")" + storage);
                if (dedupe) {
                    // Only a way station for DISTINCT ON: unlogged, it costs no WAL.
                    s.execute("CREATE UNLOGGED TABLE " + rawQuoted + " (" + definitions + ")");
                }
            }
            long t0 = System.nanoTime();
            long copied = copyAll(def, files, columns, dedupe ? rawQuoted : scratchQuoted);
            long t1 = System.nanoTime();
            long rows = copied;
            try (Statement s = c.createStatement()) {
                if (dedupe) {
                    String key = TableDdl.columnList(def.primaryKey());
                    rows = s.executeUpdate("INSERT INTO " + scratchQuoted + " SELECT DISTINCT ON (" + key + ") * FROM " + rawQuoted
                            + " ORDER BY " + key + ", " + TableId.quoteIdentifier(def.timeseriesKey().get()) + " DESC NULLS LAST");
                    s.execute("DROP TABLE " + rawQuoted);
                }
                // The key is built once, after the load: one sort instead of a b-tree insert per row.
                s.execute("SET maintenance_work_mem = '" + MAINTENANCE_WORK_MEM + "'");
                addPrimaryKey(s, def, scratchQuoted, scratch);
                s.execute("RESET maintenance_work_mem");
            }
            long t2 = System.nanoTime();
            try (Statement s = c.createStatement()) {
                s.execute("ANALYZE " + scratchQuoted);
            }
            long t3 = System.nanoTime();
            faults.at(SyncFaults.SNAPSHOT_BEFORE_SWAP);
            swap(c, def, columns, scratch, files.snapshot().getVersion(), rows);
            long t4 = System.nanoTime();
            LOG.infof("synced table %s: snapshot of %s at version %d swapped in (%d rows, %d files; copy %d ms on %d connections, "
                    + "primary key %d ms, analyze %d ms, swap %d ms)", def.name(), def.sourceTableName(), files.snapshot().getVersion(), rows,
                    files.files().size(), (t1 - t0) / 1_000_000, workers(files), (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000,
                    (t4 - t3) / 1_000_000);
            return rows;
        } catch (SQLException e) {
            throw PostgresErrors.wrap("snapshot of synced table " + def.name(), e);
        }
    }

    private void addPrimaryKey(Statement s, SyncedTableDefinition def, String scratchQuoted, String scratch) throws SQLException {
        try {
            s.execute("ALTER TABLE " + scratchQuoted + " ADD CONSTRAINT " + TableId.quoteIdentifier(scratch + "_pkey") + " PRIMARY KEY ("
                    + TableDdl.columnList(def.primaryKey()) + ")");
        } catch (SQLException e) {
            if (SqlStates.UNIQUE_VIOLATION.equals(e.getSQLState())) {
                Matcher m = DUPLICATE_KEY.matcher(String.valueOf(e.getMessage()));
                String key = m.find() ? m.group(1) + "=" + m.group(2) : "(" + String.join(", ", def.primaryKey()) + ")";
                throw new DuplicateKeyException(def.sourceTableName(), key, -1);
            }
            throw e;
        }
    }

    private static TidelineException nullKey(SyncedTableDefinition def, SQLException e) {
        return new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                "source table " + def.sourceTableName() + " has rows whose primary key (" + String.join(", ", def.primaryKey())
                        + ") is NULL; a primary key cannot hold NULL",
                "fill or filter the NULL keys in the source table, or choose primary key columns without NULLs", e);
    }

    /**
     * One connection per file at most, and per core of this host: each connection keeps one core
     * busy decoding Parquet, so more connections than cores only make them take turns (and, with
     * Postgres on the same host, take its cores too).
     */
    private int workers(DeltaSource.SnapshotFiles files) {
        int cores = Runtime.getRuntime().availableProcessors();
        return Math.max(1, Math.min(Math.min(maxConnections, cores), files.files().size()));
    }

    private long copyAll(SyncedTableDefinition def, DeltaSource.SnapshotFiles files, List<TargetColumn> columns, String into) {
        Queue<Row> queue = new ConcurrentLinkedQueue<>(files.files());
        int workers = workers(files);
        AtomicLong rows = new AtomicLong();
        String copySql = "COPY " + into + " (" + TableDdl.columnList(columns.stream().map(TargetColumn::name).toList())
                + ") FROM STDIN (FORMAT binary)";
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "tideline-snapshot-copy");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                futures.add(pool.submit(() -> {
                    copyWorker(def, files, columns, copySql, queue, rows);
                    return null;
                }));
            }
            RuntimeException first = null;
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    queue.clear(); // let the other workers stop after their current file
                    RuntimeException cause;
                    if (e.getCause() instanceof RuntimeException r) {
                        cause = r;
                    } else if (e.getCause() instanceof SQLException sql && SqlStates.NOT_NULL_VIOLATION.equals(sql.getSQLState())) {
                        cause = nullKey(def, sql);
                    } else if (e.getCause() instanceof SQLException sql) {
                        cause = PostgresErrors.wrap("snapshot copy of " + def.name(), sql);
                    } else {
                        cause = new TidelineException(TidelineException.Kind.RETRYABLE, "snapshot copy of " + def.name() + " failed: "
                                + e.getCause(), null, e.getCause());
                    }
                    if (first == null) {
                        first = cause;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    queue.clear();
                    throw new TidelineException(TidelineException.Kind.RETRYABLE, "snapshot of " + def.name() + " interrupted", null, e);
                }
            }
            if (first != null) {
                throw first;
            }
        } finally {
            pool.shutdownNow();
        }
        return rows.get();
    }

    private void copyWorker(SyncedTableDefinition def, DeltaSource.SnapshotFiles files, List<TargetColumn> columns, String copySql,
            Queue<Row> queue, AtomicLong rows) throws SQLException, IOException {
        CopyRowEncoder encoder = new CopyRowEncoder(def.name(), columns, def.primaryKey(), def.timeseriesKey().orElse(null), def.nullBytes());
        try (Connection c = target.open()) {
            CopyIn copy = c.unwrap(PGConnection.class).getCopyAPI().copyIn(copySql);
            try {
                CopyBuffer buffer = new CopyBuffer(FLUSH_BYTES + 4096).header();
                Row file;
                while ((file = queue.poll()) != null) {
                    long fileRows = 0;
                    try (CloseableIterator<FilteredColumnarBatch> batches = source.readFile(files, file)) {
                        while (batches.hasNext()) {
                            FilteredColumnarBatch filtered = batches.next();
                            ColumnarBatch batch = filtered.getData();
                            encoder.bind(batch);
                            ColumnVector selection = filtered.getSelectionVector().orElse(null);
                            for (int r = 0; r < batch.getSize(); r++) {
                                if (selection != null && (selection.isNullAt(r) || !selection.getBoolean(r))) {
                                    continue; // deleted by the file's deletion vector
                                }
                                encoder.appendRow(r, buffer);
                                fileRows++;
                                if (buffer.size() >= FLUSH_BYTES) {
                                    write(copy, buffer);
                                }
                            }
                        }
                    }
                    write(copy, buffer);
                    rows.addAndGet(fileRows);
                    faults.at(SyncFaults.SNAPSHOT_FILE_COPIED);
                }
                write(copy, buffer.trailer());
                copy.endCopy();
            } finally {
                if (copy.isActive()) {
                    try {
                        copy.cancelCopy();
                    } catch (SQLException ignored) {
                        // the connection is closing anyway; the scratch table is rebuilt next time
                    }
                }
            }
        }
    }

    private static void write(CopyIn copy, CopyBuffer buffer) throws SQLException {
        if (buffer.size() == 0) {
            return;
        }
        copy.writeToCopy(buffer.array(), 0, buffer.size());
        buffer.clear();
    }

    private void swap(Connection c, SyncedTableDefinition def, List<TargetColumn> columns, String scratch, long version, long rows)
            throws SQLException {
        String schema = def.target().schema();
        String table = def.target().table();
        String finalQuoted = def.target().quoted();
        c.setAutoCommit(false);
        try {
            try (Statement s = c.createStatement()) {
                // Waiting forever for a reader's lock would stall the sync silently; fail and retry instead.
                s.execute("SET LOCAL lock_timeout = '60s'");
            }
            List<String> indexes = new ArrayList<>();
            List<String> grants = new ArrayList<>();
            List<DependentViews.View> views = List.of();
            if (TableDdl.exists(c, schema, table)) {
                indexes = userIndexes(c, finalQuoted);
                grants = grants(c, finalQuoted);
                views = DependentViews.of(c, finalQuoted, def.name());
                try (Statement s = c.createStatement()) {
                    DependentViews.drop(c, views);
                    s.execute("DROP TABLE " + finalQuoted);
                } catch (SQLException e) {
                    if (SqlStates.DEPENDENT_OBJECTS_STILL_EXIST.equals(e.getSQLState())) { // dependent_objects_still_exist
                        throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                                "synced table " + def.name() + " cannot be replaced by the new snapshot: " + e.getMessage(),
                                "drop the foreign keys or other objects that depend on " + def.target() + " (a snapshot replaces the "
                                        + "table; plain views on it are kept)", e);
                    }
                    throw e;
                }
            }
            try (Statement s = c.createStatement()) {
                s.execute("ALTER TABLE " + Bookkeeping.SCHEMA + "." + TableId.quoteIdentifier(scratch) + " SET SCHEMA " + TableId.quoteIdentifier(schema));
                s.execute("ALTER TABLE " + TableId.quoteIdentifier(schema) + "." + TableId.quoteIdentifier(scratch) + " RENAME TO " + TableId.quoteIdentifier(table));
                s.execute("ALTER TABLE " + finalQuoted + " RENAME CONSTRAINT " + TableId.quoteIdentifier(scratch + "_pkey") + " TO "
                        + TableId.quoteIdentifier(TableDdl.truncate(table + "_pkey")));
            }
            recreate(c, def, indexes, "index");
            recreate(c, def, grants, "grant");
            for (String failed : DependentViews.recreate(c, views)) {
                LOG.warnf("synced table %s: could not restore a view after the snapshot swap: %s", def.name(), failed);
            }
            Bookkeeping.attachReadOnlyTrigger(c, finalQuoted);
            Bookkeeping.write(c, SyncState.of(def.name(), schema, table, def.sourceTableName(), version, columns, rows, "SNAPSHOT"));
            faults.at(SyncFaults.SNAPSHOT_BEFORE_COMMIT);
            c.commit();
        } catch (SQLException | RuntimeException e) {
            try {
                c.rollback();
            } catch (SQLException ignored) {
                // the connection may be gone; the transaction then never committed
            }
            throw e;
        } finally {
            try {
                c.setAutoCommit(true);
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
    }

    /** CREATE INDEX statements of the indexes users made on the table (the primary key is ours). */
    private static List<String> userIndexes(Connection c, String quotedTable) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = ?::regclass AND NOT i.indisprimary "
                        + "ORDER BY i.indexrelid")) {
            ps.setString(1, quotedTable);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /** GRANT statements restoring the table's privileges (other than the owner's). */
    private static List<String> grants(Connection c, String quotedTable) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END, a.privilege_type, a.is_grantable
                FROM pg_class cl CROSS JOIN LATERAL aclexplode(cl.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee
                WHERE cl.oid = ?::regclass AND a.grantee <> cl.relowner""")) {
            ps.setString(1, quotedTable);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add("GRANT " + rs.getString(2) + " ON " + quotedTable + " TO " + rs.getString(1)
                            + (rs.getBoolean(3) ? " WITH GRANT OPTION" : ""));
                }
            }
        }
        return out;
    }

    /**
     * Runs each statement under a savepoint: an index on a column the new snapshot no longer has is
     * skipped with a warning rather than failing the whole refresh.
     */
    private static void recreate(Connection c, SyncedTableDefinition def, List<String> statements, String what) throws SQLException {
        for (String sql : statements) {
            var savepoint = c.setSavepoint();
            try (Statement s = c.createStatement()) {
                s.execute(sql);
                c.releaseSavepoint(savepoint);
            } catch (SQLException e) {
                c.rollback(savepoint);
                LOG.warnf("synced table %s: could not restore %s after the snapshot swap (%s): %s", def.name(), what, sql, e.getMessage());
            }
        }
    }
}
