package dev.tideline.control.status;

/** {@code data_synchronization_status.detailed_state} values, as Databricks names them. */
public enum SyncedTableState {
    PROVISIONING,
    PROVISIONING_PIPELINE_RESOURCES,
    PROVISIONING_INITIAL_SNAPSHOT,
    ONLINE,
    ONLINE_CONTINUOUS_UPDATE,
    ONLINE_TRIGGERED_UPDATE,
    ONLINE_NO_PENDING_UPDATE,
    ONLINE_UPDATING_PIPELINE_RESOURCES,
    ONLINE_PIPELINE_FAILED,
    OFFLINE,
    OFFLINE_FAILED
}
