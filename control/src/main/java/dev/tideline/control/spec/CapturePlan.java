package dev.tideline.control.spec;

import dev.tideline.control.spec.IngestionDefinition.SlotConfig;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What one gateway captures, derived from the ingestion pipelines that name it: the database (a gateway
 * reads one database, through one slot, as Lakeflow Connect does), the slot and publication, and the
 * tables and schemas requested.
 *
 * @param gatewayId  the gateway pipeline's id
 * @param connection the gateway's connection name
 * @param database   the Postgres database (the {@code source_catalog} of every object)
 * @param slot       slot and publication
 * @param tables     requested tables as {@code schema.table} pairs (schema objects are listed in {@link #schemas})
 * @param schemas    requested whole schemas: every table of the publication in them
 * @param pipelines  ids of the ingestion pipelines the plan was built from
 */
public record CapturePlan(String gatewayId, String connection, String database, SlotConfig slot, List<SourceTable> tables,
                          Set<String> schemas, List<String> pipelines) {

    /** A source table, by schema and name. */
    public record SourceTable(String schema, String table) {
    }

    /**
     * Builds the plan of {@code gateway} from every stored pipeline.
     *
     * @return the plan, or null when no ingestion pipeline names the gateway yet (nothing to capture)
     * @throws IllegalArgumentException when the pipelines disagree: two databases, two slots or publications,
     *                                  or no slot configuration at all (the message names the pipelines and the fix)
     */
    public static CapturePlan of(PipelineSpec gateway, Collection<PipelineSpec> allPipelines) {
        if (!gateway.isGateway()) {
            throw new IllegalArgumentException("pipeline " + gateway.id() + " is not an ingestion gateway");
        }
        String database = null;
        SlotConfig slot = null;
        List<SourceTable> tables = new ArrayList<>();
        Set<String> schemas = new LinkedHashSet<>();
        List<String> pipelines = new ArrayList<>();
        for (PipelineSpec pipeline : allPipelines) {
            IngestionDefinition ingestion = pipeline.ingestionDefinition();
            if (ingestion == null || !gateway.id().equals(ingestion.ingestionGatewayId())) {
                continue;
            }
            pipelines.add(pipeline.id());
            for (IngestionDefinition.IngestionObject object : ingestion.objects()) {
                String catalog = object.table() != null ? object.table().sourceCatalog() : object.schema().sourceCatalog();
                database = sameOrFail("source_catalog (database)", database, catalog, pipeline);
                if (object.table() != null) {
                    SourceTable table = new SourceTable(object.table().sourceSchema(), object.table().sourceTable());
                    if (!tables.contains(table)) {
                        tables.add(table);
                    }
                } else {
                    schemas.add(object.schema().sourceSchema());
                }
                SlotConfig configured = ingestion.slotConfig(catalog).orElse(null);
                if (configured != null) {
                    if (slot != null && !slot.equals(configured)) {
                        throw new IllegalArgumentException("ingestion pipeline " + pipeline.id() + " uses slot '" + configured.slotName()
                                + "' / publication '" + configured.publicationName() + "' but another pipeline of gateway "
                                + gateway.id() + " uses '" + slot.slotName() + "' / '" + slot.publicationName()
                                + "'; a gateway reads one slot: use the same slot_config in every pipeline of the gateway");
                    }
                    slot = configured;
                }
            }
        }
        if (pipelines.isEmpty()) {
            return null;
        }
        if (slot == null) {
            throw new IllegalArgumentException("no ingestion pipeline of gateway " + gateway.id()
                    + " sets source_configurations[].catalog.postgres.slot_config {slot_name, publication_name} for database '"
                    + database + "'; add it (create the publication, then the slot, as the setup guide shows)");
        }
        return new CapturePlan(gateway.id(), gateway.gatewayDefinition().connectionName(), database, slot, List.copyOf(tables),
                Set.copyOf(schemas), List.copyOf(pipelines));
    }

    private static String sameOrFail(String what, String current, String next, PipelineSpec pipeline) {
        if (current != null && !current.equals(next)) {
            throw new IllegalArgumentException("ingestion pipeline " + pipeline.id() + " reads " + what + " '" + next
                    + "' but the gateway already reads '" + current + "'; a gateway reads one database: create one gateway per database");
        }
        return next;
    }
}
