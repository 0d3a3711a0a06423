package dev.tideline.control.message;

import java.util.List;

/**
 * "Run an update of this pipeline now", on {@link dev.tideline.core.naming.Subjects#pipelineUpdate}: sent
 * by api-service for {@code POST /api/2.0/pipelines/{id}/updates}, or by anyone (event-driven use).
 * For an ingestion pipeline apply-service applies what is staged (and, for a triggered pipeline, stops);
 * with {@code fullRefresh} the gateway re-snapshots the selected tables and apply replaces them.
 *
 * @param updateId             a UUID naming the update in the pipeline's status; minted by the receiver when null
 * @param fullRefresh          refresh every table of the pipeline from a new snapshot
 * @param fullRefreshSelection refresh only these destination tables ({@code table} or {@code schema.table})
 * @param cause                free text, e.g. {@code API_CALL}, {@code NATS}
 * @param requestedAtMillis    when it was asked for
 */
public record UpdateRequest(String updateId, boolean fullRefresh, List<String> fullRefreshSelection, String cause,
                            long requestedAtMillis) {

    public UpdateRequest {
        fullRefreshSelection = fullRefreshSelection == null ? List.of() : List.copyOf(fullRefreshSelection);
    }

    /** Whether this update refreshes anything from a new snapshot. */
    public boolean refreshesTables() {
        return fullRefresh || !fullRefreshSelection.isEmpty();
    }
}
