package dev.tideline.sync.delta;

import java.nio.file.Path;

/**
 * How much of a refresh's changed rows may be folded in memory, and where the rest waits.
 *
 * @param memoryBytes the most heap (as {@link ChangeImage#heapBytes()} counts it) the rows read for one
 *                    refresh, or for one partition of it, may take while folded; past it the refresh
 *                    folds in key-hash partitions spilled to {@code spillRoot}
 * @param partitions  how many partitions one spill splits into (2..1024); a partition still over
 *                    {@code memoryBytes} is split again the same way
 * @param spillRoot   the directory under which each spilling refresh makes its own directory
 */
public record FoldLimits(long memoryBytes, int partitions, Path spillRoot) {

    /** 64 MiB: with the fold's maps about 2× that in heap, comfortable in a 512 MiB service. */
    public static final long DEFAULT_MEMORY_BYTES = 64L << 20;
    /** Partitions per spill: each open partition file has a 64 KiB write buffer, so 4 MiB of them. */
    public static final int DEFAULT_PARTITIONS = 64;
    /** Nothing spilled, whatever the size: for tests that inspect the in-memory result. */
    public static final FoldLimits UNBOUNDED = new FoldLimits(Long.MAX_VALUE, DEFAULT_PARTITIONS, defaultSpillRoot());

    public FoldLimits {
        if (memoryBytes < 1) {
            throw new IllegalArgumentException("tideline.sync.fold-memory must be > 0 (was " + memoryBytes + ")");
        }
        if (partitions < 2 || partitions > 1024) {
            throw new IllegalArgumentException("tideline.sync.fold-partitions must be between 2 and 1024 (was " + partitions + ")");
        }
    }

    /** The defaults, spilling under the JVM's temporary directory. */
    public static FoldLimits defaults() {
        return new FoldLimits(DEFAULT_MEMORY_BYTES, DEFAULT_PARTITIONS, defaultSpillRoot());
    }

    /** {@code <java.io.tmpdir>/tideline-sync-spill}. */
    public static Path defaultSpillRoot() {
        return Path.of(System.getProperty("java.io.tmpdir"), "tideline-sync-spill");
    }
}
