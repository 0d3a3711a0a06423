package dev.tideline.apply.delta;

/**
 * What one Delta commit did.
 *
 * @param version       the Delta version committed
 * @param rowsWritten   rows in the files added (new row versions; on compaction and refresh, every row written)
 * @param filesAdded    new data files added
 * @param filesRemoved  existing data files whose entry was replaced: re-added with a new deletion vector,
 *                      or removed (all rows deleted, compacted, replaced)
 * @param filesSearched existing data files whose key columns were searched for the batch's keys (the
 *                      files their statistics could not rule out)
 * @param commitMillis  time from the start of the apply to the durable commit
 */
public record CommitOutcome(long version, long rowsWritten, int filesAdded, int filesRemoved, int filesSearched, long commitMillis) {
}
