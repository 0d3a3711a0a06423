package dev.tideline.gateway.snapshot;

import dev.tideline.core.postgres.SqlStates;
import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.wire.EncodedRows;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Coordinates the watermark snapshot of one table while the capture streams: plans chunks (or
 * resumes the stored plan), writes the BEGIN marker and waits out older transactions, reads the
 * chunks in parallel between LOW/HIGH markers, records each acknowledged chunk in the checkpoints
 * bucket, and finally writes the DONE marker. See {@link SnapshotWindows} for why the result is
 * exact. A crash loses at most the chunks being read; the next run reads only those again.
 */
final class TableSnapshot {

    private static final Logger LOG = Logger.getLogger(TableSnapshot.class);
    private static final Duration MARKER_TIMEOUT = Duration.ofSeconds(60);

    private final String gatewayId;
    private final TableId table;
    private final SqlConnector pg;
    private final ReaderConnections connections;
    private final SnapshotWindows windows;
    private final SnapshotProgressStore store;
    private final ExecutorService readers;
    /** Shared by the gateway's tables: a permit per chunk held in memory (see {@link TableSnapshots#heldChunksFor}). */
    private final java.util.concurrent.Semaphore heldChunks;
    private final SnapshotSettings settings;
    private final boolean fullRefresh;
    private final Consumer<SnapshotProgress> onProgress;
    private SnapshotProgress progress;
    /** The table's shape as the latest chunk read found it; chunks read after a schema change carry the new one. */
    private volatile SourceTable shape;
    /** Set when the chunking key itself changed: the plan no longer fits, and the next run must start over. */
    private volatile boolean planInvalid;
    private volatile boolean cancelled;
    private volatile SnapshotPhases phases;
    /**
     * The buffer the next chunk read starts with: planning's estimate of a chunk's encoded size at first, then the
     * largest chunk read so far with room to spare.
     */
    private volatile int expectedChunkBytes;

    TableSnapshot(String gatewayId, TableId table, SqlConnector pg, ReaderConnections connections, SnapshotWindows windows,
                  SnapshotProgressStore store, ExecutorService readers, java.util.concurrent.Semaphore heldChunks, SnapshotSettings settings,
                  boolean fullRefresh,
                  Consumer<SnapshotProgress> onProgress) {
        this.gatewayId = gatewayId;
        this.table = table;
        this.pg = pg;
        this.connections = connections;
        this.windows = windows;
        this.store = store;
        this.readers = readers;
        this.heldChunks = heldChunks;
        this.settings = settings;
        this.fullRefresh = fullRefresh;
        this.onProgress = onProgress;
    }

