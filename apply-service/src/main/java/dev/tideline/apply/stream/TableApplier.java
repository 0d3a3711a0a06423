package dev.tideline.apply.stream;

import dev.tideline.apply.delta.CommitOutcome;
import dev.tideline.apply.delta.DeltaRows;
import dev.tideline.apply.delta.DeltaTableWriter;
import dev.tideline.apply.delta.PostgresDeltaTypes;
import dev.tideline.apply.delta.RowConverter;
import dev.tideline.apply.delta.RowOp;
import dev.tideline.apply.delta.RowOps;
import dev.tideline.apply.delta.ScdType;
import dev.tideline.apply.delta.TableLayout;
import dev.tideline.core.Lsn;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.wire.ChangeBatch;
import io.delta.kernel.utils.DataFileStatus;
import io.nats.client.Message;
import java.time.Instant;
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
 * Applies the change messages of one source table to its Delta table. Single-threaded (the
 * pipeline's loop).
 *
 * <p><b>Transactions.</b> A table's messages of one source transaction ({@code txnSeq} 0, 1, …,
 * the last flagged) are buffered until the last arrives; complete transactions are committed
 * together in one Delta commit whose transaction identifier is the commit LSN of the last one — a
 * source transaction is never split across commits. Messages are acknowledged only after that
 * commit returned (durable), so a crash at any point redelivers them, and redelivered transactions
 * at or below the table's applied LSN are acknowledged without applying. Of a held message only its
 * acknowledgement is kept ({@link HeldAcks}), never its payload.
 *
 * <p><b>Large transactions.</b> A transaction with more than {@link ApplySettings#maxBatchRows()} row
 * changes is applied while it arrives, in rounds of that many, to one
 * {@link DeltaTableWriter.StagedCommit staged commit} (files written, not referenced), and published by
 * one Delta commit at its last message: memory stays bounded whatever its size, readers still see it
 * whole or not at all.
 *
 * <p><b>Snapshots</b> (the gateway's consumer contract, docs/gateway.md). SNAPSHOT_BEGIN opens a
 * replacement of the table, SNAPSHOT batches are written into uncommitted files per chunk read as
 * they come (copies dropped by read/batch), changes of the table are buffered in stream order, and
 * SNAPSHOT_DONE checks the row count of the complete reads, commits the replacement atomically and
 * replays the buffered changes on top. Readers see the old content until then.
 *
 * <p><b>FAILED.</b> A change Delta cannot take (incompatible type change, unrepresentable value,
 * missing message) fails the table: the reason is recorded in the table itself
 * ({@link DeltaTableWriter#FAILED_PROPERTY}) and reported; later changes are acknowledged and
 * dropped until a full refresh (a new snapshot) replaces the table.
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
        DeltaTableWriter.StagedCommit staged;
        long completedAtNanos;

        Txn(Lsn lsn) {
            this.lsn = lsn;
        }
    }

    /** One read of a snapshot chunk ({@code Tideline-Chunk} is a read number, never reused). */
    private static final class ChunkRead {
        final List<DataFileStatus> files = new ArrayList<>();
        long rows;
        boolean complete;
        boolean discarded;
    }

    /**
     * A snapshot being loaded (gateway contract, docs/gateway.md): rows are written to uncommitted
     * files per chunk read; at DONE the complete reads replace the table and the changes that arrived
     * since BEGIN are replayed on top, in stream order.
     */
    private static final class SnapshotLoad {
        final String id;
        final Lsn lsn;
        final DeltaTableWriter.Replacement replacement;
        final RowConverter converter;
        final Set<Long> seen = new HashSet<>();
        final Map<Integer, ChunkRead> reads = new HashMap<>();
        final HeldAcks acks = new HeldAcks();
        final long startMicros;

        SnapshotLoad(String id, Lsn lsn, DeltaTableWriter.Replacement replacement, RelationSchema schema) {
            this.id = id;
            this.lsn = lsn;
            this.replacement = replacement;
            this.converter = replacement.layout().converter(schema);
            this.startMicros = PostgresDeltaTypes.micros(Instant.now());
        }

        /** A TRUNCATE in the stream empties what the reads so far published. */
        void truncate() {
            reads.values().forEach(r -> r.discarded = true);
        }
    }

    private final String pipelineId;
    private final TableTarget target;
    private final DeltaTableWriter writer;
    private final ApplyListener listener;
    private final ApplySettings settings;
    private final FlushPolicy flushPolicy;

    private final ArrayDeque<Txn> complete = new ArrayDeque<>();
    private Txn open;
    private SnapshotLoad snapshot;
    private final HeldAcks ackAfterCommit = new HeldAcks();
    private long lastProgressNanos = System.nanoTime();
    private final Map<RelationSchema, RowConverter> converters = new HashMap<>();
    private TableLayout converterLayout;
    private Lsn applied;
    private String failure;
    private String ignoredSnapshotId;
    private int commits;
    private long rowsApplied;

    TableApplier(String pipelineId, TableTarget target, DeltaTableWriter writer, ApplyListener listener, ApplySettings settings) {
        this.pipelineId = pipelineId;
        this.target = target;
        this.writer = writer;
        this.listener = listener;
        this.settings = settings;
        this.flushPolicy = FlushPolicy.of(settings);
        this.applied = writer.appliedLsn();
        this.failure = writer.failure();
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
        int n = 0;
        for (Txn t : complete) {
            n += t.rows;
        }
        return n;
    }

    /**
     * Whether the table was loaded at least once: its Delta table exists (the initial snapshot, or a
     * first transaction, was committed) or it failed (nothing more will come until a full refresh).
     */
    boolean loaded() {
        return writer.exists() || isFailed();
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

    /** Takes one message of this table. */
    void accept(Message delivery, ChangeBatch batch) {
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

    private void acceptTxnPart(Message delivery, ChangeBatch batch, Lsn lsn, int seq, boolean last, int rows) {
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
            TableLayout layout = layoutFor(List.of(t));
            if (layout != null) {
                List<RowOp> ops = opsOf(layout, List.of(t));
                if (t.staged == null) {
                    t.staged = writer.stage(t.lsn);
                    LOG.infof("table %s: transaction %s exceeds %d row changes; applying it in rounds to one staged commit",
                            target.fullName(), t.lsn, settings.maxBatchRows());
                }
                t.staged.round(layout, ops);
            }
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

    /**
     * The layout every ROWS batch of {@code txns} fits (a commit has one schema), creating the table
     * from the first one when it does not exist yet; null when the table does not exist and the
     * transactions hold only TRUNCATEs.
     */
    private TableLayout layoutFor(List<Txn> txns) {
        TableLayout layout = writer.exists() ? writer.layout() : null;
        for (Txn t : txns) {
            for (ChangeBatch b : t.batches) {
                if (b instanceof ChangeBatch.Rows rows) {
                    if (layout == null) {
                        writer.create(TableLayout.create(rows.schema(), target.primaryKeys(), target.scdType()));
                        layout = writer.layout();
                    }
                    layout = layout.evolve(rows.schema());
                }
            }
        }
        if (layout != null && !layout.equals(converterLayout)) {
            converters.clear();
            converterLayout = layout;
        }
        return layout;
    }

    /** The row operations of {@code txns}' batches, in source order, as rows of {@code layout}. */
    private List<RowOp> opsOf(TableLayout layout, List<Txn> txns) {
        List<RowOp> ops = new ArrayList<>();
        for (Txn t : txns) {
            for (ChangeBatch b : t.batches) {
                if (b instanceof ChangeBatch.Rows rows) {
                    RowOps.add(rows, converters.computeIfAbsent(rows.schema(), layout::converter), ops);
                } else if (b instanceof ChangeBatch.Truncate truncate) {
                    RowOps.add(truncate, ops);
                }
            }
        }
        return ops;
    }

    /**
     * Whether the buffered complete transactions should be committed now ({@link FlushPolicy}).
     *
     * @param caughtUp no more of this table's messages are immediately available
     */
    boolean due(long nowNanos, boolean caughtUp) {
        if (complete.isEmpty() || snapshot != null) {
            return false;
        }
        return complete.peekFirst().staged != null // nothing can join a staged transaction: publish it now
                || flushPolicy.due(complete.size(), pendingRows(), nowNanos - complete.peekFirst().completedAtNanos, caughtUp);
    }

    /**
     * Commits every buffered complete transaction in one Delta commit, then acknowledges their
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
        CommitOutcome outcome;
        try {
            // First the layout every batch fits (a commit has one schema), then the rows in it.
            TableLayout layout = layoutFor(txns);
            List<RowOp> ops = layout == null ? List.of() : opsOf(layout, txns);
            if (layout == null) {
                // Only TRUNCATEs of a table never seen: nothing to create or clear.
                acknowledge(txns);
                applied = last;
                return;
            }
            outcome = writer.apply(layout, ops, last).orElse(null);
        } catch (TidelineException e) {
            if (e.isRetryable()) {
                throw e;
            }
            fail(e, null);
            return;
        }
        acknowledge(txns);
        applied = writer.appliedLsn();
        LOG.debugf("table %s: %d transactions up to %s → %s", target.fullName(), txns.size(), last,
                outcome == null ? "already applied" : "version " + outcome.version() + ", " + outcome.filesRemoved() + " files rewritten");
        if (outcome != null) {
            long rows = txns.stream().mapToLong(t -> t.rows).sum();
            rowsApplied += rows;
            commits++;
            notifyCommitted(rows, outcome);
            maybeCompact();
        }
    }

    /** Publishes a complete staged transaction: its last batches, then its one commit; then acknowledges it. */
    private void commitStaged(Txn t) {
        Optional<CommitOutcome> outcome;
        try {
            TableLayout layout = layoutFor(List.of(t));
            outcome = t.staged.commit(layout, opsOf(layout, List.of(t)));
        } catch (TidelineException e) {
            if (e.isRetryable()) {
                throw e;
            }
            fail(e, null);
            return;
        }
        acknowledge(List.of(t));
        applied = writer.appliedLsn();
        if (outcome.isPresent()) {
            long rows = t.stagedRows + t.rows;
            rowsApplied += rows;
            commits++;
            notifyCommitted(rows, outcome.get());
            maybeCompact();
        }
    }

    /** Test hook: commits the buffered transactions to Delta and returns without acknowledging. */
    void flushWithoutAck() {
        List<Txn> txns = new ArrayList<>(complete);
        if (txns.isEmpty() || failure != null || snapshot != null) {
            return;
        }
        // Same transactions without their deliveries: the commit happens, no acknowledgement does.
        complete.clear();
        for (Txn t : txns) {
            Txn copy = new Txn(t.lsn);
            copy.batches.addAll(t.batches);
            copy.rows = t.rows;
            copy.stagedRows = t.stagedRows;
            copy.staged = t.staged;
            copy.complete = true;
            complete.add(copy);
        }
        flush();
    }

    private void acknowledge(List<Txn> txns) {
        for (Txn t : txns) {
            t.acks.ackAll();
            complete.remove(t);
        }
        ackAfterCommit.ackAll();
    }

    private void maybeCompact() {
        if (commits % settings.compactEvery() != 0) {
            return;
        }
        try {
            writer.compactIfNeeded();
        } catch (TidelineException e) {
            // Compaction only improves reads; the next attempt retries it.
            LOG.warnf("table %s: compaction failed: %s", target.fullName(), e.getMessage());
        }
    }

    /**
     * Reports a commit as COMMITTED — unless the table is FAILED: a failure is never painted over. Two
     * ways a commit can coincide with a failure: the changes replayed on top of a snapshot failed after
     * the snapshot's own commit, or another writer marked the Delta table FAILED (the table property
     * is the truth, and this commit was built on top of it). Only a snapshot load clears a failure.
     */
    private void notifyCommitted(long rowChanges, CommitOutcome outcome) {
        if (failure != null) {
            return;
        }
        String marked = writer.failure();
        if (marked != null) {
            fail(new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, marked, null), null);
            return;
        }
        try {
            listener.committed(target, writer.tablePath(), applied, rowChanges, outcome);
        } catch (RuntimeException e) {
            LOG.warnf("table %s: recording commit %d failed: %s", target.fullName(), outcome.version(), e.toString());
        }
    }

    private void beginSnapshot(Message delivery, ChangeBatch.SnapshotBegin begin) {
        if (begin.snapshotId().equals(writer.snapshotId())) {
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
            // A newer snapshot supersedes an unfinished one: its staged files stay unreferenced.
            LOG.infof("table %s: snapshot %s superseded by %s", target.fullName(), snapshot.id, begin.snapshotId());
            ackAfterCommit.takeAll(snapshot.acks);
            snapshot = null;
        }
        // Changes buffered before the snapshot are superseded by it when at or below its LSN.
        if (failure == null && writer.exists()) {
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
            TableLayout layout = TableLayout.create(begin.schema(), target.primaryKeys(), target.scdType());
            snapshot = new SnapshotLoad(begin.snapshotId(), begin.validAtLsn(),
                    writer.replace(layout, begin.snapshotId(), begin.validAtLsn()), begin.schema());
            snapshot.acks.add(delivery);
            LOG.infof("table %s: loading snapshot %s at %s", target.fullName(), begin.snapshotId(), begin.validAtLsn());
        } catch (TidelineException e) {
            if (e.isRetryable()) {
                throw e;
            }
            fail(e, delivery);
        }
    }

    private void snapshotRows(Message delivery, ChangeBatch.Snapshot rows) {
        if (snapshot == null || !snapshot.id.equals(rows.snapshotId())) {
            if (rows.snapshotId().equals(ignoredSnapshotId) || rows.snapshotId().equals(writer.snapshotId())) {
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
            List<Object[]> deltaRows = new ArrayList<>(rows.rows().size());
            TableLayout layout = snapshot.replacement.layout();
            RowConverter converter = rows.schema().equals(snapshot.converter.relation()) ? snapshot.converter
                    : layout.converter(rows.schema());
            for (Row row : rows.rows()) {
                Object[] d = converter.toDelta(row, null);
                for (int i = 0; i < d.length; i++) {
                    if (d[i] == DeltaRows.KEEP) {
                        d[i] = null;
                    }
                }
                if (layout.scdType() == ScdType.SCD_TYPE_2) {
                    d[layout.startAtIndex()] = snapshot.startMicros;
                }
                deltaRows.add(d);
            }
            ChunkRead read = snapshot.reads.computeIfAbsent(rows.chunk(), c -> new ChunkRead());
            read.files.addAll(snapshot.replacement.write(deltaRows));
            read.rows += deltaRows.size();
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

    private void finishSnapshot(Message delivery, ChangeBatch.SnapshotDone done) {
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
        List<DataFileStatus> files = new ArrayList<>();
        for (ChunkRead read : s.reads.values()) {
            if (read.complete) {
                completeRows += read.rows;
                if (!read.discarded) {
                    files.addAll(read.files);
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
        CommitOutcome outcome = s.replacement.commit(files, loadedRows);
        snapshot = null;
        failure = null;
        converters.clear();
        converterLayout = null;
        rowsApplied += outcome.rowsWritten();
        LOG.infof("table %s: snapshot %s loaded, %d rows, Delta version %d", target.fullName(), s.id, outcome.rowsWritten(),
                outcome.version());
        // The changes since BEGIN, replayed on top (after the last TRUNCATE among them), then the
        // snapshot's own position as the applied LSN; only then is anything acknowledged.
        replayAfterSnapshot(done.validAtLsn());
        s.acks.ackAll();
        applied = writer.appliedLsn();
        notifyCommitted(outcome.rowsWritten(), outcome);
    }

    private void replayAfterSnapshot(Lsn doneLsn) {
        Lsn last = doneLsn;
        for (Txn t : complete) {
            last = Lsn.max(last, t.lsn);
        }
        List<Txn> txns = new ArrayList<>(complete);
        try {
            TableLayout layout = writer.layout();
            for (Txn t : txns) {
                for (ChangeBatch b : t.batches) {
                    if (b instanceof ChangeBatch.Rows rows) {
                        layout = layout.evolve(rows.schema());
                    }
                }
            }
            List<RowOp> ops = new ArrayList<>();
            for (Txn t : txns) {
                for (ChangeBatch b : t.batches) {
                    if (b instanceof ChangeBatch.Rows rows) {
                        RowOps.add(rows, layout.converter(rows.schema()), ops);
                    } else if (b instanceof ChangeBatch.Truncate truncate) {
                        ops.clear(); // what came before it is gone, and the reads before it were not loaded
                    }
                }
            }
            writer.applyOverSnapshot(layout, ops, last);
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

    private void fail(TidelineException error, Message delivery, Txn... alsoDrop) {
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
            writer.markFailed(failure);
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
