package dev.tideline.gateway.snapshot;

import java.time.Duration;
import java.util.Objects;

/**
 * How snapshots are read.
 *
 * @param rowsPerChunk     the most rows a chunk holds (chunks are held in memory between their watermarks)
 * @param parallelism      chunk reads running at once, over all tables of the gateway
 * @param outcomeTimeout   how long a chunk read waits for the capture to meet its high watermark
 *                         and JetStream to acknowledge its rows before it is read again
 * @param maxReadsPerChunk reads of one chunk before its table is marked FAILED
 * @param retryBackoff     wait before a table whose snapshot failed with a retryable error starts again
 * @param publication      the publication the capture streams, whose column lists and row filters
 *                         the snapshot applies too (so it reads exactly what the stream maintains);
 *                         {@code null} reads whole tables
 * @param chunkBytes       about how many bytes of row data a chunk holds: a table's chunks have
 *                         {@code min(rowsPerChunk, chunkBytes / its average row size)} rows, so narrow
 *                         tables get few large chunks (each chunk costs watermarks, a lock and a progress
 *                         write) and wide ones stay bounded in memory
 */
public record SnapshotSettings(int rowsPerChunk, int parallelism, Duration outcomeTimeout, int maxReadsPerChunk, Duration retryBackoff,
                               String publication, long chunkBytes) {

    /** 32 MiB: measured on 2M narrow rows, 50k-row chunks ran at 0.5–0.76× of one COPY, ~500k-row chunks at 0.81–0.92×. */
    public static final long DEFAULT_CHUNK_BYTES = 32L << 20;

    public static final SnapshotSettings DEFAULT = new SnapshotSettings(1_000_000, 4, Duration.ofMinutes(5), 10, Duration.ofSeconds(10));

    /** Settings reading whole tables (no publication), with chunks of about {@link #DEFAULT_CHUNK_BYTES}. */
    public SnapshotSettings(int rowsPerChunk, int parallelism, Duration outcomeTimeout, int maxReadsPerChunk, Duration retryBackoff) {
        this(rowsPerChunk, parallelism, outcomeTimeout, maxReadsPerChunk, retryBackoff, null, DEFAULT_CHUNK_BYTES);
    }

    /** The same settings, reading what {@code publication} publishes. */
    public SnapshotSettings withPublication(String publication) {
        return new SnapshotSettings(rowsPerChunk, parallelism, outcomeTimeout, maxReadsPerChunk, retryBackoff, publication, chunkBytes);
    }

    /** The same settings with chunks of about {@code chunkBytes}. */
    public SnapshotSettings withChunkBytes(long chunkBytes) {
        return new SnapshotSettings(rowsPerChunk, parallelism, outcomeTimeout, maxReadsPerChunk, retryBackoff, publication, chunkBytes);
    }

    public SnapshotSettings {
        requireAtLeastOne("tideline.gateway.snapshot.rows-per-chunk", rowsPerChunk);
        requireAtLeastOne("tideline.gateway.snapshot.parallelism", parallelism);
        requireAtLeastOne("SnapshotSettings.maxReadsPerChunk", maxReadsPerChunk);
        requireAtLeastOne("tideline.gateway.snapshot.chunk-bytes", chunkBytes);
        Objects.requireNonNull(outcomeTimeout, "outcomeTimeout");
        Objects.requireNonNull(retryBackoff, "retryBackoff");
    }

    private static void requireAtLeastOne(String name, long value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1 (was " + value + ")");
        }
    }
}
