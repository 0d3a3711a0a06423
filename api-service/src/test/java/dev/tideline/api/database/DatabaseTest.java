package dev.tideline.api.database;

import static dev.tideline.api.ApiTestSupport.api;
import static dev.tideline.api.ApiTestSupport.unique;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.testing.InjectTestServer;
import dev.tideline.testing.NatsTestResource;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;

/** Database instances (an existing Postgres through a connection) and catalogs (a database on it), against a real Postgres. */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
@QuarkusTestResource(PostgresTestResource.class)
public class DatabaseTest {

    @InjectTestServer
    PostgresServer postgres;

    /** Creates a connection to the test Postgres and returns its name. */
    public static String connection(PostgresServer postgres, int port) {
        String name = unique("pg");
        api().body("""
                {"name": "%s", "connection_type": "POSTGRESQL",
                 "options": {"host": "%s", "port": "%d", "user": "%s", "password": "%s"}}
                """.formatted(name, postgres.host(), port, postgres.user(), postgres.password()))
                .when().post("/api/2.1/unity-catalog/connections").then().statusCode(200);
        return name;
    }

    public static String instance(PostgresServer postgres) {
        String name = unique("inst").replace('_', '-');
        api().body("{\"name\": \"" + name + "\", \"connection_name\": \"" + connection(postgres, postgres.port()) + "\", \"capacity\": \"CU_1\"}")
                .when().post("/api/2.0/database/instances").then().statusCode(200);
        return name;
    }

    @Test
    void instanceRegistersAReachablePostgres() {
        String connection = connection(postgres, postgres.port());
        String name = unique("my-instance");
        api().body("{\"name\": \"" + name + "\", \"connection_name\": \"" + connection + "\"}").when().post("/api/2.0/database/instances")
                .then().statusCode(200)
                .body("name", equalTo(name)).body("state", equalTo("AVAILABLE")).body("pg_version", notNullValue())
                .body("read_write_dns", equalTo(postgres.host()));
        api().when().get("/api/2.0/database/instances/" + name).then().statusCode(200).body("connection_name", equalTo(connection));
        api().when().get("/api/2.0/database/instances").then().statusCode(200).body("database_instances.name", hasItem(name));
        api().body("{\"name\": \"" + name + "\", \"connection_name\": \"" + connection + "\"}").when().post("/api/2.0/database/instances")
                .then().statusCode(409).body("error_code", equalTo("RESOURCE_ALREADY_EXISTS"));
    }

    @Test
    void instanceRefusesUnreachableOrMissingConnections() {
        String unreachable = connection(postgres, 1);
        String name = unique("down");
        api().body("{\"name\": \"" + name + "\", \"connection_name\": \"" + unreachable + "\"}").when().post("/api/2.0/database/instances")
                .then().statusCode(400).body("error_code", equalTo("INVALID_PARAMETER_VALUE"))
                .body("message", containsString("through connection '" + unreachable + "'"));
        api().when().get("/api/2.0/database/instances/" + name).then().statusCode(404);

        api().body("{\"name\": \"" + name + "\", \"connection_name\": \"no_such_connection\"}").when().post("/api/2.0/database/instances")
                .then().statusCode(404).body("message", containsString("connection_name"));
        api().body("{\"name\": \"bad name\", \"connection_name\": \"x\"}").when().post("/api/2.0/database/instances")
                .then().statusCode(400).body("message", containsString("name: 'bad name'"));
    }

    @Test
    void catalogCreatesTheDatabaseWhenAskedTo() throws Exception {
        String instance = instance(postgres);
        String catalog = unique("pg_db");
        String database = unique("created_db");
        api().body("""
                {"name": "%s", "database_instance_name": "%s", "database_name": "%s", "create_database_if_missing": true}
                """.formatted(catalog, instance, database)).when().post("/api/2.0/database/catalogs")
                .then().statusCode(200).body("name", equalTo(catalog)).body("database_name", equalTo(database)).body("uid", notNullValue());

        assertTrue(databaseExists(database));
        api().when().get("/api/2.0/database/catalogs/" + catalog).then().statusCode(200).body("database_instance_name", equalTo(instance));
    }

