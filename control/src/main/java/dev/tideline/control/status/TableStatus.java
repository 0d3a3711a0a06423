package dev.tideline.control.status;

/**
 * The state of one table of a pipeline ({@code table.<pipeline>.<schema>.<table>} in {@code tideline-status}),
 * written by the service that works on it: gateway-service reports snapshot progress, apply-service what
 * it committed or why the table FAILED.
 *
 * @param pipelineId      the gateway or ingestion pipeline
 * @param sourceSchema    source schema
 * @param sourceTable     source table
 * @param state           e.g. {@code SNAPSHOTTING}, {@code STREAMING}, {@code COMMITTED}, {@code FAILED}
 * @param message         the reason and remedy when FAILED, else null
 * @param rows            rows snapshotted (gateway) or applied (apply) so far
 * @param rowsTotal       estimated rows to snapshot, or null
 * @param lsn             the last source LSN reflected, text form, or null
 * @param deltaVersion    the Delta version committed last, or null
 * @param updatedAtMillis when this was written
 */
public record TableStatus(String pipelineId, String sourceSchema, String sourceTable, String state, String message, Long rows,
                          Long rowsTotal, String lsn, Long deltaVersion, long updatedAtMillis) {
}
