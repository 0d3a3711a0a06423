package dev.tideline.api.pipeline;

import static dev.tideline.api.ApiTestSupport.api;
import static dev.tideline.api.ApiTestSupport.unique;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.tideline.api.ApiTestSupport;
import dev.tideline.control.ControlJson;
import dev.tideline.control.message.UpdateRequest;
import dev.tideline.control.status.PipelineState;
import dev.tideline.control.status.PipelineStatus;
import dev.tideline.control.status.TableStatus;
import dev.tideline.core.TableId;
import dev.tideline.control.status.UpdateState;
import dev.tideline.core.naming.KvBuckets;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.core.naming.Subjects;
import dev.tideline.testing.InjectTestServer;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.NatsTestResource;
import dev.tideline.testing.PostgresTestResource;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import dev.tideline.api.table.DeltaLogFixture;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Gateways and ingestion pipelines: create, read with status, update requests on NATS, delete with slot advice, bad input. */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
@QuarkusTestResource(PostgresTestResource.class)
class PipelinesTest {

    @InjectTestServer
    NatsServer nats;

    static String connection() {
        String name = unique("neon");
        api().body("{\"name\": \"" + name + "\", \"connection_type\": \"POSTGRESQL\", \"options\": {\"host\": \"localhost\", \"user\": \"u\", \"password\": \"p\"}}")
                .when().post("/api/2.1/unity-catalog/connections").then().statusCode(200);
        return name;
    }

    static String gateway(String connection) {
        return api().body("""
                {"name": "%s", "gateway_definition": {"connection_name": "%s", "gateway_storage_catalog": "main",
                 "gateway_storage_schema": "neon", "gateway_storage_name": "neon_gateway"}}
                """.formatted(unique("gateway"), connection))
                .when().post("/api/2.0/pipelines").then().statusCode(200).body("pipeline_id", notNullValue()).extract().path("pipeline_id");
    }

    static String ingestionBody(String gateway, String destinationCatalog, String slot, Boolean createIfMissing) {
        return """
                {"name": "%s", "continuous": false,
                 "ingestion_definition": {
                   "ingestion_gateway_id": "%s",
                   "source_type": "POSTGRESQL",
                   "objects": [{"table": {"source_catalog": "neondb", "source_schema": "public", "source_table": "playing_with_neon",
                                "destination_catalog": "%s", "destination_schema": "neon"}}],
                   "source_configurations": [{"catalog": {"source_catalog": "neondb",
                      "postgres": {"slot_config": {"slot_name": "%s", "publication_name": "databricks_publication"%s}}}}],
                 },
                }
                """.formatted(unique("ingest"), gateway, destinationCatalog, slot,
                createIfMissing == null ? "" : ", \"create_if_missing\": " + createIfMissing);
    }

    static String ingestion(String gateway, String destinationCatalog) {
        return api().body(ingestionBody(gateway, destinationCatalog, "databricks_slot", null)).when().post("/api/2.0/pipelines")
                .then().statusCode(200).extract().path("pipeline_id");
    }

