package dev.tideline.sync.engine;

import java.time.Duration;

/**
 * What one sync did.
 *
 * @param mode        how it ran
 * @param fromVersion the version synced before ({@code -1}: none)
 * @param toVersion   the version Postgres equals now
 * @param rowsApplied rows written (a snapshot counts every row; a refresh upserts plus deletes)
 * @param duration    wall-clock time
 * @param reason      why this mode was chosen, for logs and the status message
 * @param sourceCommitAtMillis the commit time of {@code toVersion} in the Delta log, {@code -1} when unknown
 */
public record SyncOutcome(Mode mode, long fromVersion, long toVersion, long rowsApplied, Duration duration, String reason,
        long sourceCommitAtMillis) {

    public enum Mode {
        /** The whole table was copied and swapped in. */
        SNAPSHOT,
        /** Only the row changes since the synced version were applied. */
        INCREMENTAL,
        /** Postgres already equalled the newest version. */
        NONE
    }
}
