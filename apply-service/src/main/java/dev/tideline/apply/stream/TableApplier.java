package dev.tideline.apply.stream;

import dev.tideline.core.Lsn;
import dev.tideline.core.TidelineException;
import dev.tideline.core.sink.SinkCommit;
import dev.tideline.core.sink.TableSink;
import dev.tideline.core.wire.Ack;
import dev.tideline.core.wire.ChangeBatch;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Applies the change messages of one source table to its {@link TableSink}, exactly once: the stream
 * side of the applier (transactions, acknowledgements, snapshots, FAILED); what the rows become is the
 * sink's. Single-threaded (the pipeline's loop).
 *
 * <p><b>Transactions.</b> A table's messages of one source transaction ({@code txnSeq} 0, 1, …,
 * the last flagged) are buffered until the last arrives; complete transactions are committed
 * together in one sink commit recording the commit LSN of the last one — a source transaction is
 * never split across commits. Messages are acknowledged only after that commit returned (durable),
 * so a crash at any point redelivers them, and redelivered transactions at or below the table's
 * applied LSN are acknowledged without applying. Of a held message only its {@link Ack} is kept
 * ({@link HeldAcks}), never its payload.
 *
 * <p><b>Large transactions.</b> A transaction with more than {@link ApplySettings#maxBatchRows()} row
 * changes is applied while it arrives, in rounds of that many, to one
 * {@link TableSink.Staged staged commit}, and published by one commit at its last message: memory
 * stays bounded whatever its size, readers still see it whole or not at all.
 *
 * <p><b>Snapshots</b> (the gateway's consumer contract, docs/gateway.md). SNAPSHOT_BEGIN opens a
 * {@link TableSink.Replacement replacement} of the table, SNAPSHOT batches are written to it per chunk
 * read as they come (copies dropped by read/batch), changes of the table are buffered in stream order,
 * and SNAPSHOT_DONE checks the row count of the complete reads, commits the replacement atomically and
 * replays the buffered changes on top. Readers see the old content until then.
 *
 * <p><b>FAILED.</b> A change the sink cannot take (incompatible type change, unrepresentable value,
 * missing message) fails the table: the reason is recorded in the table itself
 * ({@link TableSink#markFailed}) and reported; later changes are acknowledged and dropped until a
 * full refresh (a new snapshot) replaces the table.
 *
 * <p><b>Faults.</b> Tests stop it at the {@link ApplyFaults} points; the service passes
 * {@link ApplyFaults#NONE}.
 */
final class TableApplier {

    private static final Logger LOG = Logger.getLogger(TableApplier.class);

    /**
     * One source transaction's messages for this table: the batches not applied yet, and the
     * acknowledgements of all of them. A transaction larger than {@link ApplySettings#maxBatchRows()}
     * is applied in rounds to a staged commit ({@link #staged}) while it arrives, and its batches
     * dropped from memory; the staged commit publishes it at its last batch.
     */
    private static final class Txn {
        final Lsn lsn;
        final List<ChangeBatch> batches = new ArrayList<>();
        final HeldAcks acks = new HeldAcks();
        int nextSeq;
        boolean complete;
        /** Row changes in {@link #batches}. */
        int rows;
        /** Row changes already applied to {@link #staged}. */
        long stagedRows;
        TableSink.Staged staged;
        long completedAtNanos;

        Txn(Lsn lsn) {
            this.lsn = lsn;
        }
    }

    /** One read of a snapshot chunk ({@code Tideline-Chunk} is a read number, never reused). */
    private static final class ChunkRead {
        long rows;
        boolean complete;
        boolean discarded;
    }

    /**
     * A snapshot being loaded (gateway contract, docs/gateway.md): rows are written to the sink's
     * replacement per chunk read; at DONE the complete reads replace the table and the changes that
     * arrived since BEGIN are replayed on top, in stream order.
     */
    private static final class SnapshotLoad {
        final String id;
        final Lsn lsn;
        final TableSink.Replacement replacement;
        final Set<Long> seen = new HashSet<>();
        final Map<Integer, ChunkRead> reads = new HashMap<>();
        final HeldAcks acks = new HeldAcks();

        SnapshotLoad(String id, Lsn lsn, TableSink.Replacement replacement) {
            this.id = id;
            this.lsn = lsn;
            this.replacement = replacement;
        }

        /** A TRUNCATE in the stream empties what the reads so far published. */
        void truncate() {
            reads.values().forEach(r -> r.discarded = true);
        }
    }

    private final String pipelineId;
    private final TableTarget target;
    private final TableSink sink;
    private final ApplyListener listener;
    private final ApplySettings settings;
    private final ApplyFaults faults;
    private final FlushPolicy flushPolicy;

    private final ArrayDeque<Txn> complete = new ArrayDeque<>();
    /**
     * The row changes of {@link #complete}, kept as they come and go: asked of every table after every pull of a
     * round, when a busy table holds thousands of transactions.
     */
    private int completeTxnRows;
    private Txn open;
    private SnapshotLoad snapshot;
    private final HeldAcks ackAfterCommit = new HeldAcks();
    private long lastProgressNanos = System.nanoTime();
    private Lsn applied;
    private String failure;
    private String ignoredSnapshotId;
    private int commits;
    private long rowsApplied;

    TableApplier(String pipelineId, TableTarget target, TableSink sink, ApplyListener listener, ApplySettings settings,
                 ApplyFaults faults) {
        this.pipelineId = pipelineId;
        this.target = target;
        this.sink = sink;
        this.listener = listener;
        this.settings = settings;
        this.faults = faults;
        this.flushPolicy = FlushPolicy.of(settings);
        this.applied = sink.appliedLsn();
        this.failure = sink.failure();
    }

    TableTarget target() {
        return target;
    }

    Lsn appliedLsn() {
        return applied;
    }

    boolean isFailed() {
        return failure != null;
    }

    String failure() {
        return failure;
    }

    long rowsApplied() {
        return rowsApplied;
    }

    /** Buffered row changes of complete transactions. */
    int pendingRows() {
        return completeTxnRows;
    }

    /**
     * Whether the table was loaded at least once: it exists (the initial snapshot, or a first
     * transaction, was committed) or it failed (nothing more will come until a full refresh).
     */
    boolean loaded() {
        return sink.exists() || isFailed();
    }

    /** Whether anything is held (buffered or an open snapshot). */
    boolean holdsMessages() {
        return !complete.isEmpty() || open != null || snapshot != null || !ackAfterCommit.isEmpty();
    }

    /** The lowest stream sequence held unacknowledged, or Long.MAX_VALUE. */
    long minHeldStreamSequence() {
        long min = ackAfterCommit.minStreamSequence();
        for (Txn t : complete) {
            min = Math.min(min, t.acks.minStreamSequence());
        }
        if (open != null) {
            min = Math.min(min, open.acks.minStreamSequence());
        }
        if (snapshot != null) {
            min = Math.min(min, snapshot.acks.minStreamSequence());
        }
        return min;
    }

    /** Takes one message of this table, with the acknowledgement owed for it. */
    void accept(Ack delivery, ChangeBatch batch) {
        LOG.tracef("table %s: %s", target.fullName(), batch.kind());
        if (batch instanceof ChangeBatch.Rows rows) {
            acceptTxnPart(delivery, batch, rows.commitLsn(), rows.txnSeq(), rows.lastInTxn(), rows.changes().size());
        } else if (batch instanceof ChangeBatch.Truncate truncate) {
            acceptTxnPart(delivery, batch, truncate.commitLsn(), truncate.txnSeq(), truncate.lastInTxn(), 1);
        } else if (batch instanceof ChangeBatch.SnapshotBegin begin) {
            beginSnapshot(delivery, begin);
        } else if (batch instanceof ChangeBatch.Snapshot rows) {
            snapshotRows(delivery, rows);
        } else if (batch instanceof ChangeBatch.SnapshotDone done) {
            finishSnapshot(delivery, done);
        } else {
            delivery.ack(); // SCHEMA is informational (every ROWS batch carries its schema); MESSAGE is not ours
        }
    }

    private void acceptTxnPart(Ack delivery, ChangeBatch batch, Lsn lsn, int seq, boolean last, int rows) {
        if (failure != null && snapshot == null) {
            delivery.ack(); // FAILED: dropped until a full refresh
            return;
        }
        if (!lsn.isAfter(applied)) {
            delivery.ack(); // already in Delta (redelivery, or a duplicate stored after the dedup window)
            return;
        }
        for (Txn t : complete) {
            if (t.lsn.equals(lsn)) {
                t.acks.add(delivery); // a copy of a message we hold: acknowledge both after the commit
                return;
            }
        }
        if (open != null && open.lsn.equals(lsn)) {
            if (seq < open.nextSeq) {
                open.acks.add(delivery);
                return;
            }
        } else if (open != null) {
            if (lsn.isBefore(open.lsn)) {
                ackAfterCommit.add(delivery); // an old copy; its transaction was committed or is held
                return;
            }
            fail(new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, "Table " + target.source() + ": transaction "
                    + open.lsn + " is incomplete (message " + open.nextSeq + " never arrived) and " + lsn + " started",
                    "a change message was lost from the staging stream; run a full refresh of this table"), delivery);
            return;
        } else {
            open = new Txn(lsn);
        }
        if (seq != open.nextSeq) {
            Txn broken = open;
            open = null;
            fail(new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, "Table " + target.source() + ": transaction "
                    + lsn + " message " + seq + " arrived while " + broken.nextSeq + " was expected",
                    "a change message was lost from the staging stream (expired before it was applied); run a full refresh of this table"),
                    delivery, broken);
            return;
        }
        if (snapshot != null && batch instanceof ChangeBatch.Truncate) {
            snapshot.truncate(); // at its stream position: the chunk reads before it are emptied
        }
        open.batches.add(batch);
        open.acks.add(delivery);
        open.rows += rows;
        open.nextSeq++;
        if (last) {
            open.complete = true;
            open.completedAtNanos = System.nanoTime();
            complete.add(open);
            completeTxnRows += open.rows;
            open = null;
        } else if (open.rows >= settings.maxBatchRows() && snapshot == null) {
            stageOpen();
        }
    }

    /**
     * Applies the open transaction's buffered batches to its staged commit (started now if needed) and
     * drops them from memory: the transaction holds more row changes than a batch may, and may be far
     * larger than the heap. Complete transactions buffered before it are committed first — the staged
     * commit must be the table's only writer until it ends, and nothing can join it.
     */
    private void stageOpen() {
        Txn t = open;
        try {
            if (!complete.isEmpty()) {
                flush();
                if (failure != null || open != t) {
                    return;
                }
            }
            if (t.staged == null) {
                t.staged = sink.stage(t.lsn);
                LOG.infof("table %s: transaction %s exceeds %d row changes; applying it in rounds to one staged commit",
                        target.fullName(), t.lsn, settings.maxBatchRows());
            }
            t.staged.round(t.batches);
            t.stagedRows += t.rows;
            t.rows = 0;
            t.batches.clear();
        } catch (TidelineException e) {
            if (e.isRetryable()) {
                throw e;
            }
            fail(e, null);
            return;
        }
        // A long transaction takes many rounds within one fetch: keep its messages from being redelivered.
        keepAlive(System.nanoTime());
    }

    /** The batches of {@code txns}, in source order. */
    private static List<ChangeBatch> batchesOf(List<Txn> txns) {
        List<ChangeBatch> batches = new ArrayList<>();
        for (Txn t : txns) {
            batches.addAll(t.batches);
        }
        return batches;
    }

    /**
     * Whether the buffered complete transactions should be committed now ({@link FlushPolicy}).
     *
     * @param caughtUp nothing more is read for this table before this round's commits
     */
    boolean due(long nowNanos, boolean caughtUp) {
        if (complete.isEmpty() || snapshot != null) {
            return false;
        }
        return complete.peekFirst().staged != null // nothing can join a staged transaction: publish it now
                || flushPolicy.due(complete.size(), pendingRows(), nowNanos - complete.peekFirst().completedAtNanos, caughtUp);
    }

    /**
     * Commits every buffered complete transaction in one sink commit, then acknowledges their
     * messages and tells the listener.
     *
     * @throws TidelineException RETRYABLE (storage unreachable): nothing was acknowledged; retry later
     */
    void flush() {
        if (complete.isEmpty() || snapshot != null) {
            return;
        }
        if (failure != null) {
            dropBuffered();
            return;
        }
        if (complete.peekFirst().staged != null) {
            // Only the first can be staged: staging starts with nothing else buffered, and no other
            // transaction can arrive before the staged one is complete.
            commitStaged(complete.peekFirst());
            if (complete.isEmpty() || failure != null) {
                return;
            }
        }
        List<Txn> txns = new ArrayList<>(complete);
        Lsn last = txns.get(txns.size() - 1).lsn;
        Optional<SinkCommit> outcome;
        try {
            outcome = sink.commit(batchesOf(txns), last);
        } catch (TidelineException e) {
            if (e.isRetryable()) {
                throw e;
            }
            fail(e, null);
            return;
        }
        acknowledge(txns);
        // Empty: already applied (the sink's LSN is at or above it), or only TRUNCATEs of a table never seen.
        applied = Lsn.max(last, sink.appliedLsn());
        LOG.debugf("table %s: %d transactions up to %s → %s", target.fullName(), txns.size(), last,
                outcome.map(o -> "version " + o.version() + ", " + o.filesRemoved() + " files rewritten").orElse("nothing to commit"));
        if (outcome.isPresent()) {
            long rows = txns.stream().mapToLong(t -> t.rows).sum();
            committed(rows, outcome.get());
        }
    }

    /** Publishes a complete staged transaction: its last batches, then its one commit; then acknowledges it. */
    private void commitStaged(Txn t) {
        Optional<SinkCommit> outcome;
        try {
            outcome = t.staged.commit(t.batches);
        } catch (TidelineException e) {
            if (e.isRetryable()) {
                throw e;
            }
            fail(e, null);
            return;
        }
        acknowledge(List.of(t));
        applied = Lsn.max(t.lsn, sink.appliedLsn());
        if (outcome.isPresent()) {
            committed(t.stagedRows + t.rows, outcome.get());
        }
    }

    /** A commit of buffered transactions returned: counts it, reports it, and lets the sink tidy up now and then. */
    private void committed(long rows, SinkCommit outcome) {
        rowsApplied += rows;
        commits++;
        notifyCommitted(rows, outcome);
        if (commits % settings.compactEvery() == 0) {
            sink.maintain();
        }
    }

    /** Acknowledges the messages of {@code txns}, whose commit returned, and the copies held for after it. */
    private void acknowledge(List<Txn> txns) {
        faults.at(ApplyFaults.COMMITTED_BEFORE_ACK);
        for (Txn t : txns) {
            t.acks.ackAll();
            if (complete.remove(t)) {
                completeTxnRows -= t.rows;
            }
        }
        ackAfterCommit.ackAll();
    }

    /**
     * Reports a commit as COMMITTED — unless the table is FAILED: a failure is never painted over. Two
     * ways a commit can coincide with a failure: the changes replayed on top of a snapshot failed after
     * the snapshot's own commit, or another writer marked the table FAILED (the mark in the table is
     * the truth, and this commit was built on top of it). Only a snapshot load clears a failure.
     */
    private void notifyCommitted(long rowChanges, SinkCommit outcome) {
        if (failure != null) {
            return;
        }
        String marked = sink.failure();
        if (marked != null) {
            fail(new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, marked, null), null);
            return;
        }
        try {
            listener.committed(target, sink.location(), applied, rowChanges, outcome);
        } catch (RuntimeException e) {
            LOG.warnf("table %s: recording commit %d failed: %s", target.fullName(), outcome.version(), e.toString());
        }
    }

    private void beginSnapshot(Ack delivery, ChangeBatch.SnapshotBegin begin) {
        if (begin.snapshotId().equals(sink.snapshotId())) {
            // Redelivered after the replacement committed (the crash came before the acks).
            ignoredSnapshotId = begin.snapshotId();
            delivery.ack();
            return;
        }
        if (snapshot != null && snapshot.id.equals(begin.snapshotId())) {
            snapshot.acks.add(delivery); // a resumed snapshot repeats its BEGIN: ignored
            return;
        }
        if (snapshot != null) {
            // A newer snapshot supersedes an unfinished one: what it wrote stays invisible.
            LOG.infof("table %s: snapshot %s superseded by %s", target.fullName(), snapshot.id, begin.snapshotId());
            ackAfterCommit.takeAll(snapshot.acks);
            snapshot = null;
        }
        // Changes buffered before the snapshot are superseded by it when at or below its LSN.
        if (failure == null && sink.exists()) {
            try {
                flush();
            } catch (TidelineException e) {
                if (e.isRetryable()) {
                    throw e;
                }
            }
        }
        if (open != null && open.staged != null) {
            // What the open transaction staged came before BEGIN in the stream, so the snapshot supersedes
            // it (consumer contract); its later batches are replayed on top like any change since BEGIN.
            LOG.infof("table %s: snapshot %s supersedes the staged part of transaction %s", target.fullName(), begin.snapshotId(), open.lsn);
            abandon(open);
        }
        try {
            snapshot = new SnapshotLoad(begin.snapshotId(), begin.validAtLsn(),
                    sink.replace(begin.schema(), begin.snapshotId(), begin.validAtLsn()));
            snapshot.acks.add(delivery);
            LOG.infof("table %s: loading snapshot %s at %s", target.fullName(), begin.snapshotId(), begin.validAtLsn());
        } catch (TidelineException e) {
            if (e.isRetryable()) {
                throw e;
            }
            fail(e, delivery);
        }
    }

    private void snapshotRows(Ack delivery, ChangeBatch.Snapshot rows) {
        if (snapshot == null || !snapshot.id.equals(rows.snapshotId())) {
            if (rows.snapshotId().equals(ignoredSnapshotId) || rows.snapshotId().equals(sink.snapshotId())) {
                delivery.ack();
                return;
            }
            if (failure != null) {
                delivery.ack();
                return;
            }
            fail(new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, "Table " + target.source() + ": rows of snapshot "
                    + rows.snapshotId() + " arrived without its SNAPSHOT_BEGIN",
                    "the start of the snapshot was lost from the staging stream; run a full refresh of this table"), delivery);
            return;
        }
        snapshot.acks.add(delivery);
        if (!snapshot.seen.add(((long) rows.chunk() << 32) | rows.batch())) {
            return; // a copy of a batch already written
        }
        try {
            snapshot.replacement.write(rows.chunk(), rows);
            ChunkRead read = snapshot.reads.computeIfAbsent(rows.chunk(), c -> new ChunkRead());
            read.rows += rows.rows().size();
            if (rows.lastInChunk()) {
                read.complete = true;
            }
        } catch (TidelineException e) {
            if (e.isRetryable()) {
                throw e;
            }
            SnapshotLoad s = snapshot;
            snapshot = null;
            ackAfterCommit.takeAll(s.acks);
            fail(e, null);
        }
    }

    private void finishSnapshot(Ack delivery, ChangeBatch.SnapshotDone done) {
        if (snapshot == null || !snapshot.id.equals(done.snapshotId())) {
            delivery.ack(); // a copy after the commit, or a snapshot we failed
            return;
        }
        SnapshotLoad s = snapshot;
        s.acks.add(delivery);
        // Partial reads (interrupted by a gateway crash) were read again completely: only complete
        // reads count and load, as the contract says; reads before a TRUNCATE count but do not load.
        long completeRows = 0;
        long loadedRows = 0;
        List<Integer> loaded = new ArrayList<>();
        for (Map.Entry<Integer, ChunkRead> e : s.reads.entrySet()) {
            ChunkRead read = e.getValue();
            if (read.complete) {
                completeRows += read.rows;
                if (!read.discarded) {
                    loaded.add(e.getKey());
                    loadedRows += read.rows;
                }
            }
        }
        if (completeRows != done.rowCount()) {
            snapshot = null;
            ackAfterCommit.takeAll(s.acks);
            fail(new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, "Table " + target.source() + ": snapshot " + s.id
                    + " announced " + done.rowCount() + " rows but " + completeRows + " arrived in complete chunk reads",
                    "snapshot messages were lost from the staging stream; run a full refresh of this table"), null);
            return;
        }
        SinkCommit outcome = s.replacement.commit(loaded, loadedRows);
        snapshot = null;
        failure = null;
        rowsApplied += outcome.rowsWritten();
        LOG.infof("table %s: snapshot %s loaded, %d rows, version %d", target.fullName(), s.id, outcome.rowsWritten(),
                outcome.version());
        // The changes since BEGIN, replayed on top (after the last TRUNCATE among them), then the
        // snapshot's own position as the applied LSN; only then is anything acknowledged.
        replayAfterSnapshot(done.validAtLsn());
        s.acks.ackAll();
        applied = sink.appliedLsn();
        notifyCommitted(outcome.rowsWritten(), outcome);
    }

    private void replayAfterSnapshot(Lsn doneLsn) {
        Lsn last = doneLsn;
        for (Txn t : complete) {
            last = Lsn.max(last, t.lsn);
        }
        List<Txn> txns = new ArrayList<>(complete);
        try {
            sink.commitOverSnapshot(batchesOf(txns), last);
        } catch (TidelineException e) {
            if (e.isRetryable()) {
                throw e;
            }
            fail(e, null);
            return;
        }
        acknowledge(txns);
    }

    /**
     * Keeps held messages from being redelivered while a long snapshot or a large transaction loads:
     * JetStream redelivers a message not acknowledged within the ack wait, so every third of it the
     * held ones are marked in progress.
     */
    void keepAlive(long nowNanos) {
        if (nowNanos - lastProgressNanos <= settings.ackWait().toNanos() / 3) {
            return;
        }
        lastProgressNanos = nowNanos;
        if (snapshot != null) {
            snapshot.acks.inProgressAll();
        }
        for (Txn t : complete) {
            t.acks.inProgressAll();
        }
        if (open != null) {
            open.acks.inProgressAll();
        }
        ackAfterCommit.inProgressAll();
    }

    /** Fails the table from outside (a staging gap of the whole stream). */
    void failFromOutside(TidelineException error) {
        fail(error, null);
    }

    private void fail(TidelineException error, Ack delivery, Txn... alsoDrop) {
        if (delivery != null) {
            delivery.ack();
        }
        for (Txn t : alsoDrop) {
            t.acks.ackAll();
            abandon(t);
        }
        boolean first = failure == null;
        failure = error.getMessage() + (error.hint() == null ? "" : " — " + error.hint());
        LOG.errorf("table %s FAILED: %s", target.fullName(), failure);
        dropBuffered();
        try {
            sink.markFailed(failure);
        } catch (TidelineException e) {
            LOG.warnf("table %s: could not record FAILED in the table: %s", target.fullName(), e.getMessage());
        }
        if (first) {
            try {
                listener.failed(target, error);
            } catch (RuntimeException e) {
                LOG.warnf("table %s: reporting FAILED failed: %s", target.fullName(), e.toString());
            }
        }
    }

    /** Drops buffered changes of a FAILED table; a full refresh brings the table back. */
    private void dropBuffered() {
        for (Txn t : complete) {
            t.acks.ackAll();
            abandon(t);
        }
        complete.clear();
        completeTxnRows = 0;
        if (open != null) {
            open.acks.ackAll();
            abandon(open);
            open = null;
        }
        ackAfterCommit.ackAll();
    }

    /** Drops a transaction's staged commit, if any: its files were never referenced by the log. */
    private static void abandon(Txn t) {
        if (t.staged != null) {
            t.staged.abandon();
            t.staged = null;
        }
    }

    @Override
    public String toString() {
        return "TableApplier[" + pipelineId + " " + target.fullName() + "]";
    }
}
