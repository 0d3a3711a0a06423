package dev.tideline.api;

import static dev.tideline.api.ApiTestSupport.api;

import dev.tideline.control.ControlJson;
import dev.tideline.control.message.UpdateRequest;
import dev.tideline.control.spec.PipelineSpec;
import dev.tideline.core.naming.KvBuckets;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.core.naming.Subjects;
import dev.tideline.testing.InjectTestServer;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.NatsTestResource;
import dev.tideline.testing.PostgresTestResource;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.KeyValue;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.UUID;

/**
 * Opt-in ({@code -Dtideline.benchmark=true}): latency of the two calls clients make in loops — GET a pipeline
 * (spec + status + table statuses from KV) and POST an update (a JetStream-acknowledged control message) — each
 * next to its reference measured in the same run: the same KV reads / JetStream publishes done directly with
 * jnats from the test JVM, i.e. the floor NATS sets. Sequential, one client.
 */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
@QuarkusTestResource(PostgresTestResource.class)
class ApiBenchmark {

    private static final int N = Integer.getInteger("tideline.benchmark.requests", 2000);

    @InjectTestServer
    NatsServer nats;

    @TestHTTPResource("/")
    URI base;

    private final HttpClient http = HttpClient.newHttpClient();

    /** java.net.http rather than RestAssured: RestAssured's own per-request overhead would dominate the numbers. */
    private void call(String method, String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer " + ApiTestSupport.TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new AssertionError(method + " " + path + " answered " + response.statusCode() + ": " + response.body());
        }
    }

    @Test
    void getPipelineAndStartUpdate() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("tideline.benchmark"), "opt-in: -Dtideline.benchmark=true");
        String connection = ApiTestSupport.unique("bench");
        api().body("{\"name\": \"" + connection + "\", \"connection_type\": \"POSTGRESQL\", \"options\": {\"host\": \"h\", \"user\": \"u\"}}")
                .when().post("/api/2.1/unity-catalog/connections").then().statusCode(200);
        String gateway = api().body("{\"gateway_definition\": {\"connection_name\": \"" + connection + "\"}}").when().post("/api/2.0/pipelines")
                .then().statusCode(200).extract().path("pipeline_id");

        long[] api = new long[N];
        long[] kv = new long[N];
        long[] apiUpdate = new long[N / 4];
        long[] jsPublish = new long[N / 4];
        try (Connection nc = ApiTestSupport.nats(nats.url())) {
            KeyValue specs = nc.keyValue(KvBuckets.SPECS);
            KeyValue status = nc.keyValue(KvBuckets.STATUS);
            JetStream js = nc.jetStream();
            for (int warm = 0; warm < 200; warm++) {
                call("GET", "api/2.0/pipelines/" + gateway, null);
                ControlJson.fromBytes(specs.get(KvKeys.pipeline(gateway)).getValue(), PipelineSpec.class);
            }
            for (int i = 0; i < N; i++) {
                long t0 = System.nanoTime();
                call("GET", "api/2.0/pipelines/" + gateway, null);
                api[i] = System.nanoTime() - t0;
                t0 = System.nanoTime();
                ControlJson.fromBytes(specs.get(KvKeys.pipeline(gateway)).getValue(), PipelineSpec.class);
                status.get(KvKeys.pipeline(gateway));
                status.keys("table." + gateway + ".>");
                kv[i] = System.nanoTime() - t0;
            }
            for (int i = 0; i < N / 4; i++) {
                long t0 = System.nanoTime();
                call("POST", "api/2.0/pipelines/" + gateway + "/updates", "{}");
                apiUpdate[i] = System.nanoTime() - t0;
                t0 = System.nanoTime();
                js.publish(Subjects.pipelineUpdate(gateway), ControlJson.toBytes(new UpdateRequest(UUID.randomUUID().toString(), false, null,
                        "BENCHMARK", System.currentTimeMillis())));
                jsPublish[i] = System.nanoTime() - t0;
            }
        }
        report("GET /api/2.0/pipelines/{id}", api, "reference: direct KV spec+status get + table keys", kv);
        report("POST /api/2.0/pipelines/{id}/updates", apiUpdate, "reference: direct JetStream publish with ack", jsPublish);
    }

    private static void report(String what, long[] measured, String referenceName, long[] reference) {
        System.out.printf("BENCHMARK %s: %d requests, p50 %.2f ms, p99 %.2f ms, %.0f req/s | %s: p50 %.2f ms, p99 %.2f ms%n",
                what, measured.length, pct(measured, 50), pct(measured, 99), measured.length / (Arrays.stream(measured).sum() / 1e9),
                referenceName, pct(reference, 50), pct(reference, 99));
    }

    private static double pct(long[] nanos, int p) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)] / 1e6;
    }
}
