package dev.tideline.control.status;

/** The states of a pipeline, as Databricks names them. */
public enum PipelineState {
    /** Created, nothing running (a triggered pipeline between updates). */
    IDLE,
    STARTING,
    RUNNING,
    /** A failure the service retries by itself (e.g. source or NATS unreachable). */
    RECOVERING,
    /** Stopped on an error that needs an operator; {@code message} says what to do. */
    FAILED,
    STOPPING,
    DELETED
}