    @Test
    void gatewayAndIngestionPipelineAreCreatedAndShownWithTheirStatus() throws Exception {
        String gateway = gateway(connection());
        String catalog = unique("main");
        String pipeline = ingestion(gateway, catalog);

        api().when().get("/api/2.0/pipelines/" + gateway).then().statusCode(200)
                .body("pipeline_id", equalTo(gateway))
                .body("spec.continuous", equalTo(true))
                .body("spec.gateway_definition.gateway_storage_name", equalTo("neon_gateway"))
                .body("state", equalTo("IDLE"))
                .body("latest_updates.size()", equalTo(0));

        long now = System.currentTimeMillis();
        try (Connection connection = ApiTestSupport.nats(nats.url())) {
            connection.keyValue(KvBuckets.STATUS).put(KvKeys.pipeline(pipeline), ControlJson.toBytes(new PipelineStatus(pipeline, PipelineState.RUNNING,
                    "applying", List.of(new PipelineStatus.UpdateStatus("u-1", UpdateState.RUNNING, false, now, null)), now)));
            connection.keyValue(KvBuckets.STATUS).put(KvKeys.tableStatus(pipeline, TableId.of("public", "playing_with_neon")),
                    ControlJson.toBytes(new TableStatus(pipeline, "public", "playing_with_neon", "COMMITTED", null, 10L, null, "0/16B3748", 2L, now)));
        }
        api().when().get("/api/2.0/pipelines/" + pipeline).then().statusCode(200)
                .body("spec.ingestion_definition.objects[0].table.source_table", equalTo("playing_with_neon"))
                .body("spec.ingestion_definition.source_configurations[0].catalog.postgres.slot_config.slot_name", equalTo("databricks_slot"))
                .body("spec.continuous", equalTo(false))
                .body("state", equalTo("RUNNING"))
                .body("health", equalTo("HEALTHY"))
                .body("latest_updates[0].update_id", equalTo("u-1"))
                .body("latest_updates[0].state", equalTo("RUNNING"))
                .body("latest_updates[0].creation_time", notNullValue())
                .body("table_statuses[0].source_table", equalTo("playing_with_neon"))
                .body("table_statuses[0].delta_version", equalTo(2));
        api().when().get("/api/2.0/pipelines/" + pipeline + "/updates/u-1").then().statusCode(200)
                .body("update.state", equalTo("RUNNING")).body("update.pipeline_id", equalTo(pipeline));
        api().when().get("/api/2.0/pipelines/" + pipeline + "/updates/u-unknown").then().statusCode(404);
        api().when().get("/api/2.0/pipelines").then().statusCode(200)
                .body("statuses.pipeline_id", hasItems(gateway, pipeline));

        // A FAILED table makes the running pipeline UNHEALTHY, with the table's reason and remedy as the cause.
        try (Connection connection = ApiTestSupport.nats(nats.url())) {
            connection.keyValue(KvBuckets.STATUS).put(KvKeys.tableStatus(pipeline, TableId.of("public", "playing_with_neon")),
                    ControlJson.toBytes(new TableStatus(pipeline, "public", "playing_with_neon", "FAILED",
                            "key column 'id' has no value. Remedy: run a full refresh", null, null, null, null, now)));
        }
        api().when().get("/api/2.0/pipelines/" + pipeline).then().statusCode(200)
                .body("state", equalTo("RUNNING"))
                .body("health", equalTo("UNHEALTHY"))
                .body("cause", containsString("table public.playing_with_neon FAILED: key column 'id' has no value"))
                .body("table_statuses[0].state", equalTo("FAILED"));
        api().when().get("/api/2.0/pipelines").then().statusCode(200)
                .body("statuses.find { it.pipeline_id == '" + pipeline + "' }.health", equalTo("UNHEALTHY"));
    }

    @Test
    void listUpdatesShowsTheReportedUpdatesNewestFirstAPageAtATime() throws Exception {
        String pipeline = ingestion(gateway(connection()), unique("main"));
        api().when().get("/api/2.0/pipelines/" + pipeline + "/updates").then().statusCode(200).body("updates", equalTo(List.of()));
        long now = System.currentTimeMillis();
        try (Connection connection = ApiTestSupport.nats(nats.url())) {
            connection.keyValue(KvBuckets.STATUS).put(KvKeys.pipeline(pipeline), ControlJson.toBytes(new PipelineStatus(pipeline, PipelineState.IDLE,
                    null, List.of(new PipelineStatus.UpdateStatus("u-new", UpdateState.WAITING_FOR_RESOURCES, false, now, null),
                    new PipelineStatus.UpdateStatus("u-old", UpdateState.COMPLETED, true, now - 1000, null)), now)));
        }
        String token = api().queryParam("max_results", 1).when().get("/api/2.0/pipelines/" + pipeline + "/updates").then().statusCode(200)
                .body("updates.update_id", equalTo(List.of("u-new"))).body("updates[0].state", equalTo("WAITING_FOR_RESOURCES"))
                .extract().path("next_page_token");
        api().queryParam("max_results", 1).queryParam("page_token", token).when().get("/api/2.0/pipelines/" + pipeline + "/updates")
                .then().statusCode(200).body("updates.update_id", equalTo(List.of("u-old"))).body("updates[0].full_refresh", equalTo(true))
                .body("next_page_token", equalTo(null));
        api().queryParam("until_update_id", "u-new").when().get("/api/2.0/pipelines/" + pipeline + "/updates").then().statusCode(200)
                .body("updates.update_id", equalTo(List.of("u-new")));
        api().when().get("/api/2.0/pipelines/no-such-pipeline/updates").then().statusCode(404).body("error_code", equalTo("RESOURCE_DOES_NOT_EXIST"));
    }

