package dev.tideline.apply.stream;

import java.time.Duration;
import java.util.Objects;

/**
 * How an applier consumes and batches.
 *
 * @param fetchSize      messages asked for per pull (at most; see {@code fetchBytes})
 * @param fetchWait      how long a pull waits for a first message when the stream has none for the
 *                       consumer (a pull returns as soon as no more are pending)
 * @param maxBatchRows   a table commits once this many row changes of complete transactions are buffered;
 *                       a transaction with more is applied in rounds of this many to one staged commit
 * @param maxBatchDelay  … or once its oldest complete transaction has waited this long
 * @param ackWait        JetStream redelivers a message not acknowledged within this time (held
 *                       snapshot messages are kept alive with progress acks)
 * @param maxAckPending  unacknowledged messages the server lets the applier hold (a whole snapshot is
 *                       held until its last batch arrives)
 * @param compactEvery   look for small files to compact every this many commits of a table
 * @param fetchBytes     fetched messages are held in memory together (with their payloads) until routed:
 *                       a pull asks for at most {@code fetchBytes / server max_payload} messages, so a
 *                       pull of the largest possible messages stays within this many bytes
 * @param minBatchDelay  a table that is caught up (no more of its messages available now) commits once
 *                       its oldest complete transaction waited this long; 0 = at once (group commit,
 *                       see {@link FlushPolicy}); {@code maxBatchDelay} = the former fixed delay
 * @param commitThreads  tables of one pipeline that commit at once: a commit mostly waits (fsync, object
 *                       store round trips, the control plane's KV writes), so with many tables due together
 *                       overlapping their commits is what keeps every table's latency low; 1 = one after another
 */
public record ApplySettings(int fetchSize, Duration fetchWait, int maxBatchRows, Duration maxBatchDelay, Duration ackWait,
                            int maxAckPending, int compactEvery, long fetchBytes, Duration minBatchDelay, int commitThreads) {

    public static final ApplySettings DEFAULT = new ApplySettings(1000, Duration.ofMillis(250), 50_000, Duration.ofSeconds(1),
            Duration.ofSeconds(60), 1_000_000, 20, 64L * 1024 * 1024, Duration.ZERO, 4);

    public ApplySettings {
        Objects.requireNonNull(fetchWait, "fetchWait");
        Objects.requireNonNull(maxBatchDelay, "maxBatchDelay");
        Objects.requireNonNull(ackWait, "ackWait");
        // Named as an operator sets them: properties of ApplyConfig by their key, the rest as fields of this record.
        requireAtLeastOne("tideline.apply.fetch-size", fetchSize);
        requireAtLeastOne("tideline.apply.max-batch-rows", maxBatchRows);
        requireAtLeastOne("ApplySettings.maxAckPending", maxAckPending);
        requireAtLeastOne("ApplySettings.compactEvery", compactEvery);
        requireAtLeastOne("ApplySettings.fetchBytes", fetchBytes);
        requireAtLeastOne("tideline.apply.commit-threads", commitThreads);
        if (ackWait.toMillis() < 1000) {
            throw new IllegalArgumentException("tideline.apply.ack-wait must be >= 1s (was " + ackWait + ")");
        }
    }

    private static void requireAtLeastOne(String name, long value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1 (was " + value + ")");
        }
    }

    public ApplySettings withMaxBatchRows(int rows) {
        return new ApplySettings(fetchSize, fetchWait, rows, maxBatchDelay, ackWait, maxAckPending, compactEvery, fetchBytes, minBatchDelay, commitThreads);
    }

    public ApplySettings withMaxBatchDelay(Duration delay) {
        return new ApplySettings(fetchSize, fetchWait, maxBatchRows, delay, ackWait, maxAckPending, compactEvery, fetchBytes, minBatchDelay, commitThreads);
    }

    public ApplySettings withAckWait(Duration wait) {
        return new ApplySettings(fetchSize, fetchWait, maxBatchRows, maxBatchDelay, wait, maxAckPending, compactEvery, fetchBytes, minBatchDelay, commitThreads);
    }

    public ApplySettings withFetchSize(int size) {
        return new ApplySettings(size, fetchWait, maxBatchRows, maxBatchDelay, ackWait, maxAckPending, compactEvery, fetchBytes, minBatchDelay, commitThreads);
    }

    public ApplySettings withFetchBytes(long bytes) {
        return new ApplySettings(fetchSize, fetchWait, maxBatchRows, maxBatchDelay, ackWait, maxAckPending, compactEvery, bytes, minBatchDelay, commitThreads);
    }

    public ApplySettings withFetchWait(Duration wait) {
        return new ApplySettings(fetchSize, wait, maxBatchRows, maxBatchDelay, ackWait, maxAckPending, compactEvery, fetchBytes, minBatchDelay, commitThreads);
    }

    public ApplySettings withMinBatchDelay(Duration delay) {
        return new ApplySettings(fetchSize, fetchWait, maxBatchRows, maxBatchDelay, ackWait, maxAckPending, compactEvery, fetchBytes, delay, commitThreads);
    }

    public ApplySettings withCommitThreads(int threads) {
        return new ApplySettings(fetchSize, fetchWait, maxBatchRows, maxBatchDelay, ackWait, maxAckPending, compactEvery, fetchBytes, minBatchDelay,
                threads);
    }

    /** Messages to ask for per pull when no message can exceed {@code maxPayload} bytes. */
    public int fetchCount(long maxPayload) {
        return (int) Math.max(1, Math.min(fetchSize, fetchBytes / Math.max(1, maxPayload)));
    }
}
