package dev.tideline.gateway.snapshot;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.change.ChangeEvent;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.wire.BatchLimits;
import dev.tideline.core.wire.ChangeBatch;
import dev.tideline.core.wire.EncodedMessage;
import dev.tideline.core.wire.EncodedRows;
import dev.tideline.core.wire.WireCodec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * The capture thread's half of the watermark snapshot: it meets the {@link SnapshotMarker}s in the
 * change stream, in WAL order among the committed transactions, and publishes each chunk's rows at
 * its high watermark, brought forward to that position.
 *
 * <p><b>Why this is exact.</b> A chunk is read as: LOW marker, then (in a new REPEATABLE READ
 * transaction) its MVCC snapshot {@code S} and the rows, then the HIGH marker. Every transaction
 * visible in {@code S} finished before {@code S} was taken, so its commit record precedes HIGH and
 * its changes are published before the chunk. Transactions invisible in {@code S} that commit
 * between LOW and HIGH are applied to the chunk's rows here ({@link ChunkOverlay}), by xid. Those
 * committing after HIGH are published after the chunk. What remains is a transaction invisible in
 * {@code S} whose commit record precedes LOW (its commit was written but it had not yet left the
 * proc array when {@code S} was taken): the table's transactions are tracked from the BEGIN
 * marker on, and such a transaction is applied to the chunk from a short history of the table's
 * latest transactions (or, when it is no longer held there, the chunk is read again); transactions committed before
 * BEGIN cannot be one, because the coordinator waits, after BEGIN, until every transaction that
 * had an xid then has ended. So each chunk row published at HIGH is the row's state at HIGH, and a
 * consumer that applies the table's messages in stream order (snapshot rows as upserts) ends with
 * the source's content.
 *
 * <p><b>Threads.</b> Coordinators {@link #register}, {@link #expect} and {@link #offer} from any
 * thread; {@link #sessionStarted}, {@link #begin}, {@link #change}, {@link #commit} and
 * {@link #marker} are called by the capture thread only.
 */
public final class SnapshotWindows {

    private static final Logger LOG = Logger.getLogger(SnapshotWindows.class);
    /**
     * Changes of recent transactions kept per table being snapshotted, so that a transaction that
     * committed just before a chunk's LOW marker yet was invisible to its read can be applied to the
     * chunk instead of reading it again.
     */
    static final long HISTORY_CHANGES = 50_000;

    /** Publishes one message in the capture's current position; completes when JetStream acknowledged it. */
    @FunctionalInterface
    public interface Sink {
        CompletableFuture<Void> publish(EncodedMessage message);
    }

    /**
     * The rows of one chunk read (encoded, in the table's shape at the read) and the visibility of
     * the snapshot they were read in.
     */
    public record ChunkRead(String snapshotId, int read, XidSnapshot visibility, EncodedRows rows, List<MovedKeys.Move> moved) {
        public ChunkRead(String snapshotId, int read, XidSnapshot visibility, EncodedRows rows) {
            this(snapshotId, read, visibility, rows, List.of());
        }
    }

    /**
     * What became of a chunk read.
     *
     * @param published whether its rows are acknowledged by JetStream (else it must be read again)
     * @param rows      rows published
     * @param validAt   the high watermark's LSN
     * @param reason    why it must be read again
     */
    public record Outcome(boolean published, long rows, Lsn validAt, String reason) {
        static Outcome retry(String reason) {
            return new Outcome(false, 0, Lsn.INVALID, reason);
        }
    }

    /** One table snapshot known to the capture. */
    public static final class Registration {
        final String snapshotId;
        final RelationSchema schema;
        final boolean publishBegin;
        /** Completes with the BEGIN marker's LSN once SNAPSHOT_BEGIN (if any) is acknowledged. */
        public final CompletableFuture<Lsn> begun = new CompletableFuture<>();
        /**
         * The answer to the latest DONE marker: its LSN once SNAPSHOT_DONE is acknowledged, or invalid when refused
         * (see {@link #expectDone}).
         */
        volatile CompletableFuture<Lsn> doneAnswer = new CompletableFuture<>();
        /**
         * Set by the coordinator once every chunk is published: from then on, a consumer holds every row
         * as the source has it except the {@link MovedKeys#unsure} ones, so only moves from those need a read.
         */
        volatile boolean chunksPublished;
        volatile long doneRows;
        volatile int doneChunks;
        // Capture thread only:
        boolean tracking;
        long[] trackedXids = new long[64];
        long[] trackedCommits = new long[64];
        int tracked;
        final Map<Integer, Window> windows = new HashMap<>();
        /** The table's latest transactions with their changes, oldest first, at most {@link #HISTORY_CHANGES} changes. */
        final java.util.ArrayDeque<TxnChanges> history = new java.util.ArrayDeque<>();
        long historyChanges;

        Registration(String snapshotId, RelationSchema schema, boolean publishBegin) {
            this.snapshotId = snapshotId;
            this.schema = schema;
            this.publishBegin = publishBegin;
        }

        /** A fresh answer for the next DONE marker (see {@link #doneAnswer}). */
        CompletableFuture<Lsn> expectDone() {
            CompletableFuture<Lsn> answer = new CompletableFuture<>();
            doneAnswer = answer;
            return answer;
        }

        /** Totals SNAPSHOT_DONE reports; set before the DONE marker is written. */
        public void setTotals(long rows, int chunks) {
            doneRows = rows;
            doneChunks = chunks;
        }

        void track(long xid, Lsn commit) {
            if (tracked == trackedXids.length) {
                trackedXids = java.util.Arrays.copyOf(trackedXids, tracked * 2);
                trackedCommits = java.util.Arrays.copyOf(trackedCommits, tracked * 2);
            }
            trackedXids[tracked] = xid;
            trackedCommits[tracked] = commit.value();
            tracked++;
        }
    }

    private record TxnChanges(long xid, Lsn commitLsn, List<ChangeEvent> changes) {
    }

    /** A row the open transaction moved to a new key without sending its unchanged TOASTed values. */
    private record TxnMove(TableId table, List<String> columns, List<Object> values, List<Object> newKey, List<Object> oldKey) {
    }

    private static final class Window {
        final Lsn low;
        final List<TxnChanges> txns = new ArrayList<>();

        Window(Lsn low) {
            this.low = low;
        }
    }

    private final String gatewayId;
    private final BatchLimits limits;
    private final Map<TableId, Registration> byTable = new ConcurrentHashMap<>();
    private final Map<String, Registration> bySnapshot = new ConcurrentHashMap<>();
    private final Map<String, ChunkRead> reads = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Outcome>> outcomes = new ConcurrentHashMap<>();
    /** Tables whose moved rows are watched (see {@link MovedKeys}): from {@link #watch} or a BEGIN marker until settled. */
    private final Map<TableId, MovedKeys> moved = new ConcurrentHashMap<>();

    // Capture thread only:
    private final Map<TableId, List<ChangeEvent>> txnChanges = new LinkedHashMap<>();
    private final List<TxnMove> txnMoves = new ArrayList<>();
    private long txnXid;

    public SnapshotWindows(String gatewayId, BatchLimits limits) {
        this.gatewayId = Objects.requireNonNull(gatewayId, "gatewayId");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    // ---- coordinator side ----

    /**
     * Watches the rows moved in {@code tables} from now on, before their snapshots register: a
     * snapshot that resumes after a restart must learn of the moves the stream replays to it (the
     * slot was not confirmed past them), which come before its run begins. Call before the capture
     * starts; {@link #settle} ends it for a table whose snapshot turns out to be done.
     */
    public void watch(java.util.Collection<TableId> tables) {
        for (TableId table : tables) {
            moved.putIfAbsent(table, new MovedKeys());
        }
    }

    /** Stops watching a table's moved rows and releases their holds: its snapshot is done, or will not go on. */
    public void settle(TableId table) {
        MovedKeys keys = moved.remove(table);
        if (keys != null) {
            keys.releaseAll();
        }
    }

    /** The table's moved rows to read again, or {@code null} when none are watched. */
    MovedKeys movedKeys(TableId table) {
        return moved.get(table);
    }

    /** Makes a table snapshot known; replaces an earlier registration of the same table. */
    public Registration register(String snapshotId, RelationSchema schema, boolean publishBegin) {
        Registration registration = new Registration(snapshotId, schema, publishBegin);
        Registration previous = byTable.put(schema.table(), registration);
        if (previous != null) {
            bySnapshot.remove(previous.snapshotId);
        }
        bySnapshot.put(snapshotId, registration);
        return registration;
    }

    /** Forgets a table snapshot (done, failed or replaced). */
    public void unregister(Registration registration) {
        bySnapshot.remove(registration.snapshotId, registration);
        byTable.remove(registration.schema.table(), registration);
        outcomes.entrySet().removeIf(e -> {
            if (!e.getKey().startsWith(registration.snapshotId + ":")) {
                return false;
            }
            e.getValue().complete(Outcome.retry("snapshot " + registration.snapshotId + " is over"));
            return true;
        });
        reads.keySet().removeIf(k -> k.startsWith(registration.snapshotId + ":"));
    }

    /** The outcome of a chunk read, to be called before its LOW marker is written. */
    public CompletableFuture<Outcome> expect(String snapshotId, int read) {
        return outcomes.computeIfAbsent(key(snapshotId, read), k -> new CompletableFuture<>());
    }

    /** Hands over a chunk's rows; must happen before its HIGH marker is written. */
    public void offer(ChunkRead read) {
        reads.put(key(read.snapshotId(), read.read()), read);
    }

    /** Gives up on a chunk read (the reader failed before HIGH). */
    public void abandon(String snapshotId, int read) {
        reads.remove(key(snapshotId, read));
        outcomes.remove(key(snapshotId, read));
    }

    // ---- capture thread side ----

    /**
     * A new replication session starts: windows opened in the previous one are dropped (their LOW
     * marker is either streamed again, reopening them, or confirmed already, and then their HIGH
     * marker finds no window and the chunk is read again).
     */
    public void sessionStarted() {
        for (Registration r : bySnapshot.values()) {
            r.windows.clear();
        }
        moved.values().forEach(MovedKeys::sessionStarted);
        txnChanges.clear();
        txnMoves.clear();
    }

    public void begin(long xid) {
        txnXid = xid;
        txnChanges.clear();
        txnMoves.clear();
    }

    /** An insert, update, delete or truncate of the open transaction. */
    public void change(ChangeEvent event) {
        if (event instanceof ChangeEvent.Insert e) {
            collect(e.relation().table(), event);
        } else if (event instanceof ChangeEvent.Update e) {
            collect(e.relation().table(), event);
            if (e.oldRowKind() == ChangeEvent.OldRowKind.KEY && moved.containsKey(e.relation().table())) {
                TxnMove move = movedWithoutToast(e);
                if (move != null) {
                    txnMoves.add(move);
                }
            }
        } else if (event instanceof ChangeEvent.Delete e) {
            collect(e.relation().table(), event);
        } else if (event instanceof ChangeEvent.Truncate e) {
            for (RelationSchema relation : e.relations()) {
                collect(relation.table(), event);
            }
        }
    }

    private void collect(TableId table, ChangeEvent event) {
        Registration r = byTable.get(table);
        if (r != null && r.tracking) {
            txnChanges.computeIfAbsent(table, t -> new ArrayList<>()).add(event);
        }
    }

    /**
     * An update that changes the key (pgoutput then sends the old key) and leaves a value unsent as
     * unchanged TOAST, as a move; otherwise {@code null}.
     */
    private static TxnMove movedWithoutToast(ChangeEvent.Update u) {
        int[] keyColumns = RowKey.keyColumns(u.relation());
        Object[] values = new Object[keyColumns.length];
        for (int k = 0; k < keyColumns.length; k++) {
            int column = keyColumns[k];
            // A long key column the update left alone is unsent too; the old key carries it.
            values[k] = u.newRow().isUnchangedToast(column) ? u.oldRow().get(column) : u.newRow().get(column);
        }
        List<Object> newKey = RowKey.ofValues(values);
        List<Object> oldKey = RowKey.of(u.oldRow(), keyColumns);
        if (newKey.equals(oldKey)) {
            return null;
        }
        boolean unsent = false;
        for (int i = 0; i < u.newRow().size() && !unsent; i++) {
            unsent = u.newRow().isUnchangedToast(i) && u.oldRow().get(i) == null;
        }
        if (!unsent) {
            return null;
        }
        List<String> columns = new ArrayList<>(keyColumns.length);
        for (int column : keyColumns) {
            columns.add(u.relation().column(column).name());
        }
        return new TxnMove(u.relation().table(), columns, java.util.Arrays.asList(values), newKey, oldKey);
    }

    /** The open transaction committed (without holding the slot for the rows it moved: for tests). */
    public void commit(Lsn commitLsn) {
        commit(commitLsn, CompletableFuture::new);
    }

    /**
     * The open transaction committed.
     *
     * @param hold a hold on the slot's confirmation at this transaction, released by completing it: taken
     *             for each row it moved that must be read again (see {@link MovedKeys})
     */
    public void commit(Lsn commitLsn, java.util.function.Supplier<CompletableFuture<Void>> hold) {
        for (TxnMove move : txnMoves) {
            MovedKeys keys = moved.get(move.table());
            if (keys == null) {
                continue;
            }
            Registration r = byTable.get(move.table());
            if (r == null || !r.chunksPublished || keys.unsure(move.oldKey())) {
                keys.add(new MovedKeys.Move(move.columns(), move.values(), move.newKey(), txnXid, hold.get()));
            }
        }
        txnMoves.clear();
        for (Map.Entry<TableId, List<ChangeEvent>> e : txnChanges.entrySet()) {
            Registration r = byTable.get(e.getKey());
            if (r == null || !r.tracking) {
                continue;
            }
            r.track(txnXid, commitLsn);
            TxnChanges txn = new TxnChanges(txnXid, commitLsn, e.getValue());
            for (Window w : r.windows.values()) {
                w.txns.add(txn);
            }
            r.history.addLast(txn);
            r.historyChanges += txn.changes().size();
            while (r.historyChanges > HISTORY_CHANGES && r.history.size() > 1) {
                r.historyChanges -= r.history.removeFirst().changes().size();
            }
        }
        txnChanges.clear();
    }

    /**
     * Handles a logical message if it is a snapshot marker.
     *
     * @return whether it was one (markers are never published as messages)
     */
    public boolean marker(ChangeEvent.LogicalMessage message, Sink sink) {
        SnapshotMarker marker = SnapshotMarker.parse(message.prefix(), message.content());
        if (marker == null) {
            return false;
        }
        Registration r = bySnapshot.get(marker.snapshotId());
        if (r == null) {
            return true; // a marker of a run that is over (or of a gateway process that died): nothing to do
        }
        Lsn lsn = message.lsn();
        switch (marker.kind()) {
            case BEGIN -> onBegin(r, lsn, sink);
            case LOW -> {
                if (r.tracking) {
                    r.windows.put(marker.read(), new Window(lsn));
                }
            }
            case HIGH -> onHigh(r, marker.read(), lsn, sink);
            case DONE -> onDone(r, lsn, sink);
        }
        return true;
    }

    private void onBegin(Registration r, Lsn lsn, Sink sink) {
        if (r.publishBegin) {
            // A snapshot from scratch reads every chunk after this point: moves before it are read by them.
            MovedKeys before = moved.put(r.schema.table(), new MovedKeys());
            if (before != null) {
                before.releaseAll();
            }
        } else {
            moved.putIfAbsent(r.schema.table(), new MovedKeys());
        }
        if (!r.tracking) {
            r.tracking = true;
            r.tracked = 0;
            r.history.clear();
            r.historyChanges = 0;
        }
        if (r.publishBegin) {
            sink.publish(WireCodec.encode(gatewayId, new ChangeBatch.SnapshotBegin(r.snapshotId, lsn, r.schema)))
                    .whenComplete((ok, error) -> {
                        if (error == null) {
                            r.begun.complete(lsn);
                        }
                    });
        } else {
            r.begun.complete(lsn);
        }
    }

    private void onHigh(Registration r, int read, Lsn high, Sink sink) {
        String key = key(r.snapshotId, read);
        Window window = r.windows.remove(read);
        ChunkRead chunk = reads.remove(key);
        CompletableFuture<Outcome> outcome = outcomes.remove(key);
        if (outcome == null) {
            return; // the reader gave up
        }
        if (window == null || chunk == null) {
            outcome.complete(Outcome.retry("the low watermark of read " + read + " was not seen in this replication session"));
            return;
        }
        // Transactions that committed before LOW but were still invisible to the read (their commit
        // record was written, they had not yet left the proc array): applied from the history, in
        // commit order, or — when no longer held there — the chunk is read again.
        List<TxnChanges> late = new ArrayList<>();
        for (int i = 0; i < r.tracked; i++) {
            if (r.trackedCommits[i] < window.low.value() && !chunk.visibility().isVisible(r.trackedXids[i])) {
                TxnChanges held = find(r.history, r.trackedXids[i], r.trackedCommits[i]);
                if (held == null) {
                    outcome.complete(Outcome.retry("transaction " + r.trackedXids[i] + " committed at " + Lsn.of(r.trackedCommits[i])
                            + ", before the low watermark " + window.low + ", but was not yet visible to the read's snapshot "
                            + chunk.visibility() + ", and its changes are no longer held"));
                    return;
                }
                late.add(held);
            }
        }
        for (MovedKeys.Move move : chunk.moved()) {
            if (!chunk.visibility().isVisible(move.xid())) {
                outcome.complete(Outcome.retry("transaction " + move.xid() + ", which moved a row this read looks up, was not yet "
                        + "visible to the read's snapshot " + chunk.visibility()));
                return;
            }
        }
        late.sort(java.util.Comparator.comparing(TxnChanges::commitLsn));
        ChunkOverlay overlay = new ChunkOverlay(chunk.rows());
        for (TxnChanges txn : late) {
            txn.changes().forEach(overlay::apply);
        }
        int overlaid = late.size();
        for (TxnChanges txn : window.txns) {
            if (!chunk.visibility().isVisible(txn.xid())) {
                txn.changes().forEach(overlay::apply);
                overlaid++;
            }
        }
        EncodedRows rows = overlay.rows();
        LOG.debugf("snapshot %s of %s: read %d at %s, %d rows read, %d after %d overlaid transactions", r.snapshotId, r.schema.table(),
                read, high, chunk.rows().size(), rows.size(), overlaid);
        List<CompletableFuture<Void>> acks = new ArrayList<>();
        try {
            SnapshotBatches.encode(gatewayId, limits, r.snapshotId, high, read, rows, m -> acks.add(sink.publish(m)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the sink does not throw it; keep the flag for the capture loop
        }
        MovedKeys keys = moved.get(r.schema.table());
        if (keys != null) {
            keys.published(chunk.moved()); // a later move from these keys moves a value the consumer holds
        }
        long count = rows.size();
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).whenComplete((ok, error) -> outcome.complete(
                error == null ? new Outcome(true, count, high, null) : Outcome.retry("publishing the chunk failed: " + error)));
    }

    private static TxnChanges find(java.util.ArrayDeque<TxnChanges> history, long xid, long commit) {
        for (java.util.Iterator<TxnChanges> it = history.descendingIterator(); it.hasNext(); ) {
            TxnChanges txn = it.next();
            if (txn.xid() == xid && txn.commitLsn().value() == commit) {
                return txn;
            }
        }
        return null;
    }

    private void onDone(Registration r, Lsn lsn, Sink sink) {
        MovedKeys keys = moved.get(r.schema.table());
        if (keys != null && !keys.isEmpty()) {
            // Rows moved before this marker are not read again yet: the snapshot goes on until they are.
            r.doneAnswer.complete(Lsn.INVALID);
            return;
        }
        moved.remove(r.schema.table());
        r.tracking = false;
        r.windows.clear();
        r.history.clear();
        sink.publish(WireCodec.encode(gatewayId, new ChangeBatch.SnapshotDone(r.snapshotId, lsn, r.schema.table(), r.doneRows,
                r.doneChunks))).whenComplete((ok, error) -> {
                    if (error == null) {
                        r.doneAnswer.complete(lsn);
                    }
                });
    }

    private static String key(String snapshotId, int read) {
        return snapshotId + ":" + read;
    }
}
