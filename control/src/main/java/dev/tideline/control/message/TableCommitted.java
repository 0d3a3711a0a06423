package dev.tideline.control.message;

/**
 * "A new version of this Delta table exists", published by apply-service on
 * {@link dev.tideline.core.naming.Subjects#tableCommitted} after the commit is durable and the checkpoint
 * written. sync-service starts CONTINUOUS refreshes on it.
 *
 * @param pipelineId        the ingestion pipeline that committed
 * @param catalog           destination catalog
 * @param schema            destination schema
 * @param table             destination table
 * @param location          the table's root URI
 * @param deltaVersion      the committed version
 * @param lsn               the commit LSN of the last source transaction in it, text form ({@code 0/16B3748})
 * @param committedAtMillis when it was committed
 */
public record TableCommitted(String pipelineId, String catalog, String schema, String table, String location,
                             long deltaVersion, String lsn, long committedAtMillis) {

    /** {@code catalog.schema.table}. */
    public String fullName() {
        return catalog + '.' + schema + '.' + table;
    }
}
