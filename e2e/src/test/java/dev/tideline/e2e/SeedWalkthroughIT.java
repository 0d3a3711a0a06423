package dev.tideline.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.URI;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed 000 then seed 003, as a user does them, against the stack {@code deploy/local/up.sh} starts:
 * the source database prepared with the seed's own SQL, the connection and pipelines created through
 * the API, rows in Delta, changes flowing through, then synced tables back into the target Postgres in
 * TRIGGERED and CONTINUOUS mode, each compared with the source.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SeedWalkthroughIT {

    private static final Duration PATIENCE = Duration.ofMinutes(3);
    private static final String TABLE_QUERY = "SELECT id, name, value FROM %s ORDER BY id";

    LocalStack stack;
    Api api;
    private String sourceAdminUrl;
    private String neondbUrl;
    private String gatewayId;
    private String ingestionId;

    /** Extra environment for {@code deploy/local/up.sh}; none: the warehouse is a local directory. */
    Map<String, String> stackEnvironment() {
        return Map.of();
    }

    @BeforeAll
    void startTheStack() throws Exception {
        stack = LocalStack.up(getClass().getSimpleName(), stackEnvironment());
        api = new Api(stack.get("TIDELINE_API_URL"), stack.get("TIDELINE_API_TOKEN"));
        sourceAdminUrl = stack.get("TIDELINE_SOURCE_PG_URL");
        neondbUrl = sourceAdminUrl.replace("/postgres?", "/neondb?");
    }

    @AfterAll
    void stopTheStack() throws Exception {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    void aRequestWithoutATokenIsRefused() throws Exception {
        assertEquals(401, api.getWithoutToken("/api/2.0/pipelines").status());
    }

    @Test
    @Order(2)
    void prepareTheSourceAsSeed000Says() throws Exception {
        Sql.run(sourceAdminUrl, "CREATE DATABASE neondb");
        Sql.run(neondbUrl,
                // Neon's sample table
                "CREATE TABLE playing_with_neon(id SERIAL PRIMARY KEY, name TEXT NOT NULL, value REAL)",
                "INSERT INTO playing_with_neon(name, value) SELECT LEFT(md5(i::TEXT), 10), random() FROM generate_series(1, 10) s(i)",
                // "Create a Postgres role for replication" (the Neon CLI makes a login role with REPLICATION)
                "CREATE ROLE databricks_replication WITH LOGIN REPLICATION PASSWORD 'Replic4tion!'",
                "GRANT USAGE ON SCHEMA public TO databricks_replication",
                "GRANT SELECT ON ALL TABLES IN SCHEMA public TO databricks_replication",
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO databricks_replication",
                "ALTER TABLE playing_with_neon REPLICA IDENTITY DEFAULT",
                "CREATE PUBLICATION databricks_publication FOR TABLE playing_with_neon",
                "SELECT pg_create_logical_replication_slot('databricks_slot', 'pgoutput')");
        assertEquals("logical", Sql.query(neondbUrl, "SHOW wal_level").get(0).get(0));
    }

    @Test
    @Order(3)
    void createTheConnectionAndPipelinesThroughTheApi() throws Exception {
        URI source = URI.create(sourceAdminUrl.substring("jdbc:".length()));
        api.post("/api/2.1/unity-catalog/connections", """
                {"name": "neon_connection", "connection_type": "POSTGRESQL",
                 "options": {"host": "%s", "port": "%d", "user": "databricks_replication", "password": "Replic4tion!"}}
                """.formatted(source.getHost(), source.getPort())).expect(200);
        JsonNode connection = api.get("/api/2.1/unity-catalog/connections/neon_connection").expect(200).body();
        assertFalse(connection.toString().contains("Replic4tion!"), "the password is never returned: " + connection);

        gatewayId = api.post("/api/2.0/pipelines", """
                {"name": "neon-gateway",
                 "gateway_definition": {"connection_name": "neon_connection", "gateway_storage_catalog": "main",
                                        "gateway_storage_schema": "neon", "gateway_storage_name": "neon-gateway"}}
                """).expect(200).body().get("pipeline_id").asText();
        ingestionId = api.post("/api/2.0/pipelines", """
                {"name": "neon-ingestion",
                 "ingestion_definition": {
                   "ingestion_gateway_id": "%s",
                   "objects": [{"table": {"source_catalog": "neondb", "source_schema": "public", "source_table": "playing_with_neon",
                                          "destination_catalog": "main", "destination_schema": "neon"}}],
                   "source_configurations": [{"catalog": {"source_catalog": "neondb",
                     "postgres": {"slot_config": {"slot_name": "databricks_slot", "publication_name": "databricks_publication"}}}}]}}
                """.formatted(gatewayId)).expect(200).body().get("pipeline_id").asText();
        api.post("/api/2.0/pipelines/" + ingestionId + "/updates", "{}").expect(200);
    }

    @Test
    @Order(4)
    void theRowsArriveInDelta() throws Exception {
        await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(1)).until(() ->
                api.get("/api/2.1/unity-catalog/tables/main.neon.playing_with_neon").status() == 200);
        JsonNode table = api.get("/api/2.1/unity-catalog/tables/main.neon.playing_with_neon").body();
        assertEquals("DELTA", table.get("data_source_format").asText());
        List<String> columns = new ArrayList<>();
        table.get("columns").forEach(c -> columns.add(c.get("name").asText()));
        assertTrue(columns.containsAll(List.of("id", "name", "value")), "columns: " + columns);
    }

    @Test
    @Order(5)
    void aTriggeredSyncedTableEqualsTheSource() throws Exception {
        URI target = URI.create(stack.get("TIDELINE_TARGET_PG_URL").substring("jdbc:".length()));
        String targetPassword = Sql.urlParameter(target, "password");
        api.post("/api/2.1/unity-catalog/connections", """
                {"name": "target_pg", "connection_type": "POSTGRESQL",
                 "options": {"host": "%s", "port": "%d", "user": "postgres", "password": "%s"}}
                """.formatted(target.getHost(), target.getPort(), targetPassword)).expect(200);
        api.post("/api/2.0/database/instances", """
                {"name": "my-database-instance", "connection_name": "target_pg"}
                """).expect(200);
        api.post("/api/2.0/database/catalogs", """
                {"name": "pg_db", "database_instance_name": "my-database-instance", "database_name": "databricks_postgres",
                 "create_database_if_missing": true}
                """).expect(200);
        // Seed 003's curl body, trailing commas and all.
        api.post("/api/2.0/database/synced_tables", """
                {
                "name": "pg_db.public.playing_with_neon_synced",
                "spec": {
                "source_table_full_name": "main.neon.playing_with_neon",
                "primary_key_columns": ["id"],
                "scheduling_policy": "TRIGGERED",
                },
                "new_pipeline_spec": {
                "storage_catalog": "main",
                "storage_schema": "neon",
                }
                }
                """).expect(200);
        awaitSyncedEqualsSource("pg_db.public.playing_with_neon_synced");
    }

    @Test
    @Order(6)
    void changesFlowThroughAndATriggeredRefreshAppliesThem() throws Exception {
        Sql.run(neondbUrl,
                "INSERT INTO playing_with_neon(name, value) SELECT 'new-' || i, i FROM generate_series(1, 5) s(i)",
                "UPDATE playing_with_neon SET value = value + 100 WHERE id % 3 = 0",
                "DELETE FROM playing_with_neon WHERE id IN (2, 7)");
        api.post("/api/2.0/pipelines/" + ingestionId + "/updates", "{}").expect(200);
        String syncedPipeline = api.get("/api/2.0/database/synced_tables/pg_db.public.playing_with_neon_synced").expect(200)
                .body().at("/data_synchronization_status/pipeline_id").asText();
        await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
            api.post("/api/2.0/pipelines/" + syncedPipeline + "/updates", "{}").expect(200);
            assertEquals(sourceRows(), targetRows("public.playing_with_neon_synced"));
        });
    }

    @Test
    @Order(7)
    void aContinuousSyncedTableFollowsWithoutTriggers() throws Exception {
        api.post("/api/2.0/database/synced_tables", """
                {"name": "pg_db.public.playing_with_neon_continuous",
                 "spec": {"source_table_full_name": "main.neon.playing_with_neon", "primary_key_columns": ["id"],
                          "scheduling_policy": "CONTINUOUS"}}
                """).expect(200);
        awaitSyncedEqualsSource("pg_db.public.playing_with_neon_continuous");
        Sql.run(neondbUrl, "UPDATE playing_with_neon SET name = 'changed' WHERE id = 1", "DELETE FROM playing_with_neon WHERE id = 3");
        api.post("/api/2.0/pipelines/" + ingestionId + "/updates", "{}").expect(200);
        awaitSyncedEqualsSource("pg_db.public.playing_with_neon_continuous");
    }

    @Test
    @Order(8)
    void deletingASyncedTableLeavesThePostgresTable() throws Exception {
        api.delete("/api/2.0/database/synced_tables/pg_db.public.playing_with_neon_synced").expect(200);
        assertEquals(404, api.get("/api/2.0/database/synced_tables/pg_db.public.playing_with_neon_synced").status());
        assertFalse(targetRows("public.playing_with_neon_synced").isEmpty());
    }

    @Test
    @Order(9)
    void editingTheIngestionPipelineAddsATable() throws Exception {
        Sql.run(neondbUrl,
                "CREATE TABLE orders(id INT PRIMARY KEY, name TEXT NOT NULL, value REAL)",
                "INSERT INTO orders SELECT i, 'order-' || i, i * 1.5 FROM generate_series(1, 20) s(i)",
                "ALTER PUBLICATION databricks_publication ADD TABLE orders");
        api.put("/api/2.0/pipelines/" + ingestionId, """
                {"pipeline_id": "%s", "name": "neon-ingestion",
                 "ingestion_definition": {
                   "ingestion_gateway_id": "%s",
                   "objects": [{"table": {"source_catalog": "neondb", "source_schema": "public", "source_table": "playing_with_neon",
                                          "destination_catalog": "main", "destination_schema": "neon"}},
                               {"table": {"source_catalog": "neondb", "source_schema": "public", "source_table": "orders",
                                          "destination_catalog": "main", "destination_schema": "neon"}}],
                   "source_configurations": [{"catalog": {"source_catalog": "neondb",
                     "postgres": {"slot_config": {"slot_name": "databricks_slot", "publication_name": "databricks_publication"}}}}]}}
                """.formatted(ingestionId, gatewayId)).expect(200);
        Sql.run(neondbUrl, "UPDATE orders SET value = -1 WHERE id <= 5", "DELETE FROM orders WHERE id = 20");
        await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(2)).until(() -> {
            api.post("/api/2.0/pipelines/" + ingestionId + "/updates", "{}").expect(200);
            return api.get("/api/2.1/unity-catalog/tables/main.neon.orders").status() == 200;
        });
        api.post("/api/2.0/database/synced_tables", """
                {"name": "pg_db.public.orders_synced",
                 "spec": {"source_table_full_name": "main.neon.orders", "primary_key_columns": ["id"], "scheduling_policy": "CONTINUOUS"}}
                """).expect(200);
        awaitSyncedEqualsSource("pg_db.public.orders_synced", "orders");
    }

    @Test
    @Order(10)
    void aRotatedSourcePasswordIsPickedUpWithoutANewSnapshot() throws Exception {
        URI source = URI.create(sourceAdminUrl.substring("jdbc:".length()));
        Sql.run(sourceAdminUrl, "ALTER ROLE databricks_replication PASSWORD 'R0tated-Pass!'");
        api.patch("/api/2.1/unity-catalog/connections/neon_connection", """
                {"options": {"host": "%s", "port": "%d", "user": "databricks_replication", "password": "R0tated-Pass!"}}
                """.formatted(source.getHost(), source.getPort())).expect(200);
        // Cut the gateway's sessions: whatever it opens from now on must log in with the new password.
        Sql.run(sourceAdminUrl, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'databricks_replication'");
        Sql.run(neondbUrl, "INSERT INTO orders VALUES (100, 'after rotation', 1)", "UPDATE orders SET name = 'rotated' WHERE id = 1");
        await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(2)).ignoreExceptions().untilAsserted(() -> {
            api.post("/api/2.0/pipelines/" + ingestionId + "/updates", "{}").expect(200);
            assertEquals(rows(neondbUrl, "orders"), targetRows("public.orders_synced"));
        });
    }

    private void awaitSyncedEqualsSource(String syncedTable) {
        awaitSyncedEqualsSource(syncedTable, "playing_with_neon");
    }

    private void awaitSyncedEqualsSource(String syncedTable, String sourceTable) {
        String postgresTable = syncedTable.substring(syncedTable.indexOf('.') + 1);
        await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(1)).ignoreExceptions().untilAsserted(() -> {
            String state = api.get("/api/2.0/database/synced_tables/" + syncedTable).expect(200)
                    .body().at("/data_synchronization_status/detailed_state").asText();
            assertTrue(state.contains("ONLINE"), syncedTable + " is " + state);
            assertEquals(rows(neondbUrl, sourceTable), targetRows(postgresTable));
        });
    }

    private Map<Integer, List<String>> sourceRows() throws SQLException {
        return rows(neondbUrl, "playing_with_neon");
    }

    private static Map<Integer, List<String>> rows(String url, String table) throws SQLException {
        return byId(Sql.query(url, TABLE_QUERY.formatted(table)));
    }

    private Map<Integer, List<String>> targetRows(String table) throws SQLException {
        String url = stack.get("TIDELINE_TARGET_PG_URL").replace("/postgres?", "/databricks_postgres?");
        return byId(Sql.query(url, TABLE_QUERY.formatted(table)));
    }

    private static Map<Integer, List<String>> byId(List<List<String>> rows) {
        Map<Integer, List<String>> byId = new TreeMap<>();
        rows.forEach(r -> byId.put(Integer.parseInt(r.get(0)), r));
        return byId;
    }
}
