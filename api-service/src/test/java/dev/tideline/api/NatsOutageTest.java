package dev.tideline.api;

import static dev.tideline.api.ApiTestSupport.api;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import dev.tideline.control.ControlJson;
import dev.tideline.control.message.TableCommitted;
import dev.tideline.core.naming.Subjects;
import dev.tideline.testing.InjectTestServer;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.NatsTestResource;
import dev.tideline.testing.PostgresTestResource;
import io.nats.client.Connection;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;

/**
 * NATS is killed under the running API: requests answer 503 TEMPORARILY_UNAVAILABLE (retryable) and readiness
 * goes DOWN, nothing is half-created; after NATS restarts the API recovers by itself, the specs stored before
 * are all there, and the event feed resumes.
 */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
@QuarkusTestResource(PostgresTestResource.class)
class NatsOutageTest {

    @InjectTestServer
    NatsServer nats;

    private static String connectionBody(String name) {
        return "{\"name\": \"" + name + "\", \"connection_type\": \"POSTGRESQL\", \"options\": {\"host\": \"h\", \"user\": \"u\", \"password\": \"p\"}}";
    }

    @Test
    void survivesANatsCrash() throws Exception {
        String before = ApiTestSupport.unique("before_crash");
        String during = ApiTestSupport.unique("during_crash");
        api().body(connectionBody(before)).when().post("/api/2.1/unity-catalog/connections").then().statusCode(200);

        nats.kill();
        try {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().when().get("/q/health/ready").then().statusCode(503));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    api().when().get("/api/2.1/unity-catalog/connections/" + before)
                            .then().statusCode(503).body("error_code", equalTo("TEMPORARILY_UNAVAILABLE")));
            api().body(connectionBody(during)).when().post("/api/2.1/unity-catalog/connections")
                    .then().statusCode(503).body("error_code", equalTo("TEMPORARILY_UNAVAILABLE"));
        } finally {
            nats.start();
        }

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                api().when().get("/api/2.1/unity-catalog/connections/" + before).then().statusCode(200).body("name", equalTo(before)));
        api().when().get("/api/2.1/unity-catalog/connections/" + during).then().statusCode(404);
        given().when().get("/q/health/ready").then().statusCode(200);

        String table = ApiTestSupport.unique("after_crash");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
            try (Connection connection = ApiTestSupport.nats(nats.url())) {
                connection.publish(Subjects.tableCommitted("main", "neon", table),
                        ControlJson.toBytes(new TableCommitted("p1", "main", "neon", table, "file:/w", 1, "0/1", 1L)));
                connection.flush(Duration.ofSeconds(5));
            }
            api().queryParam("subject_prefix", Subjects.tableCommitted("main", "neon", table)).when().get("/api/2.0/tideline/events")
                    .then().statusCode(200).body("events[0].event.table", equalTo(table));
        });
    }
}
