package dev.tideline.control.status;

/** The states of one pipeline update (a run), as Databricks names them. */
public enum UpdateState {
    QUEUED,
    /** Requested, but what it needs does not exist yet (an ingestion pipeline whose gateway has not created its stream). */
    WAITING_FOR_RESOURCES,
    INITIALIZING,
    RUNNING,
    COMPLETED,
    FAILED,
    CANCELED
}
