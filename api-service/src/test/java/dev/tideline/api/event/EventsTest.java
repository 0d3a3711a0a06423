package dev.tideline.api.event;

import static dev.tideline.api.ApiTestSupport.api;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.tideline.api.ApiTestSupport;
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

/** Events a service publishes on tideline.events.> reach the API through Reactive Messaging and are listed. */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
@QuarkusTestResource(PostgresTestResource.class)
class EventsTest {

    @InjectTestServer
    NatsServer nats;

    @Test
    void aPublishedCommitEventIsListed() throws Exception {
        String table = ApiTestSupport.unique("events_table");
        try (Connection connection = ApiTestSupport.nats(nats.url())) {
            // As apply-service does: a core publish, stored by the TIDELINE_EVENTS stream.
            connection.publish(Subjects.tableCommitted("main", "neon", table),
                    ControlJson.toBytes(new TableCommitted("p1", "main", "neon", table, "file:/w/main/neon/" + table, 4, "0/16B3748", 1L)));
            connection.flush(Duration.ofSeconds(5));
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                api().queryParam("subject_prefix", Subjects.tableCommitted("main", "neon", table)).when().get("/api/2.0/tideline/events")
                        .then().statusCode(200)
                        .body("events.size()", equalTo(1))
                        .body("events[0].event.delta_version", equalTo(4))
                        .body("events[0].event.table", equalTo(table)));
        api().queryParam("max_results", 0).when().get("/api/2.0/tideline/events").then().statusCode(400)
                .body("message", containsString("max_results"));
    }
}
