package dev.tideline.core.naming;

import dev.tideline.core.TableId;

/**
 * Keys inside the {@link KvBuckets}. KV keys allow {@code [-/_=.A-Za-z0-9]}; Tideline uses {@code .}
 * to separate parts (so {@code kv.keys("apply.<pipeline>.>")} lists one pipeline's tables), ids
 * verbatim and every name as an {@link IdentifierTokens} token.
 */
public final class KvKeys {

    private KvKeys() {
    }

    /** {@code gateway.<gateway>} in {@link KvBuckets#CHECKPOINTS}: the LSN confirmed to the slot. */
    public static String gatewayCheckpoint(String gatewayId) {
        return "gateway." + ResourceIds.requireValid("gateway id", gatewayId);
    }

    /** {@code apply.<pipeline>.<schema>.<table>} in {@link KvBuckets#CHECKPOINTS}: what apply committed for a source table. */
    public static String tableApplyCheckpoint(String pipelineId, TableId source) {
        return "apply." + ResourceIds.requireValid("pipeline id", pipelineId) + '.' + IdentifierTokens.encode(source.schema())
                + '.' + IdentifierTokens.encode(source.name());
    }

    /**
     * {@code snapshot.<gateway>.<schema>.<table>} in {@link KvBuckets#CHECKPOINTS}: the progress of a table's running
     * snapshot (finished chunks), so a restarted gateway resumes it instead of starting the table over.
     */
    public static String snapshotProgress(String gatewayId, TableId table) {
        return "snapshot." + ResourceIds.requireValid("gateway id", gatewayId) + '.' + IdentifierTokens.encode(table.schema())
                + '.' + IdentifierTokens.encode(table.name());
    }

    /** The KV filter matching the {@link #snapshotProgress} key of every table of a gateway (and no plan page). */
    public static String snapshotProgressAll(String gatewayId) {
        return "snapshot." + ResourceIds.requireValid("gateway id", gatewayId) + ".*.*";
    }

    /**
     * {@code snapshot.<gateway>.<schema>.<table>.plan.<snapshot-id>.<page>} in {@link KvBuckets#CHECKPOINTS}: one page of
     * the chunk plan of a table's snapshot run, written once when the run starts (the progress record above names the run
     * and its page count). Seven tokens, so no progress key (four) is ever one of them.
     *
     * @param snapshotId the run's id: letters, digits, {@code -} and {@code _} only
     */
    public static String snapshotPlanPage(String gatewayId, TableId table, String snapshotId, int page) {
        if (snapshotId == null || !snapshotId.matches("[-_A-Za-z0-9]+")) {
            throw new IllegalArgumentException("snapshot id must be letters, digits, - and _ (was " + snapshotId + ")");
        }
        if (page < 0) {
            throw new IllegalArgumentException("plan page must be >= 0 (was " + page + ")");
        }
        return snapshotProgress(gatewayId, table) + ".plan." + snapshotId + '.' + page;
    }

    /** The KV filter matching every {@link #snapshotPlanPage} of a table, of any run. */
    public static String snapshotPlanPages(String gatewayId, TableId table) {
        return snapshotProgress(gatewayId, table) + ".plan.>";
    }

    /**
     * {@code apply-stream.<pipeline>} in {@link KvBuckets#CHECKPOINTS}: the staging-stream sequence below which an
     * ingestion pipeline has applied everything (where its consumer restarts after a reset).
     */
    public static String applyStreamPosition(String pipelineId) {
        return "apply-stream." + ResourceIds.requireValid("pipeline id", pipelineId);
    }

    /** {@code synced.<name>} in {@link KvBuckets#CHECKPOINTS}: the Delta version a synced table reflects. */
    public static String syncedTableCheckpoint(String syncedTableName) {
        return "synced." + IdentifierTokens.encode(syncedTableName);
    }

    /** {@code pipeline.<id>} in {@link KvBuckets#SPECS} and {@link KvBuckets#STATUS}. */
    public static String pipeline(String pipelineId) {
        return "pipeline." + ResourceIds.requireValid("pipeline id", pipelineId);
    }

    /** {@code synced.<name>} in {@link KvBuckets#SPECS} and {@link KvBuckets#STATUS}. */
    public static String syncedTable(String syncedTableName) {
        return "synced." + IdentifierTokens.encode(syncedTableName);
    }

    /** {@code connection.<name>} in {@link KvBuckets#SPECS}. */
    public static String connection(String connectionName) {
        return "connection." + IdentifierTokens.encode(connectionName);
    }

    /** {@code instance.<name>} in {@link KvBuckets#SPECS}: a registered database instance (an existing Postgres). */
    public static String databaseInstance(String instanceName) {
        return "instance." + IdentifierTokens.encode(instanceName);
    }

    /** {@code catalog.<name>} in {@link KvBuckets#SPECS}: a database catalog (one database on an instance). */
    public static String databaseCatalog(String catalogName) {
        return "catalog." + IdentifierTokens.encode(catalogName);
    }

    /**
     * {@code table.<pipeline>.<schema>.<table>} in {@link KvBuckets#STATUS}: the state of one table of a pipeline
     * (snapshot progress on the gateway side, FAILED with its reason on the apply side).
     */
    public static String tableStatus(String pipelineId, TableId source) {
        return "table." + ResourceIds.requireValid("pipeline id", pipelineId) + '.' + IdentifierTokens.encode(source.schema())
                + '.' + IdentifierTokens.encode(source.name());
    }
}
