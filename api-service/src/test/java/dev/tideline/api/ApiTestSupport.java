package dev.tideline.api;

import static io.restassured.RestAssured.given;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.restassured.specification.RequestSpecification;

/** What the API tests share: the token of the test profile and an authorized request. */
public final class ApiTestSupport {

    public static final String TOKEN = "test-token";

    private ApiTestSupport() {
    }

    /** A request with the bearer token and a JSON content type. */
    public static RequestSpecification api() {
        return given().header("Authorization", "Bearer " + TOKEN).contentType("application/json");
    }

    /** A request with the bearer token and the seed's {@code Content-Type: text/json}. */
    public static RequestSpecification apiTextJson() {
        return given().header("Authorization", "Bearer " + TOKEN).contentType("text/json");
    }

    /** A plain jnats connection to the test NATS, for watching control messages and writing status as a service would. */
    public static Connection nats(String url) throws Exception {
        return Nats.connect(url);
    }

    /** A name unique within the test run, so test classes sharing one NATS do not collide. */
    public static String unique(String prefix) {
        return prefix + "_" + Long.toHexString(System.nanoTime());
    }
}
