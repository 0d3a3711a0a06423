package dev.tideline.apply.delta;

/**
 * What one Delta commit did.
 *
 * @param version       the Delta version committed
 * @param rowsWritten   rows in the files added (rewritten rows included)
 * @param filesAdded    data files added
 * @param filesRemoved  data files removed (rewritten by copy-on-write, or replaced)
 * @param commitMillis  time from the start of the apply to the durable commit
 */
public record CommitOutcome(long version, long rowsWritten, int filesAdded, int filesRemoved, long commitMillis) {
}
