package dev.tideline.api.synced;

import static dev.tideline.api.ApiTestSupport.api;
import static dev.tideline.api.ApiTestSupport.apiTextJson;
import static dev.tideline.api.ApiTestSupport.unique;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.api.ApiTestSupport;
import dev.tideline.api.database.DatabaseTest;
import dev.tideline.api.table.DeltaLogFixture;
import dev.tideline.control.ControlJson;
import dev.tideline.control.message.RefreshRequest;
import dev.tideline.control.spec.SyncedTableSpec;
import dev.tideline.control.status.SyncedTableState;
import dev.tideline.control.status.SyncedTableStatus;
import dev.tideline.core.naming.KvBuckets;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.core.naming.Subjects;
import dev.tideline.testing.InjectTestServer;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.NatsTestResource;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.PostgresTestResource;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;

/**
 * Synced tables with seed 003's own bodies (text/json, trailing commas): database catalog and standard catalog,
 * idempotency, status mapping, refresh through the pipeline id, delete leaving the Postgres table, bad input.
 */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
@QuarkusTestResource(PostgresTestResource.class)
class SyncedTablesTest {

    static final Path WAREHOUSE = Path.of("target/test-warehouse");

    @InjectTestServer
    NatsServer nats;

    @InjectTestServer
    PostgresServer postgres;

    String sourceCatalog;
    String srcTbl;
    String instance;
    String catalogName;

    @BeforeEach
    void setUp() {
        sourceCatalog = unique("source_catalog");
        DeltaLogFixture.at(WAREHOUSE, sourceCatalog, "source_schema", "source_table")
                .column("id", "long", false).column("name", "string", true).column("value", "double", true)
                .column("payload", "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}")
                .commitMetadata().commitData();
        DeltaLogFixture.at(WAREHOUSE, sourceCatalog, "source_schema", "with_variant")
                .column("id", "long", false).column("v", "variant", true).commitMetadata();
        srcTbl = sourceCatalog + ".source_schema.source_table";
        instance = DatabaseTest.instance(postgres);
        catalogName = unique("pg_db");
        api().body("{\"name\": \"" + catalogName + "\", \"database_instance_name\": \"" + instance + "\", \"database_name\": \"" + catalogName
                + "\", \"create_database_if_missing\": true}").when().post("/api/2.0/database/catalogs").then().statusCode(200);
    }

    /** Seed 003, "Create a synced table in a database catalog", with the shell variables expanded. */
    String seedDatabaseCatalogBody(String destTbl) {
        return """
                {
                "name": "%s",
                "spec": {
                "source_table_full_name": "%s",
                "primary_key_columns": ["id"],
                "scheduling_policy": "TRIGGERED",
                },
                "new_pipeline_spec": {
                "storage_catalog": "storage_catalog",
                "storage_schema": "storage_schema",
                }
                }
                """.formatted(destTbl, srcTbl);
    }

    /** Seed 003, "Create a synced table in a standard Unity Catalog catalog". */
    String seedStandardCatalogBody(String destTbl, String database) {
        return """
                {
                "name": "%s",
                "database_instance_name": "%s",
                "logical_database_name": "%s",
                "spec": {
                "source_table_full_name": "%s",
                "primary_key_columns": ["id"],
                "scheduling_policy": "TRIGGERED",
                },
                "new_pipeline_spec": {
                "storage_catalog": "storage_catalog",
                "storage_schema": "storage_schema",
                }
                }
                """.formatted(destTbl, instance, database, srcTbl);
    }

    @Test
    void seedBodyForADatabaseCatalogCreatesAndIsIdempotent() throws Exception {
        String destTbl = catalogName + ".some_schema.synced_table";
        String pipelineId = apiTextJson().body(seedDatabaseCatalogBody(destTbl)).when().post("/api/2.0/database/synced_tables")
                .then().statusCode(200)
                .body("name", equalTo(destTbl))
                .body("database_instance_name", equalTo(instance))
                .body("logical_database_name", equalTo(catalogName))
                .body("spec.source_table_full_name", equalTo(srcTbl))
                .body("spec.scheduling_policy", equalTo("TRIGGERED"))
                .body("spec.new_pipeline_spec.storage_schema", equalTo("storage_schema"))
                .body("data_synchronization_status.detailed_state", equalTo("SYNCED_TABLE_PROVISIONING"))
                .body("data_synchronization_status.pipeline_id", notNullValue())
                .extract().path("data_synchronization_status.pipeline_id");

        apiTextJson().body(seedDatabaseCatalogBody(destTbl)).when().post("/api/2.0/database/synced_tables")
                .then().statusCode(200).body("data_synchronization_status.pipeline_id", equalTo(pipelineId));
        apiTextJson().body(seedDatabaseCatalogBody(destTbl).replace("\"TRIGGERED\"", "\"CONTINUOUS\"")).when().post("/api/2.0/database/synced_tables")
                .then().statusCode(409).body("error_code", equalTo("RESOURCE_ALREADY_EXISTS"));

        try (Connection connection = ApiTestSupport.nats(nats.url())) {
            SyncedTableSpec stored = ControlJson.fromBytes(connection.keyValue(KvBuckets.SPECS).get(KvKeys.syncedTable(destTbl)).getValue(),
                    SyncedTableSpec.class);
            assertEquals(new SyncedTableSpec.Target(stored.target().connectionName(), catalogName, "some_schema", "synced_table"), stored.target());
            assertEquals(pipelineId, stored.pipelineId());
        }
    }

