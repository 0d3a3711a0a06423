package dev.tideline.api.connection;

import static dev.tideline.api.ApiTestSupport.api;
import static dev.tideline.api.ApiTestSupport.apiTextJson;
import static dev.tideline.api.ApiTestSupport.unique;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.tideline.api.ApiTestSupport;
import dev.tideline.control.ControlJson;
import dev.tideline.control.secret.SecretBox;
import dev.tideline.control.spec.ConnectionSpec;
import dev.tideline.core.naming.KvBuckets;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.testing.InjectTestServer;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.NatsTestResource;
import dev.tideline.testing.PostgresTestResource;
import io.nats.client.Connection;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

/** Connections: created, listed, read and deleted; the password is sealed at rest and never returned. */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
@QuarkusTestResource(PostgresTestResource.class)
class ConnectionsTest {

    private static final String PASSWORD = "Neon-Pa55word!";

    @InjectTestServer
    NatsServer nats;

    static String body(String name) {
        return """
                {"name": "%s", "connection_type": "POSTGRESQL", "comment": "neon source",
                 "options": {"host": "ep-cool-darkness-123456.us-east-2.aws.neon.tech", "port": 5432,
                             "user": "databricks_replication", "password": "%s", "sslmode": "require",},}
                """.formatted(name, PASSWORD);
    }

    @Test
    void createdConnectionNeverShowsItsPassword() throws Exception {
        String name = unique("neon");
        String created = apiTextJson().body(body(name)).when().post("/api/2.1/unity-catalog/connections")
                .then().statusCode(200)
                .body("name", equalTo(name))
                .body("connection_type", equalTo("POSTGRESQL"))
                .body("options.host", equalTo("ep-cool-darkness-123456.us-east-2.aws.neon.tech"))
                .body("options.port", equalTo("5432"))
                .body("options.password", nullValue())
                .body("credential_type", equalTo("USERNAME_PASSWORD"))
                .extract().asString();
        assertFalse(created.contains(PASSWORD), created);

        String one = api().when().get("/api/2.1/unity-catalog/connections/" + name).then().statusCode(200)
                .body("comment", equalTo("neon source")).extract().asString();
        String list = api().when().get("/api/2.1/unity-catalog/connections").then().statusCode(200)
                .body("connections.name", hasItem(name)).extract().asString();
        assertFalse(one.contains(PASSWORD), one);
        assertFalse(list.contains(PASSWORD), list);

        try (Connection connection = ApiTestSupport.nats(nats.url())) {
            byte[] stored = connection.keyValue(KvBuckets.SPECS).get(KvKeys.connection(name)).getValue();
            assertFalse(new String(stored, StandardCharsets.UTF_8).contains(PASSWORD), "password stored in clear");
            ConnectionSpec spec = ControlJson.fromBytes(stored, ConnectionSpec.class);
            assertFalse(spec.options().containsKey("password"));
            assertEquals(PASSWORD, SecretBox.fromConfiguredKey("test-only-secrets-key-0123456789").open(spec.encryptedPassword(), name));
        }
    }

    @TestHTTPResource("/api/2.1/unity-catalog/connections")
    java.net.URI connectionsUri;

