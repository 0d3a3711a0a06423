package dev.tideline.gateway.snapshot;

import java.time.Duration;
import java.util.Objects;

/**
 * How snapshots are read.
 *
 * @param rowsPerChunk     rows per chunk (chunks are held in memory between their watermarks)
 * @param parallelism      chunk reads running at once, over all tables of the gateway
 * @param outcomeTimeout   how long a chunk read waits for the capture to meet its high watermark
 *                         and JetStream to acknowledge its rows before it is read again
 * @param maxReadsPerChunk reads of one chunk before its table is marked FAILED
 * @param retryBackoff     wait before a table whose snapshot failed with a retryable error starts again
 * @param publication      the publication the capture streams, whose column lists and row filters
 *                         the snapshot applies too (so it reads exactly what the stream maintains);
 *                         {@code null} reads whole tables
 */
public record SnapshotSettings(int rowsPerChunk, int parallelism, Duration outcomeTimeout, int maxReadsPerChunk, Duration retryBackoff,
                               String publication) {

    public static final SnapshotSettings DEFAULT = new SnapshotSettings(20_000, 4, Duration.ofMinutes(5), 10, Duration.ofSeconds(10));

    /** Settings reading whole tables (no publication). */
    public SnapshotSettings(int rowsPerChunk, int parallelism, Duration outcomeTimeout, int maxReadsPerChunk, Duration retryBackoff) {
        this(rowsPerChunk, parallelism, outcomeTimeout, maxReadsPerChunk, retryBackoff, null);
    }

    /** The same settings, reading what {@code publication} publishes. */
    public SnapshotSettings withPublication(String publication) {
        return new SnapshotSettings(rowsPerChunk, parallelism, outcomeTimeout, maxReadsPerChunk, retryBackoff, publication);
    }

    public SnapshotSettings {
        if (rowsPerChunk < 1 || parallelism < 1 || maxReadsPerChunk < 1) {
            throw new IllegalArgumentException("rowsPerChunk, parallelism and maxReadsPerChunk must be >= 1");
        }
        Objects.requireNonNull(outcomeTimeout, "outcomeTimeout");
        Objects.requireNonNull(retryBackoff, "retryBackoff");
    }
}
