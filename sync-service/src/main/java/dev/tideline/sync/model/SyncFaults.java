package dev.tideline.sync.model;

/**
 * Named points inside a sync where tests inject faults (throw, or kill a server) to prove that a
 * sync stopped anywhere leaves Postgres equal to the Delta table at the recorded version. The
 * service uses {@link #NONE}.
 */
@FunctionalInterface
public interface SyncFaults {

    /** After each data file of a snapshot was copied into the scratch table. */
    String SNAPSHOT_FILE_COPIED = "snapshot.file-copied";
    /** After the scratch table is complete (keys checked), before the swap transaction. */
    String SNAPSHOT_BEFORE_SWAP = "snapshot.before-swap";
    /** Inside the swap transaction, just before COMMIT. */
    String SNAPSHOT_BEFORE_COMMIT = "snapshot.before-commit";
    /** Inside an incremental refresh's transaction, after the changes were applied, before COMMIT. */
    String REFRESH_BEFORE_COMMIT = "refresh.before-commit";

    SyncFaults NONE = point -> {
    };

    /** Called at {@code point}; a test implementation may throw or disrupt a server. */
    void at(String point);
}
