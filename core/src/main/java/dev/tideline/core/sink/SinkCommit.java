package dev.tideline.core.sink;

/**
 * What one commit of a {@link TableSink} did.
 *
 * @param version       the table version committed (a Delta version; a counter in memory)
 * @param rowsWritten   rows written (new row versions; on compaction and replacement, every row written)
 * @param filesAdded    data files added
 * @param filesRemoved  existing data files replaced or removed
 * @param filesSearched existing data files searched for the batch's keys
 * @param commitMillis  time from the start of the apply to the durable commit
 */
public record SinkCommit(long version, long rowsWritten, int filesAdded, int filesRemoved, int filesSearched, long commitMillis) {
}
