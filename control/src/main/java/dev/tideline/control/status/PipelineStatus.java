package dev.tideline.control.status;

import java.util.List;

/**
 * The latest status of a pipeline ({@code pipeline.<id>} in {@code tideline-status}), written only by
 * the service that runs it (gateway-service for gateways, apply-service for ingestion pipelines) and
 * also published on {@link dev.tideline.core.naming.Subjects#pipelineState}.
 *
 * @param pipelineId      the pipeline
 * @param state           its state
 * @param message         the last error and its remedy when FAILED or RECOVERING, else a short summary or null
 * @param latestUpdates   the most recent updates, newest first (at most a handful)
 * @param updatedAtMillis when this status was written
 */
public record PipelineStatus(String pipelineId, PipelineState state, String message, List<UpdateStatus> latestUpdates,
                             long updatedAtMillis) {

    public PipelineStatus {
        latestUpdates = latestUpdates == null ? List.of() : List.copyOf(latestUpdates);
    }

    /**
     * One update (run) of a pipeline.
     *
     * @param updateId          the id from the {@link dev.tideline.control.message.UpdateRequest}, or minted by the service
     * @param state             where it is
     * @param fullRefresh       whether it refreshes tables from a new snapshot
     * @param creationTimeMillis when it was requested
     * @param message           failure reason, or null
     */
    public record UpdateStatus(String updateId, UpdateState state, boolean fullRefresh, long creationTimeMillis, String message) {
    }
}