    @Test
    void seedBodyForAStandardCatalogNeedsInstanceAndDatabase() throws Exception {
        String database = unique("standard_catalog");
        postgres.createDatabase(database);
        String destTbl = database + ".some_schema.sync_table";
        apiTextJson().body(seedStandardCatalogBody(destTbl, database)).when().post("/api/2.0/database/synced_tables")
                .then().statusCode(200)
                .body("database_instance_name", equalTo(instance))
                .body("logical_database_name", equalTo(database));

        String noInstance = seedStandardCatalogBody(unique("std") + ".s.t", database).replace("\"database_instance_name\"", "\"unused_x\"")
                .replace("\"unused_x\": \"" + instance + "\",", "");
        api().body(noInstance).when().post("/api/2.0/database/synced_tables")
                .then().statusCode(400).body("message", containsString("database_instance_name: is required"));

        String missingDb = unique("not_there");
        api().body(seedStandardCatalogBody(missingDb + ".s.t", missingDb)).when().post("/api/2.0/database/synced_tables")
                .then().statusCode(400).body("message", containsString("create_database_objects_if_missing"));
        String created = seedStandardCatalogBody(missingDb + ".s.t", missingDb)
                .replace("\"scheduling_policy\": \"TRIGGERED\",", "\"scheduling_policy\": \"SNAPSHOT\", \"create_database_objects_if_missing\": true,");
        api().body(created).when().post("/api/2.0/database/synced_tables").then().statusCode(200)
                .body("spec.create_database_objects_if_missing", equalTo(true));
        try (java.sql.Connection c = postgres.connect(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT count(*) FROM pg_database WHERE datname = '" + missingDb + "'")) {
            r.next();
            assertEquals(1, r.getInt(1), "the logical database was created");
        }
    }

    @Test
    void statusFromSyncServiceIsShownInDatabricksShape() throws Exception {
        String destTbl = catalogName + ".silver.sbtest1_online";
        String pipelineId = apiTextJson().body(seedDatabaseCatalogBody(destTbl)).when().post("/api/2.0/database/synced_tables")
                .then().statusCode(200).extract().path("data_synchronization_status.pipeline_id");
        try (Connection connection = ApiTestSupport.nats(nats.url())) {
            connection.keyValue(KvBuckets.STATUS).put(KvKeys.syncedTable(destTbl), ControlJson.toBytes(new SyncedTableStatus(destTbl, pipelineId,
                    SyncedTableState.ONLINE_NO_PENDING_UPDATE, "synced version 3", 3L, 1_700_000_000_000L, 1_699_999_000_000L, 10, 10,
                    System.currentTimeMillis())));
        }
        api().when().get("/api/2.0/database/synced_tables/" + destTbl).then().statusCode(200)
                .body("data_synchronization_status.detailed_state", equalTo("SYNCED_TABLE_ONLINE_NO_PENDING_UPDATE"))
                .body("data_synchronization_status.message", equalTo("synced version 3"))
                .body("data_synchronization_status.pipeline_id", equalTo(pipelineId))
                .body("data_synchronization_status.triggered_update_status.last_processed_commit_version", equalTo(3))
                .body("data_synchronization_status.last_sync.delta_table_sync_info.delta_commit_version", equalTo(3));
        api().when().get("/api/2.0/pipelines/" + pipelineId).then().statusCode(200)
                .body("name", equalTo(destTbl)).body("state", equalTo("IDLE")).body("message", equalTo("synced version 3"));
    }

    @Test
    void pipelineUpdatesOfASyncedTablePublishARefresh() throws Exception {
        String destTbl = catalogName + ".some_schema.refreshed";
        String pipelineId = apiTextJson().body(seedDatabaseCatalogBody(destTbl)).when().post("/api/2.0/database/synced_tables")
                .then().statusCode(200).extract().path("data_synchronization_status.pipeline_id");
        try (Connection connection = ApiTestSupport.nats(nats.url())) {
            Subscription refreshes = connection.subscribe(Subjects.syncedTableRefresh(destTbl));
            connection.flush(Duration.ofSeconds(5));
            String updateId = api().body("{\"full_refresh\": true}").when().post("/api/2.0/pipelines/" + pipelineId + "/updates")
                    .then().statusCode(200).extract().path("update_id");
            Message message = refreshes.nextMessage(Duration.ofSeconds(10));
            assertNotNull(message, "no RefreshRequest published");
            RefreshRequest request = ControlJson.fromBytes(message.getData(), RefreshRequest.class);
            assertEquals(updateId, request.requestId());
            assertTrue(request.fullRefresh());
        }
    }

    @Test
    void deleteDeregistersButLeavesThePostgresTable() throws Exception {
        String destTbl = catalogName + ".some_schema.kept";
        apiTextJson().body(seedDatabaseCatalogBody(destTbl)).when().post("/api/2.0/database/synced_tables").then().statusCode(200);
        try (java.sql.Connection c = postgres.connect(catalogName); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA some_schema; CREATE TABLE some_schema.kept (id bigint PRIMARY KEY); INSERT INTO some_schema.kept VALUES (1)");
        }
        api().when().delete("/api/2.0/database/synced_tables/" + destTbl).then().statusCode(200)
                .body("message", containsString("DROP TABLE \"some_schema\".\"kept\";"));
        api().when().get("/api/2.0/database/synced_tables/" + destTbl).then().statusCode(404);
        try (java.sql.Connection c = postgres.connect(catalogName); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT count(*) FROM some_schema.kept")) {
            r.next();
            assertEquals(1, r.getInt(1));
        }
        api().when().delete("/api/2.0/database/synced_tables/" + destTbl).then().statusCode(404);
    }

    @Test
    void badRequestsNameTheFieldAndTheFix() {
        String dest = catalogName + ".some_schema.bad";
        expect(400, seedDatabaseCatalogBody(catalogName + ".some-schema.bad"), "[A-Za-z0-9_]+");
        expect(400, seedDatabaseCatalogBody(catalogName + ".only_two"), "three parts");
        expect(400, seedDatabaseCatalogBody(dest).replace("[\"id\"]", "[]"), "spec.primary_key_columns: is required");
        expect(400, seedDatabaseCatalogBody(dest).replace("[\"id\"]", "[\"ID\"]"), "column 'ID' is not in source table");
        expect(400, seedDatabaseCatalogBody(dest).replace("\"scheduling_policy\": \"TRIGGERED\",", ""), "spec.scheduling_policy: is required");
        expect(400, seedDatabaseCatalogBody(dest).replace("\"TRIGGERED\"", "\"HOURLY\""), "[SNAPSHOT, TRIGGERED, CONTINUOUS]");
        expect(400, seedDatabaseCatalogBody(dest).replace("source_schema.source_table", "source_schema.with_variant"), "column 'v'");
        expect(404, seedDatabaseCatalogBody(dest).replace("source_schema.source_table", "source_schema.missing"), "spec.source_table_full_name");
        expect(400, seedDatabaseCatalogBody(dest).replace("\"primary_key_columns\"", "\"timeseries_key\": \"ts\", \"primary_key_columns\""),
                "spec.timeseries_key");
        expect(400, seedDatabaseCatalogBody(dest).replace("\"name\": \"" + dest + "\",", "\"name\": \"" + dest + "\", \"database_instance_name\": \"other\","),
                "contradicts database catalog");
        expect(400, seedDatabaseCatalogBody(dest).replace("\"primary_key_columns\"", "\"existing_pipeline_id\": \"x\", \"primary_key_columns\""),
                "existing_pipeline_id");
        expect(404, seedStandardCatalogBody(unique("std") + ".s.t", "postgres").replace(instance, "no-such-instance"), "database_instance_name");
        api().when().get("/api/2.0/database/synced_tables/" + dest).then().statusCode(404);
    }

    /** Concurrent identical creates (a client retrying in parallel) all succeed with one pipeline: KV create decides. */
    @Test
    void concurrentIdenticalCreatesYieldOneSyncedTable() throws Exception {
        String destTbl = catalogName + ".some_schema.raced";
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            java.util.List<java.util.concurrent.Future<String>> results = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(pool.submit(() -> apiTextJson().body(seedDatabaseCatalogBody(destTbl)).when().post("/api/2.0/database/synced_tables")
                        .then().statusCode(200).extract().<String>path("data_synchronization_status.pipeline_id")));
            }
            java.util.Set<String> pipelineIds = new java.util.HashSet<>();
            for (java.util.concurrent.Future<String> result : results) {
                pipelineIds.add(result.get(60, java.util.concurrent.TimeUnit.SECONDS));
            }
            assertEquals(1, pipelineIds.size(), "one synced table, one pipeline: " + pipelineIds);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void twoNamesForOnePostgresTableConflict() {
        String destTbl = catalogName + ".some_schema.shared";
        apiTextJson().body(seedDatabaseCatalogBody(destTbl)).when().post("/api/2.0/database/synced_tables").then().statusCode(200);
        String alias = unique("standard") + ".some_schema.shared";
        expect(409, seedStandardCatalogBody(alias, catalogName), "already writes Postgres table");
    }

    private static void expect(int status, String body, String message) {
        apiTextJson().body(body).when().post("/api/2.0/database/synced_tables").then().statusCode(status).body("message", containsString(message));
    }
}
