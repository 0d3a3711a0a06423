package dev.tideline.control.spec;

/**
 * A pipeline as stored in KV ({@code pipeline.<id>} in {@code tideline-specs}): exactly one of
 * {@link #gatewayDefinition} (an ingestion gateway, run by gateway-service) and
 * {@link #ingestionDefinition} (an ingestion pipeline, run by apply-service) is set. The JSON is the
 * Databricks pipeline spec's, so a request body maps onto it directly.
 *
 * @param id                  the pipeline id (a UUID), valid for {@link dev.tideline.core.naming.ResourceIds}
 * @param name                the user's name for it
 * @param continuous          true: runs all the time; false: runs on each update request ("triggered")
 * @param gatewayDefinition   set for an ingestion gateway
 * @param ingestionDefinition set for an ingestion pipeline
 * @param createdAtMillis     creation time
 */
public record PipelineSpec(String id, String name, boolean continuous, GatewayDefinition gatewayDefinition,
                           IngestionDefinition ingestionDefinition, long createdAtMillis) {

    public boolean isGateway() {
        return gatewayDefinition != null;
    }

    public boolean isIngestion() {
        return ingestionDefinition != null;
    }
}
