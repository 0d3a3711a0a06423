package dev.tideline.api.pipeline;

import dev.tideline.control.spec.GatewayDefinition;
import dev.tideline.control.spec.IngestionDefinition;
import dev.tideline.control.spec.PipelineSpec;
import dev.tideline.control.spec.SyncedTableSpec;
import dev.tideline.control.status.PipelineState;
import dev.tideline.control.status.PipelineStatus;
import dev.tideline.control.status.SyncedTableStatus;
import dev.tideline.control.status.TableStatus;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.time.Instant;
import java.util.List;

/** The response shapes of the pipelines API (Databricks' GetPipelineResponse, PipelineStateInfo, UpdateInfo). */
public final class PipelineViews {

    private PipelineViews() {
    }

    @RegisterForReflection
    record Created(String pipelineId) {
    }

    @RegisterForReflection
    record UpdateStarted(String updateId) {
    }

    /** Databricks' PipelineSpec, as stored. */
    @RegisterForReflection
    record Spec(String id, String name, boolean continuous, GatewayDefinition gatewayDefinition, IngestionDefinition ingestionDefinition) {
    }

    /** Databricks' UpdateStateInfo: {@code creation_time} is an RFC 3339 string there. */
    @RegisterForReflection
    record UpdateStateInfo(String updateId, String state, String creationTime) {
    }

    /**
     * GET /pipelines/{id}. {@code message} and {@code table_statuses} are Tideline additions: the service's last
     * status message and the per-table progress.
     */
    @RegisterForReflection
    record Pipeline(String pipelineId, String name, Spec spec, String state, String health, String cause, List<UpdateStateInfo> latestUpdates,
                    Long lastModified, String message, List<TableStatus> tableStatuses) {
    }

    /** One entry of GET /pipelines. */
    @RegisterForReflection
    record PipelineStateInfo(String pipelineId, String name, String state, String health, List<UpdateStateInfo> latestUpdates) {
    }

    /** Databricks' ListPipelinesResponse. */
    @RegisterForReflection
    record PipelineList(List<PipelineStateInfo> statuses, String nextPageToken) {
    }

    /** Databricks' ListUpdatesResponse. */
    @RegisterForReflection
    record UpdateList(List<UpdateInfo> updates, String nextPageToken) {
    }

    /** Databricks' UpdateInfo ({@code creation_time} in epoch milliseconds there). */
    @RegisterForReflection
    record UpdateInfo(String pipelineId, String updateId, String state, long creationTime, boolean fullRefresh, String message) {
    }

    @RegisterForReflection
    record Update(UpdateInfo update) {
    }

    static UpdateInfo updateInfo(String pipelineId, PipelineStatus.UpdateStatus update) {
        return new UpdateInfo(pipelineId, update.updateId(), update.state() == null ? null : update.state().name(), update.creationTimeMillis(),
                update.fullRefresh(), update.message());
    }

    static Spec spec(PipelineSpec spec) {
        return new Spec(spec.id(), spec.name(), spec.continuous(), spec.gatewayDefinition(), spec.ingestionDefinition());
    }

    /** The state to show: the service's, or IDLE while no service has reported on the pipeline yet. */
    public static String state(PipelineStatus status) {
        return status == null || status.state() == null ? PipelineState.IDLE.name() : status.state().name();
    }

    /**
     * UNHEALTHY when there is a {@link #cause}: the pipeline FAILED or one of its tables did — a pipeline
     * that keeps running while a table stopped receiving changes is not healthy, whatever its own state says.
     */
    public static String health(String cause) {
        return cause == null ? "HEALTHY" : "UNHEALTHY";
    }

    /** Why the pipeline is unhealthy: its own failure, else each FAILED table with its reason and remedy; null when healthy. */
    public static String cause(PipelineStatus status, List<TableStatus> tables) {
        if (status != null && status.state() == PipelineState.FAILED) {
            // never null for a FAILED pipeline: health is derived from it
            return status.message() != null ? status.message() : "the pipeline FAILED without reporting why";
        }
        List<String> failed = tables.stream().filter(t -> "FAILED".equals(t.state()))
                .map(t -> "table " + t.sourceSchema() + "." + t.sourceTable() + " FAILED: " + t.message()).toList();
        return failed.isEmpty() ? null : String.join("; ", failed);
    }

    static List<UpdateStateInfo> updates(PipelineStatus status) {
        if (status == null) {
            return List.of();
        }
        return status.latestUpdates().stream()
                .map(u -> new UpdateStateInfo(u.updateId(), u.state() == null ? null : u.state().name(),
                        Instant.ofEpochMilli(u.creationTimeMillis()).toString()))
                .toList();
    }

    static Pipeline pipeline(PipelineSpec spec, PipelineStatus status, List<TableStatus> tables) {
        String message = status == null ? "no service has reported on this pipeline yet; "
                + (spec.isGateway() ? "gateway-service" : "apply-service") + " picks it up from the specs bucket" : status.message();
        String cause = cause(status, tables);
        return new Pipeline(spec.id(), spec.name(), spec(spec), state(status), health(cause), cause, updates(status),
                status == null ? null : status.updatedAtMillis(), message, tables);
    }

    /** The pipeline of a synced table: its state derived from the synced table's status. */
    static Pipeline syncedTablePipeline(SyncedTableSpec synced, SyncedTableStatus status) {
        boolean continuous = synced.spec().schedulingPolicy() == SyncedTableSpec.SchedulingPolicy.CONTINUOUS;
        String state;
        if (status == null || status.detailedState() == null) {
            state = PipelineState.STARTING.name();
        } else {
            state = switch (status.detailedState()) {
                case OFFLINE_FAILED, ONLINE_PIPELINE_FAILED -> PipelineState.FAILED.name();
                case PROVISIONING, PROVISIONING_PIPELINE_RESOURCES, PROVISIONING_INITIAL_SNAPSHOT, ONLINE_CONTINUOUS_UPDATE,
                     ONLINE_TRIGGERED_UPDATE, ONLINE_UPDATING_PIPELINE_RESOURCES -> PipelineState.RUNNING.name();
                default -> continuous ? PipelineState.RUNNING.name() : PipelineState.IDLE.name();
            };
        }
        String message = status == null ? "waiting for sync-service to pick up synced table " + synced.name() : status.message();
        return new Pipeline(synced.pipelineId(), synced.name(), new Spec(synced.pipelineId(), synced.name(), continuous, null, null), state,
                PipelineState.FAILED.name().equals(state) ? "UNHEALTHY" : "HEALTHY", PipelineState.FAILED.name().equals(state) ? message : null,
                List.of(), status == null ? null : status.updatedAtMillis(), message, List.of());
    }

    static PipelineStateInfo stateInfo(PipelineSpec spec, PipelineStatus status, List<TableStatus> tables) {
        return new PipelineStateInfo(spec.id(), spec.name(), state(status), health(cause(status, tables)), updates(status));
    }
}
