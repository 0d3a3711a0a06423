package dev.tideline.control.message;

/**
 * "Refresh this synced table now", on {@link dev.tideline.core.naming.Subjects#syncedTableRefresh}: sent by
 * api-service for {@code POST /api/2.0/pipelines/{synced table's pipeline_id}/updates}, or by anyone.
 *
 * @param requestId         a UUID, echoed in the refreshed event; minted by the receiver when null
 * @param fullRefresh       replace the Postgres table by a new snapshot instead of applying changes
 * @param requestedAtMillis when it was asked for
 */
public record RefreshRequest(String requestId, boolean fullRefresh, long requestedAtMillis) {
}
