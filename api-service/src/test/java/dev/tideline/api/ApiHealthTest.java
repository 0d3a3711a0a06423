package dev.tideline.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tideline.testing.InjectTestServer;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.NatsTestResource;
import dev.tideline.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

/**
 * The service boots against a real NATS started by the test resource, reads it through its config root, and
 * serves health, metrics, the OpenAPI document and Swagger UI without a token.
 */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
@QuarkusTestResource(PostgresTestResource.class)
class ApiHealthTest {

    @InjectTestServer
    NatsServer nats;

    @Inject
    ApiConfig config;

    @Test
    void healthAnswersUpIncludingNatsReadiness() {
        given().when().get("/q/health")
                .then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.find { it.name == 'nats' }.status", equalTo("UP"));
    }

    @Test
    void metricsAreExposedForPrometheus() {
        given().when().get("/q/metrics")
                .then().statusCode(200);
    }

    @Test
    void openApiDescribesTheEndpointsAndTheBearerScheme() {
        given().when().get("/q/openapi?format=json")
                .then().statusCode(200)
                .body(containsString("/api/2.0/pipelines/{pipeline_id}/updates"))
                .body(containsString("/api/2.0/database/synced_tables"))
                .body(containsString("/api/2.1/unity-catalog/connections"))
                .body(containsString("bearer"));
        given().when().get("/q/swagger-ui/").then().statusCode(200);
    }

    @Test
    void configurationComesThroughTheMappingRoot() {
        assertEquals(nats.url(), config.nats().url());
        assertEquals("test-token", config.api().token());
    }
}
