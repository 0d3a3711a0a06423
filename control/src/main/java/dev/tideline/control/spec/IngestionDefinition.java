package dev.tideline.control.spec;

import java.util.List;
import java.util.Optional;

/**
 * What an ingestion pipeline applies, as in Databricks' {@code ingestion_definition}.
 *
 * @param ingestionGatewayId    the gateway pipeline whose staged changes this pipeline applies
 * @param objects               the tables (or whole schemas) to ingest, with their destinations
 * @param sourceConfigurations  per source catalog (= Postgres database), the slot and publication to use
 * @param tableConfiguration    defaults for every object (an object's own configuration wins)
 */
public record IngestionDefinition(String ingestionGatewayId, List<IngestionObject> objects,
                                  List<SourceConfiguration> sourceConfigurations, TableConfiguration tableConfiguration) {

    public IngestionDefinition {
        objects = objects == null ? List.of() : List.copyOf(objects);
        sourceConfigurations = sourceConfigurations == null ? List.of() : List.copyOf(sourceConfigurations);
    }

    /** The slot and publication configured for {@code sourceCatalog} (a Postgres database), if any. */
    public Optional<SlotConfig> slotConfig(String sourceCatalog) {
        return sourceConfigurations.stream()
                .map(SourceConfiguration::catalog)
                .filter(c -> c != null && sourceCatalog.equals(c.sourceCatalog()) && c.postgres() != null)
                .map(c -> c.postgres().slotConfig())
                .filter(s -> s != null)
                .findFirst();
    }

    /** One entry of {@code objects}: exactly one of {@code table} and {@code schema}. */
    public record IngestionObject(TableObject table, SchemaObject schema) {
    }

    /**
     * One source table and its destination. {@code destinationTable} defaults to {@code sourceTable}.
     * {@code sourceCatalog} is the Postgres database.
     */
    public record TableObject(String sourceCatalog, String sourceSchema, String sourceTable, String destinationCatalog,
                              String destinationSchema, String destinationTable, TableConfiguration tableConfiguration) {

        public String destinationTableOrSource() {
            return destinationTable == null || destinationTable.isBlank() ? sourceTable : destinationTable;
        }
    }

    /** Every table of a source schema (those the publication covers), each to a destination table of the same name. */
    public record SchemaObject(String sourceCatalog, String sourceSchema, String destinationCatalog, String destinationSchema,
                               TableConfiguration tableConfiguration) {
    }

    /** {@code {"catalog": {...}}}. */
    public record SourceConfiguration(CatalogSourceConfiguration catalog) {
    }

    /** {@code {"source_catalog": "<database>", "postgres": {"slot_config": {...}}}}. */
    public record CatalogSourceConfiguration(String sourceCatalog, PostgresSourceConfiguration postgres) {
    }

    /** {@code {"slot_config": {...}}}. */
    public record PostgresSourceConfiguration(SlotConfig slotConfig) {
    }

    /**
     * The replication slot and publication, created by the user as in seed 000 (publication first).
     *
     * @param createIfMissing Tideline extension: when true the gateway creates the publication and slot that
     *                        do not exist yet, and drops exactly those when the gateway pipeline is deleted
     */
    public record SlotConfig(String slotName, String publicationName, Boolean createIfMissing) {

        public boolean createsMissing() {
            return Boolean.TRUE.equals(createIfMissing);
        }
    }
}