    @Test
    void catalogOnAMissingDatabaseWithoutTheFlagIsRefusedAndNothingIsCreated() throws Exception {
        String instance = instance(postgres);
        String catalog = unique("pg_db");
        String database = unique("absent_db");
        api().body("{\"name\": \"" + catalog + "\", \"database_instance_name\": \"" + instance + "\", \"database_name\": \"" + database + "\"}")
                .when().post("/api/2.0/database/catalogs")
                .then().statusCode(400).body("message", containsString("create_database_if_not_exists"));
        assertFalse(databaseExists(database));
        api().when().get("/api/2.0/database/catalogs/" + catalog).then().statusCode(404);

        api().body("{\"name\": \"pg-db\", \"database_instance_name\": \"" + instance + "\", \"database_name\": \"postgres\"}")
                .when().post("/api/2.0/database/catalogs")
                .then().statusCode(400).body("message", containsString("[A-Za-z0-9_]+"));
        api().body("{\"name\": \"" + catalog + "\", \"database_instance_name\": \"nope\", \"database_name\": \"postgres\"}")
                .when().post("/api/2.0/database/catalogs")
                .then().statusCode(404).body("message", containsString("database_instance_name"));
    }

    @Test
    void dependentsBlockDeletesUntilRemoved() {
        String instance = instance(postgres);
        String catalog = unique("pg_db");
        api().body("{\"name\": \"" + catalog + "\", \"database_instance_name\": \"" + instance + "\", \"database_name\": \"postgres\"}")
                .when().post("/api/2.0/database/catalogs").then().statusCode(200);
        String connection = api().when().get("/api/2.0/database/instances/" + instance).then().extract().path("connection_name");

        api().when().delete("/api/2.1/unity-catalog/connections/" + connection).then().statusCode(409)
                .body("error_code", equalTo("RESOURCE_CONFLICT")).body("message", containsString(instance));
        api().when().delete("/api/2.0/database/instances/" + instance).then().statusCode(409).body("message", containsString(catalog));
        api().when().delete("/api/2.0/database/catalogs/" + catalog).then().statusCode(200);
        api().when().delete("/api/2.0/database/instances/" + instance).then().statusCode(200);
        api().when().delete("/api/2.1/unity-catalog/connections/" + connection).then().statusCode(200);
        api().when().get("/api/2.0/database/catalogs/" + catalog).then().statusCode(404);
    }

    @Test
    void anInstanceWithOnlyNameAndCapacityIsProvisionedOnTheConfiguredPostgresAsTheDatabricksSdkAsks() throws Exception {
        String name = unique("lakebase").replace('_', '-');
        api().body("{\"name\": \"" + name + "\", \"capacity\": \"CU_2\"}").when().post("/api/2.0/database/instances")
                .then().statusCode(200)
                .body("name", equalTo(name)).body("state", equalTo("AVAILABLE")).body("capacity", equalTo("CU_2"))
                .body("effective_capacity", equalTo("CU_2")).body("read_write_dns", equalTo(postgres.host())).body("pg_version", notNullValue());
        assertTrue(databaseExists("databricks_postgres"), "every Lakebase instance has databricks_postgres");
        String connection = api().when().get("/api/2.0/database/instances/" + name).then().statusCode(200)
                .body("capacity", equalTo("CU_2")).extract().path("connection_name");
        assertEquals("lakebase__" + name, connection);

        // The instance's connection is the instance's: readable, but not to be changed or deleted by hand.
        api().when().get("/api/2.1/unity-catalog/connections/" + connection).then().statusCode(200).body("options", not(hasKey("password")));
        api().when().delete("/api/2.1/unity-catalog/connections/" + connection).then().statusCode(403)
                .body("error_code", equalTo("PERMISSION_DENIED")).body("message", containsString(name));
        api().body("{\"options\": {\"host\": \"elsewhere\", \"user\": \"u\"}}").when().patch("/api/2.1/unity-catalog/connections/" + connection)
                .then().statusCode(403);
        api().body("{\"name\": \"lakebase__mine\", \"connection_type\": \"POSTGRESQL\", \"options\": {\"host\": \"h\", \"user\": \"u\"}}")
                .when().post("/api/2.1/unity-catalog/connections").then().statusCode(400).body("message", containsString("name: names starting with"));

        // A synced table can be written there: a catalog on it creates its database like on any instance.
        String catalog = unique("pg_db");
        api().body("""
                {"name": "%s", "database_instance_name": "%s", "database_name": "databricks_postgres", "create_database_if_not_exists": true}
                """.formatted(catalog, name)).when().post("/api/2.0/database/catalogs").then().statusCode(200)
                .body("create_database_if_not_exists", equalTo(true));

        api().when().delete("/api/2.0/database/catalogs/" + catalog).then().statusCode(200);
        api().when().delete("/api/2.0/database/instances/" + name).then().statusCode(200);
        api().when().get("/api/2.1/unity-catalog/connections/" + connection).then().statusCode(404);
    }