    /** Runs (or resumes) the table's snapshot to its end; returns the final progress. */
    SnapshotProgress run() throws InterruptedException {
        long started = System.nanoTime();
        SourceTable source;
        try (Connection c = pg.connect()) {
            source = SourceTable.load(c, table, settings.publication());
            Optional<SnapshotProgress> stored = fullRefresh ? Optional.empty() : store.read(table);
            if (stored.isPresent() && SnapshotProgress.DONE.equals(stored.get().state())) {
                windows.settle(table);
                return stored.get();
            }
            ChunkPlanner.RowEstimate estimate = ChunkPlanner.estimate(c, table);
            int rowsPerChunk = estimate.rowsPerChunk(settings.rowsPerChunk(), settings.chunkBytes(), settings.parallelism());
            expectedChunkBytes = estimate.chunkBufferBytes(rowsPerChunk);
            long file = source.chunkedByCtid() ? relationFile(c, table) : 0;
            if (stored.isPresent() && stored.get().planFile() != 0 && stored.get().planFile() != file) {
                LOG.infof("snapshot %s of %s does not resume: the table was rewritten since its block ranges were planned; it starts over",
                        stored.get().snapshotId(), table);
                stored = Optional.empty();
            }
            if (stored.isPresent() && stored.get().chunks().size() == stored.get().done().size()) {
                progress = stored.get().withState(SnapshotProgress.RUNNING, null);
                LOG.infof("snapshot %s of %s resumes: %d of %d chunks done", progress.snapshotId(), table, progress.chunksDone(),
                        progress.chunks().size());
            } else {
                String id = "s" + Long.toString(System.currentTimeMillis(), 36) + "-" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 30), 36);
                progress = SnapshotProgress.start(gatewayId, table, id, ChunkPlanner.plan(c, source, rowsPerChunk), file);
                LOG.infof("snapshot %s of %s starts with %d chunks", id, table, progress.chunks().size());
            }
            save(progress);
        } catch (SQLException e) {
            throw sqlError("prepare the snapshot", e);
        }
        shape = source;
        SnapshotWindows.Registration registration = windows.register(progress.snapshotId(), source.schema(), !progress.begun());
        try {
            long planned = System.nanoTime();
            begin(registration);
            long begun = System.nanoTime();
            readChunks();
            registration.chunksPublished = true;
            long read = System.nanoTime();
            Lsn doneAt;
            do {
                readMovedRows();
                registration.setTotals(progress.rows(), progress.nextRead());
                // Refused (invalid) while rows moved before the marker are not read again yet.
                doneAt = marker(registration.expectDone(), new SnapshotMarker(SnapshotMarker.Kind.DONE, progress.snapshotId(), 0));
            } while (!doneAt.isValid());
            save(progress.withState(SnapshotProgress.DONE, null));
            long finished = System.nanoTime();
            phases = new SnapshotPhases(Duration.ofNanos(planned - started), Duration.ofNanos(begun - planned), Duration.ofNanos(read - begun),
                    Duration.ofNanos(finished - read));
            LOG.infof("snapshot %s of %s done at %s: %d rows in %d chunks; %d ms planning, %d ms BEGIN and older transactions, "
                            + "%d ms reading and publishing chunks, %d ms DONE", progress.snapshotId(), table, doneAt, progress.rows(),
                    progress.chunks().size(), millis(started, planned), millis(planned, begun), millis(begun, read),
                    millis(read, finished));
            return progress;
        } finally {
            cancelled = true; // reads of this run still in flight must not retry or write progress after it
            windows.unregister(registration);
        }
    }

    /** The phases of this run once it finished; null before, and for a table found done already. */
    SnapshotPhases phases() {
        return phases;
    }

    private static long millis(long from, long to) {
        return (to - from) / 1_000_000;
    }

    private void begin(SnapshotWindows.Registration registration) throws InterruptedException {
        marker(registration.begun, new SnapshotMarker(SnapshotMarker.Kind.BEGIN, progress.snapshotId(), 0));
        if (!progress.begun()) {
            save(progress.withBegun());
        }
        waitForOlderTransactions();
    }

    /** Writes a marker and waits until the capture handled it; writes it again if the capture lost it. */
    private Lsn marker(CompletableFuture<Lsn> handled, SnapshotMarker marker) throws InterruptedException {
        while (true) {
            try (Connection c = pg.connect(); Statement flush = c.createStatement()) {
                c.setAutoCommit(false);
                marker.emit(c);
                flush.execute("SELECT txid_current()"); // the commit then flushes the WAL past the marker (see readOnce)
                c.commit();
            } catch (SQLException e) {
                throw sqlError("write the " + marker.kind() + " watermark", e);
            }
            try {
                return handled.get(MARKER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                LOG.warnf("snapshot %s of %s: the capture did not handle the %s watermark within %d s; writing it again",
                        progress.snapshotId(), table, marker.kind(), MARKER_TIMEOUT.toSeconds());
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * Waits until every transaction that had an xid when the BEGIN marker was written has ended, so
     * that no transaction committed before BEGIN can still be invisible to a chunk's snapshot (the
     * same wait Postgres makes when it creates a slot).
     */
    private void waitForOlderTransactions() throws InterruptedException {
        try (Connection c = pg.connect(); Statement s = c.createStatement()) {
            long fence;
            try (ResultSet rs = s.executeQuery("SELECT txid_current()")) {
                rs.next();
                fence = rs.getLong(1);
            }
            long started = System.nanoTime();
            long nextLog = started + TimeUnit.SECONDS.toNanos(30);
            try (PreparedStatement check = c.prepareStatement("SELECT txid_snapshot_xmin(txid_current_snapshot()) > ?")) {
                check.setLong(1, fence);
                while (true) {
                    try (ResultSet rs = check.executeQuery()) {
                        rs.next();
                        if (rs.getBoolean(1)) {
                            return;
                        }
                    }
                    if (System.nanoTime() > nextLog) {
                        LOG.warnf("snapshot of %s waits for transactions older than its start to finish (%d s so far); "
                                + "look for long-running sessions in pg_stat_activity with a backend_xid", table,
                                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
                        nextLog = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    }
                    Thread.sleep(50);
                }
            }
        } catch (SQLException e) {
            throw sqlError("wait for older transactions", e);
        }
    }

    private void readChunks() throws InterruptedException {
        // Readers go on to the next chunk while the capture publishes the previous ones; the gateway-wide
        // permits bound the chunks between their read and their acknowledgement (their rows are in memory).
        java.util.concurrent.Semaphore awaiting = heldChunks;
        List<CompletableFuture<Void>> chunks = new ArrayList<>();
        for (int i = 0; i < progress.chunks().size(); i++) {
            if (!progress.done().get(i)) {
                chunks.add(readChunk(i, 1, null, awaiting));
            }
        }
        try {
            CompletableFuture<Void> all = CompletableFuture.allOf(chunks.toArray(CompletableFuture[]::new));
            while (true) {
                try {
                    all.get(1, TimeUnit.SECONDS);
                    break;
                } catch (TimeoutException e) {
                    readMovedRows(); // meanwhile: rows moved so far are read again, so their holds on the slot stay short
                }
            }
        } catch (TidelineException e) {
            chunks.forEach(c -> c.cancel(true));
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof java.util.concurrent.CompletionException && e.getCause().getCause() != null
                    ? e.getCause().getCause() : e.getCause();
            chunks.forEach(c -> c.cancel(true));
            throw cause instanceof TidelineException t ? t : new TidelineException(TidelineException.Kind.RETRYABLE,
                    "a chunk read of " + table + " failed: " + cause, null, cause);
        } catch (InterruptedException e) {
            chunks.forEach(c -> c.cancel(true));
            throw e;
        }
    }

    /** Reads a chunk (again, up to the limit) until its rows are published and acknowledged. */
    private CompletableFuture<Void> readChunk(int chunk, int attempt, String lastReason,
                                              java.util.concurrent.Semaphore awaiting) {
        if (cancelled) {
            return CompletableFuture.failedFuture(new java.util.concurrent.CancellationException("replaced by a full refresh"));
        }
        if (attempt > settings.maxReadsPerChunk()) {
            return CompletableFuture.failedFuture(new TidelineException(TidelineException.Kind.RETRYABLE, "chunk " + chunk + " of " + table
                    + " could not be published in " + settings.maxReadsPerChunk() + " reads; last: " + lastReason,
                    "check that the capture is streaming; the gateway retries the table"));
        }
        String snapshotId = progress.snapshotId();
        return CompletableFuture.supplyAsync(() -> {
            try {
                awaiting.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.util.concurrent.CancellationException("interrupted");
            }
            try {
                if (cancelled) { // the run ended while this waited for a reader or a permit
                    throw new java.util.concurrent.CancellationException("snapshot " + snapshotId + " of " + table + " is over");
                }
                return readOnce("chunk " + chunk, snapshotId, (c, source) -> {
                    EncodedRows rows = ChunkReader.read(c, source, progress.chunks().get(chunk), expectedChunkBytes);
                    expectedChunkBytes = Math.max(expectedChunkBytes, ChunkReader.bufferHint(rows)); // racy max: only a size hint
                    return rows;
                }, List.of());
            } catch (RuntimeException e) {
                awaiting.release();
                throw e;
            }
        }, readers).thenCompose(pending -> pending.outcome().orTimeout(settings.outcomeTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .handle((result, error) -> {
                    awaiting.release();
                    if (error != null) {
                        return timedOut(snapshotId, pending);
                    }
                    return result;
                }).thenComposeAsync(result -> { // off the NATS thread that completed the outcome: this writes to KV
                    if (result.published()) {
                        LOG.debugf("snapshot %s of %s: chunk %d published as read %d at %s (%d rows)", snapshotId, table, chunk,
                                pending.read(), result.validAt(), result.rows());
                        chunkDone(chunk, result.rows());
                        return CompletableFuture.completedFuture(null);
                    }
                    LOG.infof("snapshot %s of %s: chunk %d (read %d) is read again: %s", snapshotId, table, chunk, pending.read(), result.reason());
                    return readChunk(chunk, attempt + 1, result.reason(), awaiting);
                }));
    }

    /** Rows moved to a new key read again in one read, at most. */
    static final int MOVED_KEYS_PER_READ = 1000;

    /**
     * Reads again, by their new keys, the rows the capture found moved without their unchanged
     * TOASTed values (see {@link MovedKeys}), until none is queued.
     *
     * @throws TidelineException RETRYABLE when a key cannot be looked up (its type has no exact text form
     *                           here: the snapshot starts over) or the reads keep failing
     */
    private void readMovedRows() throws InterruptedException {
        MovedKeys moved = windows.movedKeys(table);
        if (moved == null) {
            return;
        }
        List<MovedKeys.Move> batch;
        while (!(batch = moved.peek(MOVED_KEYS_PER_READ)).isEmpty()) {
            List<MovedKeys.Move> keys = batch;
            String lastReason = null;
            for (int attempt = 1; ; attempt++) {
                if (attempt > settings.maxReadsPerChunk()) {
                    throw new TidelineException(TidelineException.Kind.RETRYABLE, keys.size() + " rows of " + table + " moved to a new key "
                            + "during the snapshot could not be read again in " + settings.maxReadsPerChunk() + " reads; last: " + lastReason,
                            "check that the capture is streaming; the gateway retries the table");
                }
                if (cancelled) {
                    throw new java.util.concurrent.CancellationException("snapshot " + progress.snapshotId() + " of " + table + " is over");
                }
                PendingRead pending = readOnce(keys.size() + " moved rows", progress.snapshotId(),
                        (c, source) -> ChunkReader.readKeys(c, source, keyTexts(source, keys)), keys);
                SnapshotWindows.Outcome outcome;
                try {
                    outcome = pending.outcome().get(settings.outcomeTimeout().toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    outcome = timedOut(progress.snapshotId(), pending);
                } catch (ExecutionException e) {
                    throw new IllegalStateException(e);
                }
                if (outcome.published()) {
                    LOG.debugf("snapshot %s of %s: %d moved rows read again as read %d at %s", progress.snapshotId(), table, keys.size(),
                            pending.read(), outcome.validAt());
                    moved.served(keys);
                    break;
                }
                lastReason = outcome.reason();
            }
        }
    }

    /** The moved rows' keys as text, in the order of the table's chunking columns. */
    private List<List<String>> keyTexts(SourceTable source, List<MovedKeys.Move> moves) {
        List<List<String>> keys = new ArrayList<>(moves.size());
        for (MovedKeys.Move move : moves) {
            List<String> texts = new ArrayList<>();
            for (String column : source.chunkColumns()) {
                int at = move.columns().indexOf(column);
                String text = at < 0 ? null : KeyText.of(move.values().get(at));
                if (text == null) {
                    planInvalid = true;
                    throw new TidelineException(TidelineException.Kind.RETRYABLE, "a row of " + table + " moved to a new key during the "
                            + "snapshot cannot be looked up by its column " + column + (at < 0 ? " (not in the key the stream sent)"
                            : " (no exact text form for " + move.values().get(at).getClass().getSimpleName() + ")"),
                            "nothing to do: the table's snapshot starts over, which reads every row after the move");
                }
                texts.add(text);
            }
            keys.add(texts);
        }
        return keys;
    }

    private record PendingRead(int read, CompletableFuture<SnapshotWindows.Outcome> outcome) {
    }

    /** Gives up on a read whose outcome did not come within {@link SnapshotSettings#outcomeTimeout()}: it is read again. */
    private SnapshotWindows.Outcome timedOut(String snapshotId, PendingRead pending) {
        windows.abandon(snapshotId, pending.read());
        return SnapshotWindows.Outcome.retry("the capture did not publish it within " + settings.outcomeTimeout().toSeconds() + " s");
    }

    /** What one read between watermarks reads, in the read's transaction. */
    @FunctionalInterface
    private interface RowsRead {
        EncodedRows read(Connection c, SourceTable source) throws SQLException;
    }

    /**
     * One read between its watermarks — of a chunk, or of moved rows by key; the outcome completes
     * when the capture handled its HIGH marker.
     *
     * @param moved the moved rows the read looks up (empty for a chunk)
     */
    private PendingRead readOnce(String what, String snapshotId, RowsRead reader, List<MovedKeys.Move> moved) {
        int read = reserveRead();
        CompletableFuture<SnapshotWindows.Outcome> outcome = windows.expect(snapshotId, read);
        if (cancelled) {
            // The run ended (and unregistered, which completes the outcomes it knew of) before this read
            // was expected: nothing would ever complete its outcome, and its permit would be held until
            // the outcome timeout, away from the gateway's other tables.
            windows.abandon(snapshotId, read);
            throw new java.util.concurrent.CancellationException("snapshot " + snapshotId + " of " + table + " is over");
        }
        Connection c = null;
        boolean healthy = false;
        try {
            c = connections.take();
            c.setAutoCommit(true);
            new SnapshotMarker(SnapshotMarker.Kind.LOW, snapshotId, read).emit(c);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setAutoCommit(false);
            SourceTable source;
            try (Statement s = c.createStatement()) {
                // LOCK takes no snapshot, so the read's snapshot is taken after the lock is granted: an
                // ALTER TABLE either committed before it (and the read sees the new shape and, after a
                // rewrite, the rewritten rows) or waits until the read ends. Without the lock, a rewrite
                // committed between the snapshot and COPY's own lock makes the table look empty to the read.
                s.execute("LOCK TABLE " + table.quoted() + " IN ACCESS SHARE MODE");
                source = currentShape(c);
                requireSameBlocks(c, source);
            }
            XidSnapshot visibility;
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT txid_current_snapshot()::text")) {
                rs.next();
                visibility = XidSnapshot.parse(rs.getString(1));
            }
            EncodedRows rows = reader.read(c, source);
            windows.offer(new SnapshotWindows.ChunkRead(snapshotId, read, visibility, rows, moved));
            new SnapshotMarker(SnapshotMarker.Kind.HIGH, snapshotId, read).emit(c);
            // A non-transactional message is not flushed by itself (before Postgres 17), and the
            // walsender only sends flushed WAL: an xid makes the commit flush past the HIGH marker
            // instead of waiting for the WAL writer.
            try (Statement s = c.createStatement()) {
                s.execute("SELECT txid_current()");
            }
            c.commit();
            c.setAutoCommit(true);
            healthy = true;
        } catch (SQLException e) {
            windows.abandon(snapshotId, read);
            throw sqlError("read " + what, e);
        } catch (RuntimeException e) {
            windows.abandon(snapshotId, read);
            throw e;
        } finally {
            if (c != null) {
                connections.giveBack(c, healthy);
            }
        }
        return new PendingRead(read, outcome);
    }

    /**
     * The table's shape now (the caller holds a lock that keeps it); remembered for later chunks.
     * Other columns or types are fine — the chunk's rows carry their own schema, as the stream's rows
     * do after the change — but a different chunking key no longer matches the plan.
     *
     * @throws TidelineException RETRYABLE when the chunking key changed: the snapshot starts over with a new plan
     */
    private SourceTable currentShape(Connection c) throws SQLException {
        SourceTable known = shape;
        SourceTable now = SourceTable.load(c, table, settings.publication());
        if (now.equals(known)) {
            return known;
        }
        if (!now.chunkColumns().equals(known.chunkColumns())) {
            planInvalid = true;
            throw new TidelineException(TidelineException.Kind.RETRYABLE, "the key of " + table + " changed during its snapshot (from "
                    + known.chunkColumns() + " to " + now.chunkColumns() + ")",
                    "nothing to do: the table's snapshot starts over with chunks of the new key; streaming continues");
        }
        LOG.infof("snapshot of %s: the table's shape changed during the snapshot; chunks read from now on carry the new shape", table);
        shape = now;
        return now;
    }

    /**
     * For block ({@code ctid}) ranges: the table must still be the file they were planned on. A
     * rewrite (VACUUM FULL, CLUSTER, ALTER COLUMN … TYPE) moves rows between blocks without writing
     * a change to the stream, so rows could move from blocks not yet read into blocks already read
     * and be missed.
     *
     * @throws TidelineException RETRYABLE when the table was rewritten: the snapshot starts over with a new plan
     */
    private void requireSameBlocks(Connection c, SourceTable source) throws SQLException {
        long planned = progress().planFile();
        if (!source.chunkedByCtid() || planned == 0 || relationFile(c, table) == planned) {
            return;
        }
        planInvalid = true;
        throw new TidelineException(TidelineException.Kind.RETRYABLE, "table " + table + " was rewritten during its snapshot (VACUUM FULL, "
                + "CLUSTER or a column type change), which renumbers the block ranges its chunks are planned on",
                "nothing to do: the table's snapshot starts over with a new plan; streaming continues (a primary key avoids this)");
    }

    /** The table's current file ({@code pg_relation_filenode}; not MVCC: a committed rewrite shows at once); 0 when it has none. */
    static long relationFile(Connection c, TableId table) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT pg_relation_filenode(CAST(? AS regclass))")) {
            s.setString(1, table.quoted());
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    /** Whether this run ended because its chunk plan no longer fits the table; the next run must re-plan. */
    boolean planInvalid() {
        return planInvalid;
    }

    private synchronized int reserveRead() {
        int read = progress.nextRead();
        // Stored before use: a read number is never used twice, so Msg-Ids of different reads never collide.
        save(progress.withRead(read));
        return read;
    }

    private synchronized void chunkDone(int chunk, long rows) {
        save(progress.withChunkDone(chunk, rows));
    }

    private synchronized void save(SnapshotProgress next) {
        if (cancelled) {
            throw new java.util.concurrent.CancellationException("snapshot " + next.snapshotId() + " of " + table + " was replaced");
        }
        store.write(next);
        progress = next;
        onProgress.accept(next);
    }

    /**
     * Stops this run for good (a full refresh replaces it): reads still in flight neither retry nor
     * write progress, so they cannot overwrite the new run's.
     */
    void cancel() {
        cancelled = true;
    }

    synchronized SnapshotProgress progress() {
        return progress;
    }

    private TidelineException sqlError(String operation, SQLException e) {
        SqlStates.Rule rule = SqlStates.rule(e.getSQLState());
        String hint;
        if (rule.kind() == TidelineException.Kind.RETRYABLE) {
            hint = "check that Postgres is reachable; the gateway retries and resumes from the last published chunk";
        } else if (SqlStates.INSUFFICIENT_PRIVILEGE.equals(e.getSQLState()) || SqlStates.UNDEFINED_TABLE.equals(e.getSQLState())) {
            hint = "grant the gateway's role SELECT on " + table + " (and check the table exists)";
        } else {
            hint = rule.remedy();
        }
        return new TidelineException(rule.kind(), "snapshot of " + table + ": " + operation + " failed: " + e.getMessage()
                + SqlStates.describe(e.getSQLState()), hint, e);
    }
}
