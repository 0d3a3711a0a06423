package dev.tideline.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tideline.testing.InjectTestServer;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.NatsTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

/** The service boots against a real NATS started by the test resource, and reads it through its config root. */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
class ApiHealthTest {

    @InjectTestServer
    NatsServer nats;

    @Inject
    ApiConfig config;

    @Test
    void healthAnswersUp() {
        given().when().get("/q/health")
                .then().statusCode(200)
                .body("status", equalTo("UP"));
    }

    @Test
    void metricsAreExposedForPrometheus() {
        given().when().get("/q/metrics")
                .then().statusCode(200);
    }

    @Test
    void configurationComesThroughTheMappingRoot() {
        assertEquals(nats.url(), config.nats().url());
        assertEquals("test-token", config.api().token());
    }
}