    @Test
    void listAppliesTheFilterAndPaginatesNeverReturningWhatTheFilterExcludes() {
        String prefix = unique("team");
        String connection = connection();
        List<String> mine = List.of(named(connection, prefix + "-a"), named(connection, prefix + "-b"), named(connection, prefix + "-c"));
        String someoneElses = named(connection, unique("other"));

        String filter = "name LIKE '" + prefix + "-%'";
        String token = api().queryParam("filter", filter).queryParam("max_results", 2).queryParam("order_by", "name asc")
                .when().get("/api/2.0/pipelines").then().statusCode(200)
                .body("statuses.pipeline_id", equalTo(mine.subList(0, 2))).body("next_page_token", notNullValue()).extract().path("next_page_token");
        api().queryParam("filter", filter).queryParam("max_results", 2).queryParam("order_by", "name asc").queryParam("page_token", token)
                .when().get("/api/2.0/pipelines").then().statusCode(200)
                .body("statuses.pipeline_id", equalTo(mine.subList(2, 3))).body("next_page_token", equalTo(null));
        api().queryParam("filter", "id IN ('" + someoneElses + "')").when().get("/api/2.0/pipelines").then().statusCode(200)
                .body("statuses.pipeline_id", equalTo(List.of(someoneElses)));
        api().queryParam("filter", "creator_user_name = 'me'").when().get("/api/2.0/pipelines").then().statusCode(400)
                .body("error_code", equalTo("INVALID_PARAMETER_VALUE")).body("message", containsString("filter: cannot evaluate \"creator_user_name = 'me'\""));
        api().queryParam("order_by", "name desc").when().get("/api/2.0/pipelines").then().statusCode(400).body("message", containsString("order_by"));
    }

    @Test
    void aMethodAPathDoesNotTakeIsEndpointNotFoundNamingMethodAndPathWhichTheSdksTypeAndDoNotRetry() {
        api().when().patch("/api/2.0/pipelines/some-id").then().statusCode(404)
                .body("error_code", equalTo("ENDPOINT_NOT_FOUND")).body("message", containsString("does not implement PATCH /api/2.0/pipelines/some-id"));
    }

    @Test
    void aTableShowsTheIngestionPipelineThatWritesIt() {
        String catalog = unique("main");
        String pipeline = ingestion(gateway(connection()), catalog);
        DeltaLogFixture.at(Path.of("target/test-warehouse"), catalog, "neon", "playing_with_neon").column("id", "integer", false).commitMetadata();
        DeltaLogFixture.at(Path.of("target/test-warehouse"), catalog, "neon", "written_by_nobody").column("id", "integer", false).commitMetadata();
        api().when().get("/api/2.1/unity-catalog/tables/" + catalog + ".neon.playing_with_neon").then().statusCode(200)
                .body("pipeline_id", equalTo(pipeline));
        api().queryParam("catalog_name", catalog).queryParam("schema_name", "neon").when().get("/api/2.1/unity-catalog/tables")
                .then().statusCode(200).body("tables.name", equalTo(List.of("playing_with_neon", "written_by_nobody")))
                .body("tables[0].pipeline_id", equalTo(pipeline)).body("tables[1].pipeline_id", equalTo(null));
    }

    private static String named(String connection, String name) {
        String body = "{\"name\": \"" + name + "\", \"gateway_definition\": {\"connection_name\": \"" + connection + "\"}}";
        return api().body(body).when().post("/api/2.0/pipelines").then().statusCode(200).extract().path("pipeline_id");
    }

