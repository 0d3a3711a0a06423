package dev.tideline.control.spec;

/**
 * What an ingestion gateway captures from: a connection. Which database, tables, slot and publication
 * come from the ingestion pipelines that name this gateway in
 * {@link IngestionDefinition#ingestionGatewayId()} (see {@link CapturePlan}).
 *
 * @param connectionName       the POSTGRESQL connection to read from
 * @param gatewayStorageCatalog where Databricks keeps the gateway's staging volume; Tideline stages in JetStream
 *                             and keeps these only so that Databricks JSON round-trips
 * @param gatewayStorageSchema see above
 * @param gatewayStorageName   see above
 */
public record GatewayDefinition(String connectionName, String gatewayStorageCatalog, String gatewayStorageSchema,
                                String gatewayStorageName) {
}
