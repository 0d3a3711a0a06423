package dev.tideline.gateway.snapshot;

import java.util.List;

/**
 * One chunk of a table: the rows whose chunking key is at or above {@code lower} and below
 * {@code upper} (a missing bound is unbounded). Bounds are the key values' text forms, in index
 * column order; for a table chunked by ctid, one block number each. Chunks of a table cover its
 * whole key space, so rows inserted after planning still fall into exactly one chunk.
 */
public record ChunkRange(List<String> lower, List<String> upper) {

    public ChunkRange {
        lower = lower == null ? null : List.copyOf(lower);
        upper = upper == null ? null : List.copyOf(upper);
    }

    /** The whole table as one chunk. */
    public static ChunkRange all() {
        return new ChunkRange(null, null);
    }
}
