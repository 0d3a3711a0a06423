package dev.tideline.gateway.capture;

import dev.tideline.core.Lsn;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decides how far the slot may be confirmed: to a transaction's end LSN only once every message of
 * that transaction and of all earlier ones was acknowledged by JetStream.
 *
 * <p>Transactions are queued in commit order with a count of unacknowledged messages. The capture
 * thread opens, counts, seals and {@link #advance()}s; acknowledgements ({@link Txn#acknowledged()})
 * may come from any thread.
 */
final class CommitTracker {

    /** One transaction's unacknowledged messages. */
    static final class Txn {
        private final AtomicInteger pending = new AtomicInteger();
        private volatile Lsn endLsn;

        void published() {
            pending.incrementAndGet();
        }

        void acknowledged() {
            pending.decrementAndGet();
        }

        private boolean done() {
            return endLsn != null && pending.get() == 0;
        }
    }

    private final ArrayDeque<Txn> queue = new ArrayDeque<>();
    private Lsn safe = Lsn.INVALID;

    /** Starts tracking the next transaction in commit order. */
    Txn open() {
        Txn txn = new Txn();
        queue.add(txn);
        return txn;
    }

    /** The transaction is complete: all its messages were handed to the publisher. */
    void seal(Txn txn, Lsn endLsn) {
        txn.endLsn = endLsn;
    }

    /** The highest LSN all of whose transactions are acknowledged; {@link Lsn#INVALID} before the first. */
    Lsn advance() {
        Txn head;
        while ((head = queue.peek()) != null && head.done()) {
            queue.poll();
            safe = Lsn.max(safe, head.endLsn);
        }
        return safe;
    }

    /** Whether no transaction waits for acknowledgements (after {@link #advance()}). */
    boolean isEmpty() {
        return queue.isEmpty();
    }

    int waiting() {
        return queue.size();
    }
}
