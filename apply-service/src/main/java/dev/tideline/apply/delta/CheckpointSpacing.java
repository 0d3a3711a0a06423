package dev.tideline.apply.delta;

import java.time.Duration;

/**
 * Which of the checkpoints Kernel asks for a writer writes. Kernel asks after every
 * {@code delta.checkpointInterval}-th version (10 by default) whatever the commits weigh; a checkpoint rewrites
 * the table's whole file list into Parquet (~16 ms of CPU for a small table), and what it saves is a cold
 * reader's replay of the JSON commits since the previous one. A table taking many tiny commits asks far more
 * often than its readers gain: at 1,000 tables in one pipeline, checkpoints were 16–21 % of apply's CPU.
 *
 * <p>A request is honoured when this writer has written no checkpoint since it opened the table, when the
 * previous one is at least {@code minAge} old, or when the log holds {@code maxCommits} commits since it;
 * otherwise it is skipped, and Kernel asks again {@code delta.checkpointInterval} versions later. Bound for
 * readers: the commits after the latest checkpoint are fewer than {@code maxCommits} +
 * {@code delta.checkpointInterval}, and a table that commits more than {@code delta.checkpointInterval}
 * times per {@code minAge} is checkpointed about once per {@code minAge}.
 *
 * @param minAge     a checkpoint younger than this is not followed by another unless {@code maxCommits} is reached
 * @param maxCommits commits after a checkpoint at which the next request is honoured whatever its age
 */
public record CheckpointSpacing(Duration minAge, int maxCommits) {

    /**
     * Every 100 commits, or once every ten minutes, whichever comes first (never more often than Kernel asks). The
     * commit count is what bounds a cold reader's replay; the age only keeps a slow table's log from going unchecked
     * for long. It was a minute: then every quiet table of a 1,000-table pipeline wrote a checkpoint every tenth
     * commit (each a request at least a minute after the last), ~0.15 of a core in steady state for readers that
     * replay a few dozen small commits either way.
     */
    public static final CheckpointSpacing DEFAULT = new CheckpointSpacing(Duration.ofMinutes(10), 100);

    /** Every checkpoint Kernel asks for (Kernel's own behaviour). */
    public static final CheckpointSpacing EVERY_REQUEST = new CheckpointSpacing(Duration.ZERO, 1);

    public CheckpointSpacing {
        if (minAge == null || minAge.isNegative() || maxCommits < 1) {
            throw new IllegalArgumentException("tideline.apply.checkpoint-min-age must be 0 or more and "
                    + "tideline.apply.checkpoint-max-commits 1 or more; got " + minAge + " and " + maxCommits);
        }
    }

    /**
     * Whether to write the checkpoint Kernel asks for at {@code version}.
     *
     * @param lastVersion the version of this writer's previous checkpoint, or -1 if it wrote none since it opened
     * @param nanosSince  nanoseconds since that checkpoint was started
     */
    boolean due(long version, long lastVersion, long nanosSince) {
        return lastVersion < 0 || version - lastVersion >= maxCommits || nanosSince >= minAge.toNanos();
    }
}
