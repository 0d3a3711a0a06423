package dev.tideline.apply.stream;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.apply.delta.DeltaTableWriter;
import dev.tideline.apply.delta.WriterSettings;
import dev.tideline.apply.runner.ApplyService;
import dev.tideline.control.ControlJson;
import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.message.TableCommitted;
import dev.tideline.control.message.TableFailed;
import dev.tideline.control.message.UpdateRequest;
import dev.tideline.control.spec.IngestionDefinition;
import dev.tideline.control.spec.PipelineSpec;
import dev.tideline.control.spec.TableConfiguration;
import dev.tideline.control.status.PipelineStatus;
import dev.tideline.control.status.TableStatus;
import dev.tideline.control.status.UpdateState;
import dev.tideline.core.Lsn;
import dev.tideline.core.change.Row;
import dev.tideline.core.checkpoint.TableApplyCheckpoint;
import dev.tideline.core.naming.KvBuckets;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.core.naming.Streams;
import dev.tideline.core.naming.Subjects;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.TableLocations;
import dev.tideline.testing.InjectTestServer;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.NatsTestResource;
import io.nats.client.Connection;
import io.nats.client.KeyValueOptions;
import io.nats.client.Nats;
import io.nats.client.api.KeyValueEntry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The service end to end: an ingestion pipeline spec in KV, changes staged on the gateway's stream,
 * an update requested over NATS → the Delta table equals the source, the checkpoint is in KV, the
 * TableCommitted event was published, the update is COMPLETED, and the metrics show the rows.
 */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
@TestProfile(ApplyServiceIT.Enabled.class)
class ApplyServiceIT {

    /**
     * Derived, not random: the profile is instantiated in Quarkus' class loader and the test in
     * JUnit's, so a random static would differ between the two.
     */
    static final Path WAREHOUSE = Path.of(System.getProperty("java.io.tmpdir"), "tideline-apply-it-" + ProcessHandle.current().pid());

