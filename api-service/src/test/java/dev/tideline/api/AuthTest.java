package dev.tideline.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;

import dev.tideline.testing.NatsTestResource;
import dev.tideline.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Every API endpoint refuses requests without the right bearer token, in the Databricks error shape. */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
@QuarkusTestResource(PostgresTestResource.class)
class AuthTest {

    @ParameterizedTest
    @ValueSource(strings = {"/api/2.1/unity-catalog/connections", "/api/2.0/pipelines", "/api/2.0/pipelines/abc",
            "/api/2.1/unity-catalog/tables/a.b.c", "/api/2.0/database/instances", "/api/2.0/database/catalogs/x",
            "/api/2.0/database/synced_tables/a.b.c", "/api/2.0/no-such-endpoint"})
    void getWithoutTokenIs401(String path) {
        given().when().get(path)
                .then().statusCode(401)
                .header("WWW-Authenticate", containsString("Bearer"))
                .body("error_code", equalTo("UNAUTHENTICATED"))
                .body("message", containsString("Authorization"));
    }

    @Test
    void writesWithoutTokenAre401AndStoreNothing() {
        given().contentType("application/json").body("{\"name\": \"sneaky\", \"connection_type\": \"POSTGRESQL\", \"options\": {\"host\": \"h\", \"user\": \"u\"}}")
                .when().post("/api/2.1/unity-catalog/connections")
                .then().statusCode(401).body("error_code", equalTo("UNAUTHENTICATED"));
        given().when().delete("/api/2.0/pipelines/abc").then().statusCode(401);
        given().when().post("/api/2.0/pipelines/abc/updates").then().statusCode(401);

        ApiTestSupport.api().when().get("/api/2.1/unity-catalog/connections/sneaky").then().statusCode(404);
    }

    @Test
    void wrongTokenAndWrongSchemeAre401() {
        given().header("Authorization", "Bearer not-the-token").when().get("/api/2.0/pipelines")
                .then().statusCode(401).body("error_code", equalTo("UNAUTHENTICATED")).body("message", equalTo("invalid access token"));
        given().header("Authorization", "Bearer " + ApiTestSupport.TOKEN + "x").when().get("/api/2.0/pipelines").then().statusCode(401);
        given().header("Authorization", "Basic dGVzdDp0ZXN0").when().get("/api/2.0/pipelines")
                .then().statusCode(401).body("message", containsString("Bearer"));
    }

    @Test
    void theRightTokenIsAccepted() {
        ApiTestSupport.api().when().get("/api/2.0/pipelines").then().statusCode(200);
        given().header("authorization", "bearer " + ApiTestSupport.TOKEN).when().get("/api/2.0/pipelines").then().statusCode(200);
    }

    @Test
    void theDatabricksSdksDiscoveryDocumentsAreServedWithoutATokenAndOfferNoOAuth() {
        String oidc = given().when().get("/.well-known/databricks-config").then().statusCode(200)
                .body("oidc_endpoint", endsWith("/oidc")).extract().path("oidc_endpoint");
        given().when().get("/oidc/.well-known/oauth-authorization-server").then().statusCode(200)
                .body("issuer", equalTo(oidc)).body("token_endpoint", equalTo(null)).body("grant_types_supported.size()", equalTo(0));
        given().when().get("/oidc/v1/token").then().statusCode(401);
    }

    @Test
    void unknownEndpointsWithTokenAre404InTheErrorShape() {
        ApiTestSupport.api().when().get("/api/2.0/no-such-endpoint")
                .then().statusCode(404).body("error_code", equalTo("ENDPOINT_NOT_FOUND"));
    }
}
