package dev.tideline.control;

import dev.tideline.control.spec.CapturePlan;
import dev.tideline.control.spec.IngestionDefinition;
import dev.tideline.control.spec.PipelineSpec;
import dev.tideline.control.spec.SyncedTableSpec;
import dev.tideline.control.spec.TableConfiguration;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The stored documents read the Databricks JSON of the seeds and round-trip. */
class SpecJsonTest {

    private static final String GATEWAY = """
            {"id": "gw-1", "name": "neon-gateway", "continuous": true,
             "gateway_definition": {"connection_name": "neon", "gateway_storage_catalog": "main",
                                    "gateway_storage_schema": "staging", "gateway_storage_name": "neon-gw"}}
            """;

    private static final String INGESTION = """
            {"id": "ing-1", "name": "neon-ingest", "continuous": false,
             "ingestion_definition": {
               "ingestion_gateway_id": "gw-1",
               "objects": [{"table": {"source_catalog": "neondb", "source_schema": "public", "source_table": "playing_with_neon",
                                      "destination_catalog": "main", "destination_schema": "neon",
                                      "table_configuration": {"scd_type": "SCD_TYPE_2", "primary_keys": ["id"]}}},
                           {"schema": {"source_catalog": "neondb", "source_schema": "sales",
                                       "destination_catalog": "main", "destination_schema": "sales"}}],
               "source_configurations": [{"catalog": {"source_catalog": "neondb",
                   "postgres": {"slot_config": {"slot_name": "databricks_slot", "publication_name": "databricks_publication"}}}}]}}
            """;

    @Test
    void readsDatabricksPipelineJson() {
        PipelineSpec ingestion = ControlJson.fromJson(INGESTION, PipelineSpec.class);
        IngestionDefinition.TableObject table = ingestion.ingestionDefinition().objects().get(0).table();
        assertEquals("playing_with_neon", table.destinationTableOrSource());
        assertEquals(TableConfiguration.ScdType.SCD_TYPE_2, table.tableConfiguration().scdType());
        assertEquals("databricks_slot", ingestion.ingestionDefinition().slotConfig("neondb").orElseThrow().slotName());
        assertEquals(ingestion, ControlJson.fromJson(ControlJson.toJson(ingestion), PipelineSpec.class));
        assertTrue(ControlJson.toJson(ingestion).contains("\"ingestion_gateway_id\":\"gw-1\""));
    }

    @Test
    void capturePlanJoinsTheGatewaysPipelines() {
        PipelineSpec gateway = ControlJson.fromJson(GATEWAY, PipelineSpec.class);
        PipelineSpec ingestion = ControlJson.fromJson(INGESTION, PipelineSpec.class);
        CapturePlan plan = CapturePlan.of(gateway, List.of(gateway, ingestion));
        assertEquals("neondb", plan.database());
        assertEquals("neon", plan.connection());
        assertEquals("databricks_publication", plan.slot().publicationName());
        assertEquals(List.of(new CapturePlan.SourceTable("public", "playing_with_neon")), plan.tables());
        assertEquals(java.util.Set.of("sales"), plan.schemas());
        assertNull(CapturePlan.of(gateway, List.of(gateway)));
    }

    @Test
    void capturePlanRefusesTwoDatabases() {
        PipelineSpec gateway = ControlJson.fromJson(GATEWAY, PipelineSpec.class);
        PipelineSpec other = ControlJson.fromJson(INGESTION.replace("\"ing-1\"", "\"ing-2\"").replace("neondb", "otherdb"), PipelineSpec.class);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CapturePlan.of(gateway, List.of(gateway, ControlJson.fromJson(INGESTION, PipelineSpec.class), other)));
        assertTrue(e.getMessage().contains("one gateway per database"), e.getMessage());
    }

    @Test
    void readsTheSeedsSyncedTableSpec() {
        SyncedTableSpec synced = ControlJson.fromJson("""
                {"name": "pg_db.silver.sbtest1_online", "spec": {"source_table_full_name": "main.neon.playing_with_neon",
                 "primary_key_columns": ["id"], "scheduling_policy": "CONTINUOUS", "create_database_objects_if_missing": true}}
                """, SyncedTableSpec.class);
        assertEquals(SyncedTableSpec.SchedulingPolicy.CONTINUOUS, synced.spec().schedulingPolicy());
        assertTrue(synced.spec().createsMissingObjects());
        assertEquals(SyncedTableSpec.InvalidCharacterPolicy.FAIL, synced.spec().invalidCharactersOrDefault());
    }
}