    @Test
    void capacityMustBeACapacityUnit() {
        api().body("{\"name\": \"" + unique("inst").replace('_', '-') + "\", \"capacity\": \"large\"}").when().post("/api/2.0/database/instances")
                .then().statusCode(400).body("message", containsString("capacity: 'large'")).body("message", containsString("CU_1"));
    }

    @Test
    void catalogTakesDatabricksFlagNameAndShowsItUnderBothNames() throws Exception {
        String instance = instance(postgres);
        String catalog = unique("pg_db");
        String database = unique("sdk_db");
        api().body("""
                {"name": "%s", "database_instance_name": "%s", "database_name": "%s", "create_database_if_not_exists": true}
                """.formatted(catalog, instance, database)).when().post("/api/2.0/database/catalogs").then().statusCode(200);
        assertTrue(databaseExists(database));
        api().when().get("/api/2.0/database/catalogs/" + catalog).then().statusCode(200)
                .body("create_database_if_not_exists", equalTo(true)).body("create_database_if_missing", equalTo(true));
        api().body("""
                {"name": "%s", "database_instance_name": "%s", "database_name": "postgres",
                 "create_database_if_not_exists": true, "create_database_if_missing": false}
                """.formatted(unique("pg_db"), instance)).when().post("/api/2.0/database/catalogs")
                .then().statusCode(400).body("message", containsString("create_database_if_not_exists: contradicts"));
    }

    @Test
    void anInstanceListsItsCatalogsAndSyncedTablesAPageAtATimeWhereDatabricksDoes() {
        String instance = instance(postgres);
        String other = instance(postgres);
        String a = unique("cat_a");
        String b = unique("cat_b");
        for (String[] c : new String[][] {{a, instance}, {b, instance}, {unique("cat_c"), other}}) {
            api().body("{\"name\": \"" + c[0] + "\", \"database_instance_name\": \"" + c[1] + "\", \"database_name\": \"postgres\"}")
                    .when().post("/api/2.0/database/catalogs").then().statusCode(200);
        }
        String token = api().queryParam("page_size", 1).when().get("/api/2.0/database/instances/" + instance + "/catalogs").then().statusCode(200)
                .body("database_catalogs.name", equalTo(List.of(a))).body("next_page_token", notNullValue()).extract().path("next_page_token");
        api().queryParam("page_size", 1).queryParam("page_token", token).when().get("/api/2.0/database/instances/" + instance + "/catalogs")
                .then().statusCode(200).body("database_catalogs.name", equalTo(List.of(b))).body("next_page_token", nullValue());
        api().when().get("/api/2.0/database/instances/" + instance + "/synced_tables").then().statusCode(200)
                .body("synced_tables", equalTo(List.of()));
        api().when().get("/api/2.0/database/instances/nope/catalogs").then().statusCode(404).body("error_code", equalTo("RESOURCE_DOES_NOT_EXIST"));
        api().queryParam("page_size", "x").when().get("/api/2.0/database/instances").then().statusCode(400)
                .body("message", containsString("page_size: 'x'"));
    }

    private boolean databaseExists(String database) throws Exception {
        try (Connection c = postgres.connect(); PreparedStatement s = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            s.setString(1, database);
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        }
    }
}
