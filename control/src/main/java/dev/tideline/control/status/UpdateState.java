package dev.tideline.control.status;

/** The states of one pipeline update (a run), as Databricks names them. */
public enum UpdateState {
    QUEUED,
    INITIALIZING,
    RUNNING,
    COMPLETED,
    FAILED,
    CANCELED
}