    @Test
    void updatesArePublishedAsControlMessages() throws Exception {
        String pipeline = ingestion(gateway(connection()), unique("main"));
        try (Connection connection = ApiTestSupport.nats(nats.url())) {
            Subscription updates = connection.subscribe(Subjects.pipelineUpdate(pipeline));
            connection.flush(Duration.ofSeconds(5));

            String updateId = api().body("{}").when().post("/api/2.0/pipelines/" + pipeline + "/updates")
                    .then().statusCode(200).extract().path("update_id");
            Message message = updates.nextMessage(Duration.ofSeconds(10));
            assertNotNull(message, "no UpdateRequest on " + Subjects.pipelineUpdate(pipeline));
            UpdateRequest request = ControlJson.fromBytes(message.getData(), UpdateRequest.class);
            assertEquals(updateId, request.updateId());
            assertFalse(request.fullRefresh());
            assertEquals("API_CALL", request.cause());

            api().body("{\"full_refresh_selection\": [\"playing_with_neon\"]}").when().post("/api/2.0/pipelines/" + pipeline + "/updates")
                    .then().statusCode(200);
            UpdateRequest selective = ControlJson.fromBytes(updates.nextMessage(Duration.ofSeconds(10)).getData(), UpdateRequest.class);
            assertEquals(List.of("playing_with_neon"), selective.fullRefreshSelection());

            api().when().post("/api/2.0/pipelines/" + pipeline + "/updates").then().statusCode(200);
            assertNotNull(updates.nextMessage(Duration.ofSeconds(10)), "a POST without a body is a plain update");
        }
        api().body("{\"full_refresh_selection\": [\"other_table\"]}").when().post("/api/2.0/pipelines/" + pipeline + "/updates")
                .then().statusCode(400).body("message", containsString("full_refresh_selection[0]"));
        api().body("{\"full_refresh\": true, \"full_refresh_selection\": [\"playing_with_neon\"]}")
                .when().post("/api/2.0/pipelines/" + pipeline + "/updates").then().statusCode(400);
        api().body("{\"refresh_selection\": [\"playing_with_neon\"]}").when().post("/api/2.0/pipelines/" + pipeline + "/updates")
                .then().statusCode(400).body("message", containsString("refresh_selection"));
        api().body("{}").when().post("/api/2.0/pipelines/00000000-0000-0000-0000-000000000000/updates").then().statusCode(404);
    }

    @Test
    void deletingTheLastIngestionPipelineAndTheGatewayTellsHowToDropAUserSlot() {
        String gateway = gateway(connection());
        String pipeline = ingestion(gateway, unique("main"));

        api().when().delete("/api/2.0/pipelines/" + pipeline).then().statusCode(200)
                .body("message", containsString("SELECT pg_drop_replication_slot('databricks_slot');"));
        api().when().get("/api/2.0/pipelines/" + pipeline).then().statusCode(404).body("error_code", equalTo("RESOURCE_DOES_NOT_EXIST"));
        api().when().delete("/api/2.0/pipelines/" + gateway).then().statusCode(200).body("message", containsString("no ingestion pipeline"));

        String gateway2 = gateway(connection());
        String managed = api().body(ingestionBody(gateway2, unique("main"), "tideline_slot", true)).when().post("/api/2.0/pipelines")
                .then().statusCode(200).extract().path("pipeline_id");
        api().when().delete("/api/2.0/pipelines/" + gateway2).then().statusCode(200)
                .body("message", containsString("gateway-service drops the replication slot 'tideline_slot'"))
                .body("message", not(containsString("pg_drop_replication_slot")))
                .body("message", containsString(managed));
    }

    @Test
    void badDefinitionsAreRefusedNamingTheField() {
        String connection = connection();
        String gateway = gateway(connection);
        String catalog = unique("main");
        ingestion(gateway, catalog);

        expect(400, "{\"name\": \"x\"}", "set exactly one of them");
        expect(400, "{\"gateway_definition\": {\"connection_name\": \"" + connection + "\"}, \"ingestion_definition\": {}}", "set exactly one");
        expect(404, "{\"gateway_definition\": {\"connection_name\": \"missing_conn\"}}", "gateway_definition.connection_name");
        expect(400, "{\"gateway_definition\": {}}", "gateway_definition.connection_name: is required");
        expect(400, "{\"continuous\": false, \"gateway_definition\": {\"connection_name\": \"" + connection + "\"}}", "continuously");
        expect(400, "{\"gateway_definition\": {\"connection_name\": \"" + connection + "\", \"unknown_field\": 1}}", "gateway_definition.unknown_field");
        expect(404, ingestionBody("00000000-0000-0000-0000-000000000000", unique("main"), "databricks_slot", null), "ingestion_gateway_id");
        expect(400, ingestionBody(gateway, unique("main"), "Databricks-Slot", null), "slot_config.slot_name");
        expect(400, ingestionBody(gateway, unique("main"), "another_slot", null), "a gateway reads one slot");
        expect(409, ingestionBody(gateway, catalog, "databricks_slot", null), "already written by pipeline");
        expect(400, "{\"ingestion_definition\": {\"ingestion_gateway_id\": \"" + gateway + "\", \"objects\": []}}", "ingestion_definition.objects: is required");
        expect(400, "{\"ingestion_definition\": {\"ingestion_gateway_id\": \"" + gateway + "\", \"objects\": [{\"table\": {\"source_catalog\": \"neondb\","
                + " \"source_schema\": \"public\", \"source_table\": \"t\", \"destination_catalog\": \"a/b\", \"destination_schema\": \"s\"}}]}}",
                "objects[0].table.destination_catalog");
        expect(400, "{\"ingestion_definition\": {\"ingestion_gateway_id\": \"" + gateway + "\", \"objects\": [{}]}}", "objects[0]: set exactly one");
    }

