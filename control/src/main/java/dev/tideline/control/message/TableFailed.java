package dev.tideline.control.message;

/**
 * "This Delta table stopped receiving changes", published by apply-service on
 * {@link dev.tideline.core.naming.Subjects#tableFailed} when a table goes FAILED (after its status was
 * written). The table stays FAILED until a full refresh loads it again.
 *
 * @param pipelineId     the ingestion pipeline
 * @param catalog        destination catalog
 * @param schema         destination schema
 * @param table          destination table
 * @param message        what went wrong, naming the table and, where known, the column and LSN
 * @param remedy         what the operator does about it (e.g. "run a full refresh of this table"), or null
 * @param failedAtMillis when it failed
 */
public record TableFailed(String pipelineId, String catalog, String schema, String table, String message, String remedy,
                          long failedAtMillis) {
}
