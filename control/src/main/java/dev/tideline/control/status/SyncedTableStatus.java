package dev.tideline.control.status;

/**
 * The latest status of a synced table ({@code synced.<name>} in {@code tideline-status}), written by
 * sync-service and published on {@link dev.tideline.core.naming.Subjects#syncedTableState}. api-service
 * turns it into Databricks' {@code data_synchronization_status}.
 *
 * @param name                 the synced table's full name
 * @param pipelineId           its pipeline id
 * @param detailedState        {@link SyncedTableState}
 * @param message              human-readable status, with the remedy when failed
 * @param lastSyncedVersion    the Delta version the Postgres table reflects, or null before the first sync
 * @param lastSyncedAtMillis   when that version was synced, or null
 * @param sourceCommitAtMillis the commit time of that Delta version, or null
 * @param rowsApplied          rows written by the last refresh
 * @param totalRowsApplied     rows written since creation
 * @param updatedAtMillis      when this status was written
 */
public record SyncedTableStatus(String name, String pipelineId, SyncedTableState detailedState, String message,
                                Long lastSyncedVersion, Long lastSyncedAtMillis, Long sourceCommitAtMillis, long rowsApplied,
                                long totalRowsApplied, long updatedAtMillis) {
}
