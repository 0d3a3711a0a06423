package dev.tideline.core;

import java.util.Objects;

/**
 * The position of one change in the source's commit order: the commit LSN of its transaction and its
 * ordinal (0-based) among the changes of that transaction.
 *
 * <p>This is Tideline's single idempotency key, end to end. Two changes with equal keys are the same
 * change, whoever delivered them and however often:
 * <ul>
 *   <li>gateway → JetStream: the {@code Nats-Msg-Id} of a batch is derived from the key of its first
 *       change, so a re-publish after a crash is dropped by the stream's duplicate window;</li>
 *   <li>JetStream → Delta: a Delta commit records the commit LSN of the last source transaction it
 *       holds as its transaction version; anything at or below it is skipped on redelivery;</li>
 *   <li>Delta → Postgres: the synced Delta version is committed with the rows it produced.</li>
 * </ul>
 * Keys order by commit LSN, then ordinal. Snapshot rows are not changes and have no ordering key;
 * they carry the LSN they are valid at instead.
 */
public record OrderingKey(Lsn commitLsn, long ordinal) implements Comparable<OrderingKey> {

    public OrderingKey {
        Objects.requireNonNull(commitLsn, "commitLsn");
        if (ordinal < 0) {
            throw new IllegalArgumentException("ordinal must be >= 0, was " + ordinal);
        }
    }

    @Override
    public int compareTo(OrderingKey other) {
        int byLsn = commitLsn.compareTo(other.commitLsn);
        return byLsn != 0 ? byLsn : Long.compare(ordinal, other.ordinal);
    }

    @Override
    public String toString() {
        return commitLsn + "#" + ordinal;
    }
}