    public static class Enabled implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tideline.apply.enabled", "true", "tideline.warehouse", WAREHOUSE.toString(),
                    "tideline.apply.max-batch-delay", "100ms", "quarkus.log.category.\"dev.tideline\".level", "DEBUG");
        }
    }

    @InjectTestServer
    NatsServer nats;

    @Inject
    ApplyService service;

    @Test
    void aTriggeredUpdateAppliesWhatIsStagedAndRecordsIt() throws Exception {
        SourceModel model = new SourceModel(11);
        try (StagingStream stream = new StagingStream(nats.url(), "gwq");
             Connection client = Nats.connect(nats.url())) {
            Lsn last = null;
            for (int i = 0; i < 25; i++) {
                last = stream.transaction(model.randomTransaction(true));
            }
            List<TableCommitted> events = new CopyOnWriteArrayList<>();
            client.createDispatcher(m -> events.add(ControlJson.fromBytes(m.getData(), TableCommitted.class)))
                    .subscribe(Subjects.tableCommitted("main", "sales", "orders"));

            ControlPlane control = ControlPlane.open(client);
            IngestionDefinition definition = new IngestionDefinition("gwq", List.of(
                    new IngestionDefinition.IngestionObject(new IngestionDefinition.TableObject("app", "public", "orders", "main", "sales",
                            null, null), null),
                    new IngestionDefinition.IngestionObject(null, new IngestionDefinition.SchemaObject("app", "shop", "main", "shop",
                            new TableConfiguration(TableConfiguration.ScdType.SCD_TYPE_1, List.of())))),
                    List.of(), null);
            control.specs().put(KvKeys.pipeline("pq"), new PipelineSpec("pq", "orders", false, null, definition, 0));
            await().atMost(Duration.ofSeconds(30)).until(() -> service.runner("pq") != null);
            // The runner binds its update consumer (a request sent before would be queued for it anyway: DeliverPolicy.All).
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> client.jetStreamManagement().getConsumerInfo(Streams.CONTROL, "apply-update-pq") != null);
            control.send(Subjects.pipelineUpdate("pq"), new UpdateRequest("u1", false, List.of(), "TEST", System.currentTimeMillis()));

            await().atMost(Duration.ofSeconds(90)).ignoreExceptions().untilAsserted(() -> {
                PipelineStatus status = control.status().value(KvKeys.pipeline("pq"), PipelineStatus.class).orElseThrow();
                assertTrue(!status.latestUpdates().isEmpty() && status.latestUpdates().get(0).state() == UpdateState.COMPLETED,
                        status.toString());
            });

            DeltaTableWriter orders = DeltaTableWriter.open(DeltaEngines.forWarehouse(WAREHOUSE.toString()),
                    TableLocations.of(WAREHOUSE.toString(), "main", "sales", "orders"), "pq/public.orders", SourceModel.ORDERS,
                    WriterSettings.DEFAULT);
            assertEquals(model.expected(SourceModel.ORDERS), SourceModel.actual(orders, 5),
                    "version " + orders.version() + " applied " + orders.appliedLsn() + " failure " + orders.failure() + " consumer " + client.jetStreamManagement().getConsumerInfo("TIDELINE_CDC_gwq", "tideline-apply-pq")
                            + " stream " + client.jetStreamManagement().getStreamInfo("TIDELINE_CDC_gwq").getStreamState() + " status "
                            + control.status().value(KvKeys.pipeline("pq"), PipelineStatus.class));
            DeltaTableWriter items = DeltaTableWriter.open(DeltaEngines.forWarehouse(WAREHOUSE.toString()),
                    TableLocations.of(WAREHOUSE.toString(), "main", "shop", "Line Items"), "pq/shop.Line Items", SourceModel.ITEMS,
                    WriterSettings.DEFAULT);
            assertEquals(model.expected(SourceModel.ITEMS), SourceModel.actual(items, 2));

            KeyValueEntry entry = client.keyValue(KvBuckets.CHECKPOINTS).get(KvKeys.tableApplyCheckpoint("pq", SourceModel.ORDERS));
            TableApplyCheckpoint checkpoint = TableApplyCheckpoint.fromJson(new String(entry.getValue(), StandardCharsets.UTF_8));
            assertEquals(orders.version(), checkpoint.deltaVersion());
            assertEquals(orders.appliedLsn(), checkpoint.appliedCommitLsn());
            assertTrue(!checkpoint.appliedCommitLsn().isAfter(last));
            await().atMost(Duration.ofSeconds(10)).until(() -> events.stream().anyMatch(e -> e.deltaVersion() == orders.version()));
            given().get("/q/metrics").then().statusCode(200)
                    .body(org.hamcrest.Matchers.containsString("tideline_apply_rows_total"),
                            org.hamcrest.Matchers.containsString("tideline_apply_commit_latency_seconds_count{pipeline=\"pq\""),
                            org.hamcrest.Matchers.containsString("tideline_apply_pipeline_commit_latency_seconds{pipeline=\"pq\",quantile=\"0.95\""));
        }
    }

    @Test
    void aContinuousPipelineKeepsApplyingAndADeletedSpecStopsIt() throws Exception {
        SourceModel model = new SourceModel(12);
        try (StagingStream stream = new StagingStream(nats.url(), "gwk");
             Connection client = Nats.connect(nats.url())) {
            ControlPlane control = ControlPlane.open(client);
            IngestionDefinition definition = new IngestionDefinition("gwk", List.of(
                    new IngestionDefinition.IngestionObject(new IngestionDefinition.TableObject("app", "public", "orders", "main", "live",
                            "orders_copy", new TableConfiguration(TableConfiguration.ScdType.SCD_TYPE_1, List.of())), null)),
                    List.of(), null);
            control.specs().put(KvKeys.pipeline("pk"), new PipelineSpec("pk", "live", true, null, definition, 0));
            await().atMost(Duration.ofSeconds(30)).until(() -> service.runner("pk") != null);
            DeltaTableWriter[] orders = new DeltaTableWriter[1];
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < 10; i++) {
                    stream.transaction(model.randomTransaction(false));
                }
                await().atMost(Duration.ofSeconds(90)).ignoreExceptions().untilAsserted(() -> {
                    orders[0] = DeltaTableWriter.open(DeltaEngines.forWarehouse(WAREHOUSE.toString()),
                            TableLocations.of(WAREHOUSE.toString(), "main", "live", "orders_copy"), "pk/public.orders", SourceModel.ORDERS,
                            WriterSettings.DEFAULT);
                    assertEquals(model.expected(SourceModel.ORDERS), SourceModel.actual(orders[0], 5));
                });
            }
            control.specs().delete(KvKeys.pipeline("pk"));
            await().atMost(Duration.ofSeconds(30)).until(() -> service.runner("pk") == null);
        }
    }

    /**
     * A table that cannot take a change shows FAILED in its status within seconds, with the cause and the
     * remedy, a {@code …failed} event is published, and the changes that keep coming (which the table
     * drops) never paint it COMMITTED again.
     */
    @Test
    void aFailedTableIsReportedAtOnceAndStaysFailed() throws Exception {
        SourceModel model = new SourceModel(13);
        try (StagingStream stream = new StagingStream(nats.url(), "gwf");
             Connection client = Nats.connect(nats.url())) {
            List<TableFailed> failures = new CopyOnWriteArrayList<>();
            client.createDispatcher(m -> failures.add(ControlJson.fromBytes(m.getData(), TableFailed.class)))
                    .subscribe(Subjects.tableFailed("main", "failing", "orders"));
            ControlPlane control = ControlPlane.open(client);
            IngestionDefinition definition = new IngestionDefinition("gwf", List.of(
                    new IngestionDefinition.IngestionObject(new IngestionDefinition.TableObject("app", "public", "orders", "main", "failing",
                            null, null), null)), List.of(), null);
            control.specs().put(KvKeys.pipeline("pf"), new PipelineSpec("pf", "failing", true, null, definition, 0));
            await().atMost(Duration.ofSeconds(30)).until(() -> service.runner("pf") != null);
            for (int i = 0; i < 5; i++) {
                stream.transaction(model.randomTransaction(false));
            }
            String key = KvKeys.tableStatus("pf", SourceModel.ORDERS);
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() ->
                    control.status().value(key, TableStatus.class).orElseThrow().state().equals("COMMITTED"));

            RelationSchema orders = model.schemas.get(SourceModel.ORDERS);
            stream.transaction(List.of(StagingStream.insert(orders, Row.of(java.util.Arrays.asList(null, "no key", null, null, null)))));
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() -> {
                TableStatus status = control.status().value(key, TableStatus.class).orElseThrow();
                assertEquals("FAILED", status.state());
                assertTrue(status.message().contains("key column 'id' has no value") && status.message().contains("full refresh"),
                        status.message());
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> !failures.isEmpty());
            assertTrue(failures.get(0).remedy().contains("full refresh"), failures.get(0).toString());

            Lsn last = null;
            for (int i = 0; i < 10; i++) {
                last = stream.transaction(model.randomTransaction(false));
            }
            Lsn lastSent = last;
            // The later changes were consumed (and dropped for the FAILED table); its status did not move.
            await().atMost(Duration.ofSeconds(30)).until(() -> client.jetStreamManagement()
                    .getConsumerInfo("TIDELINE_CDC_gwf", "tideline-apply-pf").getNumPending() == 0);
            Thread.sleep(1000); // deliberate: nothing must happen; a commit would be reported within the batch delay (100 ms)
            assertEquals("FAILED", control.status().value(key, TableStatus.class).orElseThrow().state(), "after " + lastSent);
            control.specs().delete(KvKeys.pipeline("pf"));
            await().atMost(Duration.ofSeconds(30)).until(() -> service.runner("pf") == null);
        }
    }
}
