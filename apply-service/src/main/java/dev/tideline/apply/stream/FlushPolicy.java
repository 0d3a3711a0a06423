package dev.tideline.apply.stream;

import java.time.Duration;
import java.util.Objects;

/**
 * When a table commits the complete source transactions it has buffered: <b>group commit</b>, bounded
 * by size and age. Pure — no clock, no I/O, same inputs give the same answer.
 *
 * <p>{@link #due} is true exactly when at least one complete transaction is buffered and one of:
 * <ol>
 *   <li><b>size cap</b>: {@code pendingRows >= maxBatchRows};</li>
 *   <li><b>age cap</b>: the oldest waited {@code >= maxBatchDelay} — a bound for every table however
 *       busy the stream, so a quiet table among busy ones is never starved;</li>
 *   <li><b>caught up</b>: nothing more will be read for the table before the commits of this round (the
 *       caller's signal: the stream had no more, or the round read all it may) and the oldest waited
 *       {@code >= minBatchDelay} (default 0: at once).</li>
 * </ol>
 * Otherwise the table keeps reading: messages are waiting for it right now, and committing them
 * together costs one commit instead of many.
 *
 * <p>Why this adapts by itself: at low traffic every pull is short, so a transaction commits as soon
 * as it is complete; at high traffic the transactions that arrive while a commit is being made wait
 * in the stream, and the next pull hands them over together — the batch grows with the arrival rate
 * times the commit time, without a timer. {@code minBatchDelay = maxBatchDelay} restores the former
 * fixed-delay policy (commit when the oldest waited {@code maxBatchDelay}, or at the size cap).
 *
 * <p>The policy only decides <em>when</em>; what a commit holds (whole transactions, acknowledged
 * after it) is {@link TableApplier}'s contract and does not depend on it.
 *
 * @param maxBatchRows       size cap, row changes of complete transactions (≥ 1)
 * @param minBatchDelayNanos how long a caught-up table still waits for more (0 ≤ min ≤ max)
 * @param maxBatchDelayNanos age cap
 */
public record FlushPolicy(int maxBatchRows, long minBatchDelayNanos, long maxBatchDelayNanos) {

    public FlushPolicy {
        if (maxBatchRows < 1 || minBatchDelayNanos < 0 || minBatchDelayNanos > maxBatchDelayNanos) {
            throw new IllegalArgumentException("max-batch-rows >= 1 and 0 <= min-batch-delay <= max-batch-delay required (were "
                    + maxBatchRows + ", " + Duration.ofNanos(minBatchDelayNanos) + ", " + Duration.ofNanos(maxBatchDelayNanos) + ")");
        }
    }

    public static FlushPolicy of(int maxBatchRows, Duration minBatchDelay, Duration maxBatchDelay) {
        Objects.requireNonNull(minBatchDelay, "min-batch-delay");
        Objects.requireNonNull(maxBatchDelay, "max-batch-delay");
        return new FlushPolicy(maxBatchRows, minBatchDelay.toNanos(), maxBatchDelay.toNanos());
    }

    public static FlushPolicy of(ApplySettings settings) {
        return of(settings.maxBatchRows(), settings.minBatchDelay(), settings.maxBatchDelay());
    }

    /**
     * @param pendingTxns      buffered complete transactions (0: nothing to commit)
     * @param pendingRows      their row changes
     * @param oldestWaitNanos  how long the oldest of them has been complete
     * @param caughtUp         nothing more is read for the table before this round's commits
     */
    public boolean due(int pendingTxns, long pendingRows, long oldestWaitNanos, boolean caughtUp) {
        if (pendingTxns <= 0) {
            return false;
        }
        return pendingRows >= maxBatchRows
                || oldestWaitNanos >= maxBatchDelayNanos
                || caughtUp && oldestWaitNanos >= minBatchDelayNanos;
    }
}