    @Test
    void duplicateNamesNeedAllowDuplicateNames() {
        String connection = connection();
        String name = unique("gw");
        String body = "{\"name\": \"" + name + "\", \"gateway_definition\": {\"connection_name\": \"" + connection + "\"}}";
        api().body(body).when().post("/api/2.0/pipelines").then().statusCode(200);
        expect(409, body, "allow_duplicate_names");
        api().body(body.replaceFirst("\\{", "{\"allow_duplicate_names\": true, ")).when().post("/api/2.0/pipelines").then().statusCode(200);
        api().when().get("/api/2.0/pipelines").then().body("statuses.name", hasItem(name));
    }

    @Test
    void editReplacesTheDefinitionButNotWhatTheRunningSystemIsBuiltOn() {
        String gateway = gateway(connection());
        String catalog = unique("main");
        String pipeline = ingestion(gateway, catalog);
        String path = "/api/2.0/pipelines/" + pipeline;
        String twoTables = ingestionBody(gateway, catalog, "databricks_slot", null)
                .replace("\"continuous\": false", "\"pipeline_id\": \"" + pipeline + "\", \"continuous\": true")
                .replace("\"destination_schema\": \"neon\"}}]", "\"destination_schema\": \"neon\"}},"
                        + " {\"table\": {\"source_catalog\": \"neondb\", \"source_schema\": \"public\", \"source_table\": \"orders\","
                        + " \"destination_catalog\": \"" + catalog + "\", \"destination_schema\": \"neon\","
                        + " \"table_configuration\": {\"scd_type\": \"SCD_TYPE_2\"}}}]");
        api().body(twoTables).when().put(path).then().statusCode(200);
        api().when().get(path).then().statusCode(200)
                .body("spec.continuous", equalTo(true))
                .body("spec.ingestion_definition.objects.size()", equalTo(2))
                .body("spec.ingestion_definition.objects[1].table.source_table", equalTo("orders"));

        // what a new slot or another stream would need is refused, naming the field, and nothing changes
        api().body(ingestionBody(gateway, catalog, "other_slot", null)).when().put(path).then().statusCode(400)
                .body("message", containsString("ingestion_definition.source_configurations"));
        api().body(ingestionBody(gateway(connection()), catalog, "databricks_slot", null)).when().put(path).then().statusCode(400)
                .body("message", containsString("ingestion_definition.ingestion_gateway_id"));
        api().body("{\"gateway_definition\": {\"connection_name\": \"" + connection() + "\"}}").when().put(path).then().statusCode(400)
                .body("message", containsString("stays one"));
        api().body(twoTables.replace("\"pipeline_id\": \"" + pipeline + "\"", "\"pipeline_id\": \"another\"")).when().put(path)
                .then().statusCode(400).body("message", containsString("pipeline_id"));
        api().when().get(path).then().body("spec.ingestion_definition.objects.size()", equalTo(2));

        // a gateway can move to another connection; it stays continuous
        String other = connection();
        api().body("{\"name\": \"renamed\", \"gateway_definition\": {\"connection_name\": \"" + other + "\"}}")
                .when().put("/api/2.0/pipelines/" + gateway).then().statusCode(200);
        api().when().get("/api/2.0/pipelines/" + gateway).then()
                .body("spec.gateway_definition.connection_name", equalTo(other)).body("spec.continuous", equalTo(true));
        api().body("{\"gateway_definition\": {\"connection_name\": \"nope\"}}").when().put("/api/2.0/pipelines/" + gateway)
                .then().statusCode(404);
        api().body(ingestionBody(gateway, catalog, "databricks_slot", null)).when().put("/api/2.0/pipelines/missing-id").then().statusCode(404);
        expect(400, "{\"pipeline_id\": \"x\", \"gateway_definition\": {\"connection_name\": \"" + other + "\"}}", "pipeline_id");
    }

    private static void expect(int status, String body, String message) {
        api().body(body).when().post("/api/2.0/pipelines").then().statusCode(status).body("message", containsString(message));
    }
}