    /** {@code curl -d '{...}'} sends application/x-www-form-urlencoded; the body is still JSON and must be read as such. */
    @Test
    void curlsDefaultFormContentTypeIsReadAsJson() throws Exception {
        String name = unique("form");
        java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(connectionsUri)
                        .header("Authorization", "Bearer " + ApiTestSupport.TOKEN)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body(name))).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        api().when().get("/api/2.1/unity-catalog/connections/" + name).then().statusCode(200);
    }

    @Test
    void duplicateNamesAreRefused() {
        String name = unique("dup");
        api().body(body(name)).when().post("/api/2.1/unity-catalog/connections").then().statusCode(200);
        api().body(body(name)).when().post("/api/2.1/unity-catalog/connections")
                .then().statusCode(409).body("error_code", equalTo("RESOURCE_ALREADY_EXISTS")).body("message", containsString(name));
    }

    @Test
    void deleteRemovesItAndASecondDeleteIs404() {
        String name = unique("gone");
        api().body(body(name)).when().post("/api/2.1/unity-catalog/connections").then().statusCode(200);
        api().when().delete("/api/2.1/unity-catalog/connections/" + name).then().statusCode(200);
        api().when().get("/api/2.1/unity-catalog/connections/" + name).then().statusCode(404)
                .body("error_code", equalTo("RESOURCE_DOES_NOT_EXIST"));
        api().when().delete("/api/2.1/unity-catalog/connections/" + name).then().statusCode(404);
    }

    @Test
    void badRequestsNameTheFieldAndStoreNothing() {
        String name = unique("bad");
        expect400("{\"connection_type\": \"POSTGRESQL\", \"options\": {\"host\": \"h\", \"user\": \"u\"}}", "name: is required");
        expect400("{\"name\": \"has space\", \"connection_type\": \"POSTGRESQL\", \"options\": {\"host\": \"h\", \"user\": \"u\"}}", "name: 'has space'");
        expect400("{\"name\": \"" + name + "\", \"connection_type\": \"MYSQL\", \"options\": {\"host\": \"h\", \"user\": \"u\"}}",
                "connection_type: 'MYSQL' is not supported");
        expect400("{\"name\": \"" + name + "\", \"connection_type\": \"POSTGRESQL\"}", "options: is required");
        expect400("{\"name\": \"" + name + "\", \"connection_type\": \"POSTGRESQL\", \"options\": {\"user\": \"u\"}}", "options.host: is required");
        expect400("{\"name\": \"" + name + "\", \"connection_type\": \"POSTGRESQL\", \"options\": {\"host\": \"h\"}}", "options.user: is required");
        expect400("{\"name\": \"" + name + "\", \"connection_type\": \"POSTGRESQL\", \"options\": {\"host\": \"h\", \"user\": \"u\", \"port\": \"99999\"}}",
                "options.port: '99999' is not a TCP port");
        expect400("{\"name\": \"" + name + "\", \"connection_type\": \"POSTGRESQL\", \"options\": {\"host\": \"h\", \"user\": \"u\", \"database\": \"d\"}}",
                "options.database: unknown option");
        expect400("{\"name\": \"" + name + "\", \"connection_type\": \"POSTGRESQL\", \"options\": {\"host\": \"h\", \"user\": \"u\", \"sslmode\": \"always\"}}",
                "options.sslmode");
        expect400("{\"name\": \"" + name + "\", \"typo_field\": 1}", "typo_field: unknown field");
        api().body("{\"name\": \"" + name + "\",\n \"options\": {\"host\": \"h\" \"user\": \"u\"}}").when().post("/api/2.1/unity-catalog/connections")
                .then().statusCode(400).body("error_code", equalTo("MALFORMED_REQUEST")).body("message", containsString("line 2"));

        api().when().get("/api/2.1/unity-catalog/connections/" + name).then().statusCode(404);
    }

    @Test
    void passwordIsNotEchoedInErrorsNorLogged() throws Exception {
        api().body("{\"name\": \"x y\", \"connection_type\": \"POSTGRESQL\", \"options\": {\"host\": \"h\", \"user\": \"u\", \"password\": \"" + PASSWORD + "\"}}")
                .when().post("/api/2.1/unity-catalog/connections")
                .then().statusCode(400).body(not(containsString(PASSWORD)));
        api().body("{\"name\": \"x\", \"options\": {\"password\": " + PASSWORD + "}}").when().post("/api/2.1/unity-catalog/connections")
                .then().statusCode(400).body(not(containsString(PASSWORD)));
        String name = unique("logged");
        api().body(body(name)).when().post("/api/2.1/unity-catalog/connections").then().statusCode(200);

        java.nio.file.Path log = java.nio.file.Path.of("target/api-test.log");
        String logged = java.nio.file.Files.readString(log);
        org.junit.jupiter.api.Assertions.assertTrue(logged.contains("connection " + name + " created"), "the log is written where the test reads it");
        assertFalse(logged.contains(PASSWORD), "a password reached the log");
    }

    @Test
    void patchRotatesThePasswordKeepsItWhenLeftOutAndRenamesOnlyUnusedConnections() throws Exception {
        String name = unique("rotate");
        String rotated = "Rotated-Pa55word!";
        api().body(body(name)).when().post("/api/2.1/unity-catalog/connections").then().statusCode(200);
        String path = "/api/2.1/unity-catalog/connections/" + name;
        String answer = apiTextJson().body("""
                {"options": {"host": "ep-cool-darkness-123456.us-east-2.aws.neon.tech", "port": "5433",
                             "user": "databricks_replication", "password": "%s",}, "owner": "someone",}
                """.formatted(rotated)).when().patch(path)
                .then().statusCode(200).body("options.port", equalTo("5433")).body("comment", equalTo("neon source")).extract().asString();
        assertFalse(answer.contains(rotated), answer);
        SecretBox box = SecretBox.fromConfiguredKey("test-only-secrets-key-0123456789");
        try (Connection connection = ApiTestSupport.nats(nats.url())) {
            assertEquals(rotated, box.open(stored(connection, name).encryptedPassword(), name));

            // options without a password keep the stored one
            api().body("{\"options\": {\"host\": \"db.example.com\", \"user\": \"databricks_replication\"}}").when().patch(path)
                    .then().statusCode(200).body("options.host", equalTo("db.example.com"));
            assertEquals(rotated, box.open(stored(connection, name).encryptedPassword(), name));

            // an unused connection can be renamed; its password is sealed again under the new name
            String renamed = unique("renamed");
            api().body("{\"new_name\": \"" + renamed + "\", \"options\": {\"host\": \"db.example.com\", \"user\": \"u\"}}")
                    .when().patch(path).then().statusCode(200).body("name", equalTo(renamed));
            api().when().get(path).then().statusCode(404);
            assertEquals(rotated, box.open(stored(connection, renamed).encryptedPassword(), renamed));

            // a used one cannot, and nothing changes
            connection.keyValue(KvBuckets.SPECS).put(KvKeys.databaseInstance("uses-" + renamed),
                    ControlJson.toBytes(new dev.tideline.control.spec.DatabaseInstanceSpec("uses-" + renamed, renamed, "uid", 1)));
            api().body("{\"new_name\": \"other\", \"options\": {\"host\": \"h\", \"user\": \"u\"}}")
                    .when().patch("/api/2.1/unity-catalog/connections/" + renamed).then().statusCode(409)
                    .body("message", containsString("database instance uses-" + renamed));
            api().when().get("/api/2.1/unity-catalog/connections/" + renamed).then().statusCode(200).body("options.host", equalTo("db.example.com"));
        }
        api().body("{\"options\": {\"host\": \"h\", \"user\": \"u\", \"database\": \"d\"}}").when().patch("/api/2.1/unity-catalog/connections/nope")
                .then().statusCode(404);
        api().body("{\"options\": {\"host\": \"h\", \"user\": \"u\"}, \"typo\": 1}").when().patch("/api/2.1/unity-catalog/connections/nope")
                .then().statusCode(400).body("message", containsString("typo: unknown field"));
    }

    private static ConnectionSpec stored(Connection connection, String name) throws Exception {
        return ControlJson.fromBytes(connection.keyValue(KvBuckets.SPECS).get(KvKeys.connection(name)).getValue(), ConnectionSpec.class);
    }

    private static void expect400(String body, String message) {
        api().body(body).when().post("/api/2.1/unity-catalog/connections")
                .then().statusCode(400).body("error_code", equalTo("INVALID_PARAMETER_VALUE")).body("message", containsString(message));
    }
}
