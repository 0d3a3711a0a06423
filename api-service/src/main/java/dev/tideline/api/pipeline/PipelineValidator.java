package dev.tideline.api.pipeline;

import dev.tideline.api.http.ApiException;
import dev.tideline.api.http.ErrorCode;
import dev.tideline.api.http.FieldRules;
import dev.tideline.control.spec.CapturePlan;
import dev.tideline.control.spec.ConnectionSpec;
import dev.tideline.control.spec.GatewayDefinition;
import dev.tideline.control.spec.IngestionDefinition;
import dev.tideline.control.spec.IngestionDefinition.IngestionObject;
import dev.tideline.control.spec.IngestionDefinition.SchemaObject;
import dev.tideline.control.spec.IngestionDefinition.SlotConfig;
import dev.tideline.control.spec.IngestionDefinition.SourceConfiguration;
import dev.tideline.control.spec.IngestionDefinition.TableObject;
import dev.tideline.control.spec.PipelineSpec;
import dev.tideline.control.spec.TableConfiguration;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Checks a pipeline definition completely before anything is stored: names, references (connection, gateway),
 * one database and one slot per gateway ({@link CapturePlan}), and that no two pipelines write one destination
 * table. Pure: the caller passes what is stored.
 */
final class PipelineValidator {

    private PipelineValidator() {
    }

    /**
     * Validates {@code candidate} (not stored yet) against the stored pipelines and connections.
     *
     * @throws ApiException naming the field and the fix
     */
    static void validate(PipelineSpec candidate, List<PipelineSpec> stored, Function<String, Optional<ConnectionSpec>> connections) {
        if (candidate.isGateway() == candidate.isIngestion()) {
            throw ApiException.invalid("gateway_definition / ingestion_definition", "set exactly one of them: a gateway_definition"
                    + " {connection_name, ...} for the ingestion gateway, or an ingestion_definition {ingestion_gateway_id, objects, ...}"
                    + " for the ingestion pipeline");
        }
        if (candidate.isGateway()) {
            gateway(candidate.gatewayDefinition(), connections);
        } else {
            ingestion(candidate, stored);
        }
    }

    private static void gateway(GatewayDefinition gateway, Function<String, Optional<ConnectionSpec>> connections) {
        String name = FieldRules.required("gateway_definition.connection_name", gateway.connectionName(), "\"neon_source\"");
        ConnectionSpec connection = connections.apply(name).orElseThrow(() -> ApiException.referenceNotFound(
                "gateway_definition.connection_name", "Connection", name, "create it first with POST /api/2.1/unity-catalog/connections"));
        if (!ConnectionSpec.POSTGRESQL.equals(connection.connectionType())) {
            throw ApiException.invalid("gateway_definition.connection_name", "connection '" + name + "' is not a POSTGRESQL connection");
        }
    }

    private static void ingestion(PipelineSpec candidate, List<PipelineSpec> stored) {
        IngestionDefinition ingestion = candidate.ingestionDefinition();
        String gatewayId = FieldRules.required("ingestion_definition.ingestion_gateway_id", ingestion.ingestionGatewayId(),
                "\"<pipeline_id of the gateway>\"");
        PipelineSpec gateway = stored.stream().filter(p -> p.id().equals(gatewayId)).findFirst()
                .orElseThrow(() -> ApiException.referenceNotFound("ingestion_definition.ingestion_gateway_id", "Pipeline", gatewayId,
                        "create the gateway first (POST /api/2.0/pipelines with a gateway_definition) and use its pipeline_id"));
        if (!gateway.isGateway()) {
            throw ApiException.invalid("ingestion_definition.ingestion_gateway_id", "pipeline '" + gatewayId
                    + "' is an ingestion pipeline, not a gateway; use the pipeline_id of the gateway");
        }
        if (ingestion.objects().isEmpty()) {
            throw ApiException.missing("ingestion_definition.objects", "[{\"table\": {\"source_catalog\": \"neondb\", \"source_schema\": \"public\","
                    + " \"source_table\": \"playing_with_neon\", \"destination_catalog\": \"main\", \"destination_schema\": \"neon\"}}]");
        }
        Map<String, String> destinations = new HashMap<>();
        for (int i = 0; i < ingestion.objects().size(); i++) {
            object("ingestion_definition.objects[" + i + "]", ingestion.objects().get(i), destinations);
        }
        tableConfiguration("ingestion_definition.table_configuration", ingestion.tableConfiguration());
        for (int i = 0; i < ingestion.sourceConfigurations().size(); i++) {
            sourceConfiguration("ingestion_definition.source_configurations[" + i + "]", ingestion.sourceConfigurations().get(i));
        }
        destinationsFree(destinations, stored);
        List<PipelineSpec> all = new ArrayList<>(stored);
        all.add(candidate);
        try {
            CapturePlan.of(gateway, all);
        } catch (IllegalArgumentException e) {
            throw new ApiException(ErrorCode.INVALID_PARAMETER_VALUE, "ingestion_definition: " + e.getMessage());
        }
    }

