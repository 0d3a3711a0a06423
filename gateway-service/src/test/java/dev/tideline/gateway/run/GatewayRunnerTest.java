package dev.tideline.gateway.run;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.message.UpdateRequest;
import dev.tideline.control.secret.SecretBox;
import dev.tideline.control.spec.ConnectionSpec;
import dev.tideline.control.spec.GatewayDefinition;
import dev.tideline.control.spec.IngestionDefinition;
import dev.tideline.control.spec.PipelineSpec;
import dev.tideline.control.status.PipelineState;
import dev.tideline.control.status.PipelineStatus;
import dev.tideline.control.status.TableStatus;
import dev.tideline.core.TableId;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.core.naming.Subjects;
import dev.tideline.gateway.capture.ChangeStreamReplica;
import dev.tideline.gateway.capture.SnapshotIT;
import dev.tideline.gateway.capture.StreamReconstructor;
import dev.tideline.testing.InjectTestServer;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.NatsTestResource;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.PostgresTestResource;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * gateway-service booted by Quarkus against a real nats-server and Postgres: a gateway pipeline, its
 * ingestion pipeline and connection (password sealed as api-service seals it) put in KV are picked
 * up, the table is snapshotted and streamed, status reaches RUNNING, and a full refresh requested on
 * the control subject re-snapshots the table while streaming continues.
 */
@QuarkusTest
@TestProfile(GatewayRunnerTest.Profile.class)
class GatewayRunnerTest {

    static final String KEY = "gateway-runner-test-key-0123456789";

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tideline.gateway.enabled", "true", "tideline.secrets.key", KEY, "tideline.gateway.status-interval", "300ms",
                    "tideline.gateway.snapshot.rows-per-chunk", "100", "tideline.gateway.heartbeat-interval", "1s");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(NatsTestResource.class), new TestResourceEntry(PostgresTestResource.class));
        }
    }

    @InjectTestServer
    NatsServer nats;

    @InjectTestServer
    PostgresServer pg;

    @Inject
    GatewayRunner runner;

    @Test
    void aGatewayPipelineInKvIsSnapshottedStreamedAndRefreshedOnRequest() throws Exception {
        TableId orders = TableId.of("rt", "orders");
        sql("CREATE SCHEMA rt", "CREATE TABLE rt.orders (id bigint PRIMARY KEY, note text)",
                "INSERT INTO rt.orders SELECT g, 'n' || g FROM generate_series(1, 500) g",
                "CREATE PUBLICATION rt_pub FOR TABLE rt.orders", "SELECT pg_create_logical_replication_slot('rt_slot', 'pgoutput')");
        try (Connection client = Nats.connect(nats.url())) {
            ControlPlane control = ControlPlane.open(client);
            Map<String, String> options = new HashMap<>(Map.of("host", pg.host(), "port", Integer.toString(pg.port()), "user", pg.user(),
                    "sslmode", "disable"));
            String sealed = pg.password() == null || pg.password().isEmpty() ? null : SecretBox.fromConfiguredKey(KEY).seal(pg.password(), "pg");
            control.specs().put(KvKeys.connection("pg"), new ConnectionSpec("pg", ConnectionSpec.POSTGRESQL, options, sealed, null, "c1", 0));
            control.specs().put(KvKeys.pipeline("gw-rt"), new PipelineSpec("gw-rt", "gateway", true,
                    new GatewayDefinition("pg", "main", "staging", "gw"), null, 0));
            IngestionDefinition ingestion = new IngestionDefinition("gw-rt",
                    List.of(new IngestionDefinition.IngestionObject(new IngestionDefinition.TableObject("postgres", "rt", "orders", "main", "rt",
                            null, null), null)),
                    List.of(new IngestionDefinition.SourceConfiguration(new IngestionDefinition.CatalogSourceConfiguration("postgres",
                            new IngestionDefinition.PostgresSourceConfiguration(new IngestionDefinition.SlotConfig("rt_slot", "rt_pub", false))))),
                    null);
            control.specs().put(KvKeys.pipeline("ing-rt"), new PipelineSpec("ing-rt", "ingestion", true, null, ingestion, 0));

            await().atMost(Duration.ofSeconds(60)).until(() -> control.status().value(KvKeys.pipeline("gw-rt"), PipelineStatus.class)
                    .map(s -> s.state() == PipelineState.RUNNING).orElse(false));
            sql("INSERT INTO rt.orders SELECT g, 'later' FROM generate_series(501, 600) g", "UPDATE rt.orders SET note = 'u' WHERE id % 7 = 0",
                    "DELETE FROM rt.orders WHERE id % 11 = 0");
            awaitStreamEqualsSource(client, orders, 1);
            await().atMost(Duration.ofSeconds(30)).until(() -> control.status().value(KvKeys.tableStatus("gw-rt", orders), TableStatus.class)
                    .map(t -> "STREAMING".equals(t.state()) && t.rows() != null && t.rows() >= 500).orElse(false));

            control.send(Subjects.pipelineUpdate("ing-rt"), new UpdateRequest("u1", false, List.of("orders"), "TEST", 0));
            sql("UPDATE rt.orders SET note = 'after refresh' WHERE id % 5 = 0");
            awaitStreamEqualsSource(client, orders, 2);
            GatewayPipeline gateway = runner.running().get("gw-rt");
            assertEquals(1, gateway.capture().sessions(), "the refresh must not interrupt streaming");
            assertTrue(gateway.capture().publishedMessages() > 0);
        }
    }

    private void awaitStreamEqualsSource(Connection client, TableId table, int snapshots) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() -> {
            try (java.sql.Connection c = pg.connect()) {
                StreamReconstructor r = StreamReconstructor.read(client, "gw-rt");
                SnapshotIT.assertSameRows(table, ChangeStreamReplica.sourceRows(c, table), r.byFirstColumn(table));
                assertEquals(snapshots, Optional.ofNullable(r.snapshotsDone.get(table)).orElse(0));
            }
        });
    }

    private void sql(String... statements) throws Exception {
        try (java.sql.Connection c = pg.connect(); Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }
}
