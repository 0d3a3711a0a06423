package dev.tideline.api.synced;

import dev.tideline.control.spec.SyncedTableSpec;
import dev.tideline.control.spec.SyncedTableSpec.SchedulingPolicy;
import dev.tideline.control.status.SyncedTableState;
import dev.tideline.control.status.SyncedTableStatus;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.time.Instant;
import java.util.List;

/**
 * The response shape of synced tables: Databricks' SyncedDatabaseTable, with {@code data_synchronization_status}
 * built from the {@link SyncedTableStatus} sync-service writes. Pure functions.
 */
public final class SyncedTableViews {

    private SyncedTableViews() {
    }

    @RegisterForReflection
    public record SyncedTable(String name, String databaseInstanceName, String logicalDatabaseName, String effectiveDatabaseInstanceName,
                              String effectiveLogicalDatabaseName, Spec spec, SyncStatus dataSynchronizationStatus,
                              String unityCatalogProvisioningState) {
    }

    /** Databricks' ListSyncedDatabaseTablesResponse. */
    @RegisterForReflection
    public record SyncedTableList(List<SyncedTable> syncedTables, String nextPageToken) {
    }

    @RegisterForReflection
    public record Spec(String sourceTableFullName, List<String> primaryKeyColumns, String timeseriesKey, String schedulingPolicy,
                       Boolean createDatabaseObjectsIfMissing, SyncedTableSpec.NewPipelineSpec newPipelineSpec, String invalidCharacters) {
    }

    /** Databricks' SyncedTableStatus: exactly one of the four detail objects is set, matching the state. */
    @RegisterForReflection
    public record SyncStatus(String detailedState, String message, String pipelineId, LastSync lastSync, Position continuousUpdateStatus,
                             Position triggeredUpdateStatus, Position failedStatus, Provisioning provisioningStatus) {
    }

    @RegisterForReflection
    public record Position(Long lastProcessedCommitVersion, String timestamp) {
    }

    @RegisterForReflection
    public record Provisioning(Position initialPipelineSyncProgress) {
    }

    @RegisterForReflection
    public record LastSync(DeltaTableSyncInfo deltaTableSyncInfo, String syncEndTimestamp) {
    }

    @RegisterForReflection
    public record DeltaTableSyncInfo(Long deltaCommitVersion, String deltaCommitTimestamp) {
    }

    public static SyncedTable of(SyncedTableSpec spec, SyncedTableStatus status) {
        SyncedTableSpec.Definition d = spec.spec();
        Spec view = new Spec(d.sourceTableFullName(), d.primaryKeyColumns(), d.timeseriesKey(),
                d.schedulingPolicy() == null ? null : d.schedulingPolicy().name(), d.createDatabaseObjectsIfMissing(), d.newPipelineSpec(),
                d.invalidCharacters() == null ? null : d.invalidCharacters().name());
        return new SyncedTable(spec.name(), spec.databaseInstanceName(), spec.logicalDatabaseName(), spec.databaseInstanceName(),
                spec.logicalDatabaseName(), view, status(spec, status), "ACTIVE");
    }

    /** Databricks' enum spelling: {@code SYNCED_TABLE_<state>}, including its historic {@code SYNCED_TABLED_OFFLINE}. */
    public static String detailedState(SyncedTableState state) {
        return state == SyncedTableState.OFFLINE ? "SYNCED_TABLED_OFFLINE" : "SYNCED_TABLE_" + state.name();
    }

    static SyncStatus status(SyncedTableSpec spec, SyncedTableStatus status) {
        if (status == null || status.detailedState() == null) {
            return new SyncStatus(detailedState(SyncedTableState.PROVISIONING), "waiting for sync-service to pick up the synced table",
                    spec.pipelineId(), null, null, null, null, new Provisioning(null));
        }
        Position position = new Position(status.lastSyncedVersion(), time(status.lastSyncedAtMillis()));
        LastSync lastSync = status.lastSyncedVersion() == null ? null
                : new LastSync(new DeltaTableSyncInfo(status.lastSyncedVersion(), time(status.sourceCommitAtMillis())),
                time(status.lastSyncedAtMillis()));
        Position continuous = null;
        Position triggered = null;
        Position failed = null;
        Provisioning provisioning = null;
        switch (status.detailedState()) {
            case PROVISIONING, PROVISIONING_PIPELINE_RESOURCES, PROVISIONING_INITIAL_SNAPSHOT ->
                    provisioning = new Provisioning(status.lastSyncedVersion() == null ? null : position);
            case OFFLINE_FAILED, ONLINE_PIPELINE_FAILED -> failed = position;
            case ONLINE_CONTINUOUS_UPDATE -> continuous = position;
            case ONLINE_TRIGGERED_UPDATE, ONLINE_NO_PENDING_UPDATE -> triggered = position;
            default -> {
                if (spec.spec().schedulingPolicy() == SchedulingPolicy.CONTINUOUS) {
                    continuous = position;
                } else {
                    triggered = position;
                }
            }
        }
        return new SyncStatus(detailedState(status.detailedState()), status.message(), spec.pipelineId(), lastSync, continuous, triggered,
                failed, provisioning);
    }

    private static String time(Long millis) {
        return millis == null ? null : Instant.ofEpochMilli(millis).toString();
    }
}