    private static void object(String field, IngestionObject object, Map<String, String> destinations) {
        if (object == null || (object.table() == null) == (object.schema() == null)) {
            throw ApiException.invalid(field, "set exactly one of \"table\" and \"schema\"");
        }
        if (object.table() != null) {
            TableObject table = object.table();
            String f = field + ".table";
            FieldRules.postgresIdentifier(f + ".source_catalog", table.sourceCatalog(), "\"neondb\" (the Postgres database)");
            FieldRules.postgresIdentifier(f + ".source_schema", table.sourceSchema(), "\"public\"");
            FieldRules.postgresIdentifier(f + ".source_table", table.sourceTable(), "\"playing_with_neon\"");
            String catalog = FieldRules.warehouseName(f + ".destination_catalog", table.destinationCatalog(), "\"main\"");
            String schema = FieldRules.warehouseName(f + ".destination_schema", table.destinationSchema(), "\"neon\"");
            String name = table.destinationTable() == null ? table.sourceTable()
                    : FieldRules.warehouseName(f + ".destination_table", table.destinationTable(), "\"playing_with_neon\"");
            FieldRules.warehouseName(f + ".source_table (used as destination_table)", name, "\"playing_with_neon\"");
            tableConfiguration(f + ".table_configuration", table.tableConfiguration());
            String destination = catalog + "." + schema + "." + name;
            if (destinations.putIfAbsent(destination, f) != null) {
                throw ApiException.invalid(f, "destination table " + destination + " is also written by " + destinations.get(destination)
                        + "; give one of them another destination_table");
            }
        } else {
            SchemaObject schema = object.schema();
            String f = field + ".schema";
            FieldRules.postgresIdentifier(f + ".source_catalog", schema.sourceCatalog(), "\"neondb\" (the Postgres database)");
            FieldRules.postgresIdentifier(f + ".source_schema", schema.sourceSchema(), "\"public\"");
            String catalog = FieldRules.warehouseName(f + ".destination_catalog", schema.destinationCatalog(), "\"main\"");
            String target = FieldRules.warehouseName(f + ".destination_schema", schema.destinationSchema(), "\"neon\"");
            tableConfiguration(f + ".table_configuration", schema.tableConfiguration());
            String destination = catalog + "." + target + ".*";
            if (destinations.putIfAbsent(destination, f) != null) {
                throw ApiException.invalid(f, "destination schema " + catalog + "." + target + " is also written by " + destinations.get(destination));
            }
        }
    }

    private static void tableConfiguration(String field, TableConfiguration configuration) {
        if (configuration == null) {
            return;
        }
        for (int i = 0; i < configuration.primaryKeys().size(); i++) {
            FieldRules.postgresIdentifier(field + ".primary_keys[" + i + "]", configuration.primaryKeys().get(i), "\"id\"");
        }
    }

    private static void sourceConfiguration(String field, SourceConfiguration configuration) {
        if (configuration == null || configuration.catalog() == null) {
            throw ApiException.missing(field + ".catalog", "{\"source_catalog\": \"neondb\", \"postgres\": {\"slot_config\":"
                    + " {\"slot_name\": \"databricks_slot\", \"publication_name\": \"databricks_publication\"}}}");
        }
        String f = field + ".catalog";
        FieldRules.postgresIdentifier(f + ".source_catalog", configuration.catalog().sourceCatalog(), "\"neondb\"");
        if (configuration.catalog().postgres() == null || configuration.catalog().postgres().slotConfig() == null) {
            throw ApiException.missing(f + ".postgres.slot_config", "{\"slot_name\": \"databricks_slot\", \"publication_name\": \"databricks_publication\"}");
        }
        SlotConfig slot = configuration.catalog().postgres().slotConfig();
        FieldRules.slotName(f + ".postgres.slot_config.slot_name", slot.slotName());
        FieldRules.postgresIdentifier(f + ".postgres.slot_config.publication_name", slot.publicationName(), "\"databricks_publication\"");
    }

    /** No other ingestion pipeline may write the same destination table (two writers would fight over one Delta table). */
    private static void destinationsFree(Map<String, String> destinations, List<PipelineSpec> stored) {
        for (PipelineSpec other : stored) {
            if (!other.isIngestion()) {
                continue;
            }
            for (IngestionObject object : other.ingestionDefinition().objects()) {
                String destination = object.table() != null
                        ? object.table().destinationCatalog() + "." + object.table().destinationSchema() + "." + object.table().destinationTableOrSource()
                        : object.schema().destinationCatalog() + "." + object.schema().destinationSchema() + ".*";
                if (destinations.containsKey(destination)) {
                    throw ApiException.conflict(destinations.get(destination) + ": destination " + destination + " is already written by pipeline "
                            + other.id() + (other.name() == null ? "" : " (" + other.name() + ")") + "; choose another destination or delete that pipeline");
                }
            }
        }
    }
}
