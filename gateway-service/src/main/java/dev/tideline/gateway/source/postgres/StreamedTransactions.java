package dev.tideline.gateway.source.postgres;

import dev.tideline.core.TidelineException;
import dev.tideline.core.change.ChangeEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;

/**
 * Turns a pgoutput event sequence that may contain protocol-2 streamed (in-progress) transactions
 * into one that holds committed transactions only: each as Begin, its events, Commit.
 *
 * <p>Events of a streamed transaction are buffered per top-level xid until its StreamCommit, which
 * releases them as Begin(commit LSN) … Commit(end LSN). A StreamAbort for the top-level xid drops
 * the whole buffer; one for a subtransaction drops only the events carrying that subtransaction's
 * xid (pgoutput tags each streamed change with the xid of the (sub)transaction that made it, and
 * sends one abort per aborted subtransaction, nested ones included).
 *
 * <p>Buffers live in memory: a streamed transaction is held whole until it commits. Not thread-safe.
 */
final class StreamedTransactions {

    private final Map<Long, List<ChangeEvent>> buffers = new HashMap<>();
    private final Queue<ChangeEvent> ready = new ArrayDeque<>();
    private long streamingXid;

    /** Feeds the next decoded event; what can be released is queued for {@link #next()}. */
    void accept(ChangeEvent event) {
        if (event instanceof ChangeEvent.StreamStart start) {
            streamingXid = start.xid();
            buffers.computeIfAbsent(start.xid(), x -> new ArrayList<>());
        } else if (event instanceof ChangeEvent.StreamStop) {
            streamingXid = 0;
        } else if (event instanceof ChangeEvent.StreamCommit commit) {
            List<ChangeEvent> events = buffers.remove(commit.xid());
            ready.add(new ChangeEvent.Begin(commit.commitLsn(), commit.commitTime(), commit.xid()));
            if (events != null) {
                ready.addAll(events);
            }
            ready.add(new ChangeEvent.Commit(commit.flags(), commit.commitLsn(), commit.endLsn(), commit.commitTime()));
        } else if (event instanceof ChangeEvent.StreamAbort abort) {
            if (abort.subXid() == abort.xid() || abort.subXid() == 0) {
                buffers.remove(abort.xid());
            } else {
                List<ChangeEvent> events = buffers.get(abort.xid());
                if (events != null) {
                    events.removeIf(e -> xidOf(e) == abort.subXid());
                }
            }
        } else if (streamingXid != 0) {
            List<ChangeEvent> events = buffers.get(streamingXid);
            if (events == null) {
                throw new TidelineException(TidelineException.Kind.FATAL,
                        "streamed change for transaction " + streamingXid + " outside a known stream",
                        "this is a bug in the gateway's handling of pgoutput protocol 2; report it");
            }
            events.add(event);
        } else {
            ready.add(event);
        }
    }

    /** The next event of a committed transaction (or a non-transactional one), or {@code null}. */
    ChangeEvent next() {
        return ready.poll();
    }

    /** Transactions currently buffered (streamed, neither committed nor aborted yet). */
    int bufferedTransactions() {
        return buffers.size();
    }

    /** Buffered events across all in-progress transactions. */
    long bufferedEvents() {
        long n = 0;
        for (List<ChangeEvent> events : buffers.values()) {
            n += events.size();
        }
        return n;
    }

    private static long xidOf(ChangeEvent event) {
        if (event instanceof ChangeEvent.Insert e) {
            return e.xid();
        } else if (event instanceof ChangeEvent.Update e) {
            return e.xid();
        } else if (event instanceof ChangeEvent.Delete e) {
            return e.xid();
        } else if (event instanceof ChangeEvent.Truncate e) {
            return e.xid();
        } else if (event instanceof ChangeEvent.Relation e) {
            return e.xid();
        } else if (event instanceof ChangeEvent.TypeDefinition e) {
            return e.xid();
        } else if (event instanceof ChangeEvent.LogicalMessage e) {
            return e.xid();
        }
        return -1;
    }
}
