package dev.tideline.gateway.snapshot;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Rows of one table that an update moved to a new key without sending the values it left unchanged
 * in TOAST, while the table's snapshot runs — rows the stream alone cannot give a consumer.
 *
 * <p><b>Why.</b> pgoutput sends an unchanged out-of-line value as "unchanged TOAST", and the
 * consumer keeps the value the row had. When the update also changes the key ({@code UPDATE … SET
 * id = …}), the consumer takes the value from the old key — which, during a snapshot, it may not
 * hold yet (the old key's chunk is published later, or was read after the move and no longer has
 * it). No chunk puts it right: the new key's chunk was read before the move, or after it in a
 * window where the chunk must not re-assert a key it did not read. So each such row is read again
 * by its new key, between watermarks like a chunk, after the move; the snapshot is not DONE until
 * every moved row is, and the slot is not confirmed past the move until then (so a crash streams
 * the move again, and it is found again).
 *
 * <p>Threads: the capture thread {@link #add}s; the table's coordinator {@link #peek}s and marks
 * {@link #served}.
 */
final class MovedKeys {

    /**
     * One moved row.
     *
     * @param columns the key's columns, by name, in table order
     * @param values  the new key's values, as decoded from the stream
     * @param key     the same, comparable ({@link RowKey})
     * @param xid     the transaction that moved the row: a read that does not see it cannot serve
     * @param hold    held in the capture's confirmation of the slot until the row is published again
     */
    record Move(List<String> columns, List<Object> values, List<Object> key, long xid, CompletableFuture<Void> hold) {
    }

    private final ConcurrentLinkedQueue<Move> queued = new ConcurrentLinkedQueue<>();
    /**
     * Capture thread only: keys queued to be read again (with how many moves queued each), whose value
     * at a consumer is not yet the source's — a row moved on from one of them is moved from a value the
     * consumer does not hold either.
     */
    private final Map<List<Object>, Integer> unsure = new HashMap<>();

    /** Capture thread: queues a moved row. */
    void add(Move move) {
        countUnsure(move);
        queued.add(move);
    }

    private void countUnsure(Move move) {
        unsure.merge(move.key(), 1, Integer::sum);
    }

    /** Capture thread: whether a consumer may not hold the row under {@code key} as the source has it. */
    boolean unsure(List<Object> key) {
        return unsure.containsKey(key);
    }

    /** Capture thread: the moves' rows are published again, in stream order from here. */
    void published(List<Move> moves) {
        for (Move move : moves) {
            unsure.computeIfPresent(move.key(), (k, n) -> n == 1 ? null : n - 1);
        }
    }

    /** The oldest queued moves, at most {@code max}. */
    List<Move> peek(int max) {
        List<Move> batch = new ArrayList<>();
        for (Iterator<Move> it = queued.iterator(); it.hasNext() && batch.size() < max; ) {
            batch.add(it.next());
        }
        return batch;
    }

    /** Removes a batch {@link #peek} returned, now published again, and releases its holds. */
    void served(List<Move> batch) {
        for (Move move : batch) {
            queued.remove(move); // at the head, unless released meanwhile by a run that starts afresh
            move.hold().complete(null);
        }
    }

    /**
     * Capture thread, at the start of a replication session: every key still queued is unsure again. A re-read's rows
     * leave the unsure set when the capture hands them to the stream, but they are only published once JetStream
     * acknowledged them — and a failed publish ends the session, so it is queued (and unsure) again.
     */
    void sessionStarted() {
        unsure.clear();
        queued.forEach(this::countUnsure);
    }

    boolean isEmpty() {
        return queued.isEmpty();
    }

    /** Releases every hold: the moves no longer matter (the snapshot is over, or starts afresh). */
    void releaseAll() {
        for (Move move; (move = queued.poll()) != null; ) {
            move.hold().complete(null);
        }
    }
}
