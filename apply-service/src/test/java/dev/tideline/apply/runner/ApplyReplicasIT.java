package dev.tideline.apply.runner;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.apply.ApplyConfig;
import dev.tideline.apply.delta.DeltaTableWriter;
import dev.tideline.apply.delta.WriterSettings;
import dev.tideline.apply.stream.DeltaHistory;
import dev.tideline.apply.stream.SourceModel;
import dev.tideline.apply.stream.StagingStream;
import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.spec.IngestionDefinition;
import dev.tideline.control.spec.PipelineSpec;
import dev.tideline.core.TableId;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.TableLocations;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.WithNats;
import io.delta.kernel.engine.Engine;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas of apply-service on one NATS, built as the service builds them ({@link ApplyService} with its
 * own config), applying four continuous ingestion pipelines, each from its own staging stream: the replicas
 * split the pipelines 2/2, never both run one, and every table equals its source. Then replica A dies
 * without a goodbye (its NATS reached through a {@link TcpForwarder} that is cut, so it can neither renew
 * nor release its leases) while transactions keep arriving: A stops its runners on its own, B takes all
 * four pipelines after more than half the lease ttl, and every table equals its source, with no duplicate key
 * and no source transaction applied twice in the Delta history. Prints when B took over and when A's runners
 * were gone, measured from the cut.
 */
@WithNats
class ApplyReplicasIT {

    private static final Duration TTL = Duration.ofSeconds(3);
    private static final List<String> PIPELINES = List.of("rp1", "rp2", "rp3", "rp4");
    private static final int ORDERS_COLUMNS = 5;
    private static final int ITEMS_COLUMNS = 2;

    @TempDir
    Path warehouse;

    /** One pipeline's source side: its staging stream (its own gateway) and the model of its source tables. */
    private record Source(String pipeline, StagingStream stream, SourceModel model) {
        void publish(int transactions) throws Exception {
            for (int i = 0; i < transactions; i++) {
                stream.transaction(model.randomTransaction(true));
            }
        }
    }

    @Test
    void replicasSplitThePipelinesAndTheSurvivorTakesOverACrashedOnesPipelines(NatsServer nats) throws Exception {
        List<Source> sources = new ArrayList<>();
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        Set<String> runByBoth = ConcurrentHashMap.newKeySet();
        ApplyService a = null;
        ApplyService b = null;
        try (Connection admin = Nats.connect(nats.url()); TcpForwarder toA = new TcpForwarder(nats.url())) {
            ControlPlane control = ControlPlane.open(admin);
            for (int i = 0; i < PIPELINES.size(); i++) {
                String pipeline = PIPELINES.get(i);
                Source source = new Source(pipeline, new StagingStream(nats.url(), "rgw" + (i + 1)), new SourceModel(40 + i));
                sources.add(source);
                source.publish(15);
                control.specs().put(KvKeys.pipeline(pipeline), spec(pipeline, source.stream().gatewayId));
            }

            a = replica(toA.url(), "replica-a");
            b = replica(nats.url(), "replica-b");
            ApplyService replicaA = a;
            ApplyService replicaB = b;
            // Sampled all along. Asserted empty up to the crash; after it, A's runners may still be finishing a round
            // when B starts (docs/apply.md, Replicas), which the Delta history check below proves harmless, so it is reported.
            sampler.scheduleWithFixedDelay(() -> PIPELINES.stream().filter(p -> replicaA.runner(p) != null && replicaB.runner(p) != null)
                    .forEach(runByBoth::add), 0, 10, TimeUnit.MILLISECONDS);

            await().atMost(Duration.ofSeconds(30)).until(() -> running(replicaA) == 2 && running(replicaB) == 2);
            assertTrue(runByBoth.isEmpty(), "run by both replicas: " + runByBoth);
            for (Source source : sources) {
                source.publish(10);
            }
            awaitTablesEqualSources(sources);

            // Replica A dies: its connections (its service's and its runners') are cut, no lease renewed or released.
            AtomicBoolean publishing = new AtomicBoolean(true);
            AtomicReference<Throwable> publishFailure = new AtomicReference<>();
            Thread publisher = new Thread(() -> {
                Random random = new Random(7);
                try {
                    while (publishing.get()) {
                        sources.get(random.nextInt(sources.size())).publish(1);
                        Thread.sleep(20); // paces the load: not a wait for anything
                    }
                } catch (Throwable e) {
                    publishFailure.set(e);
                }
            }, "replicas-publisher");
            publisher.start();
            Thread.sleep(300); // deliberate: lets A apply part of the load, so that it is applying when it dies
            assertTrue(runByBoth.isEmpty(), "run by both replicas: " + runByBoth);
            long cutAt = System.nanoTime();
            toA.cut();
            await().atMost(TTL.multipliedBy(6)).pollInterval(Duration.ofMillis(50)).until(() -> running(replicaB) == PIPELINES.size());
            Duration takeover = Duration.ofNanos(System.nanoTime() - cutAt);
            assertTrue(takeover.compareTo(TTL.dividedBy(2)) > 0,
                    "B took A's pipelines after " + takeover.toMillis() + " ms, before A could have given them up (ttl/2)");
            // A cannot reach NATS, so nobody tells it: it notices its leases lapse and stops its runners by itself.
            await().atMost(Duration.ofSeconds(25)).pollInterval(Duration.ofMillis(50)).until(() -> running(replicaA) == 0);
            Duration stopped = Duration.ofNanos(System.nanoTime() - cutAt);
            System.out.printf("ApplyReplicasIT: after the cut, B ran all pipelines at %d ms, A had stopped all its runners at %d ms;"
                    + " run by both meanwhile: %s%n", takeover.toMillis(), stopped.toMillis(), runByBoth);
            Thread.sleep(1000); // deliberate: the load goes on for a while, so B applies transactions that arrive after the take-over too
            publishing.set(false);
            publisher.join();
            assertNull(publishFailure.get(), () -> "publishing failed: " + publishFailure.get());

            awaitTablesEqualSources(sources);
            Engine engine = DeltaEngines.forWarehouse(warehouse.toString());
            for (String pipeline : PIPELINES) {
                DeltaHistory.assertNoTransactionAppliedTwice(orders(engine, pipeline));
                DeltaHistory.assertNoTransactionAppliedTwice(items(engine, pipeline));
            }
        } finally {
            sampler.shutdownNow();
            if (b != null) {
                b.onStop(null);
            }
            if (a != null) {
                a.onStop(null);
            }
            for (Source source : sources) {
                source.stream().close();
            }
        }
    }

    private ApplyService replica(String natsUrl, String member) {
        ApplyService service = new ApplyService(new ReplicaConfig(natsUrl, warehouse.toString(), member), new SimpleMeterRegistry());
        service.onStart(null);
        return service;
    }

    private static long running(ApplyService replica) {
        return PIPELINES.stream().filter(p -> replica.runner(p) != null).count();
    }

    /** A continuous pipeline ingesting the model's two tables into {@code main.<pipeline>.orders} and {@code .items}. */
    private static PipelineSpec spec(String pipeline, String gatewayId) {
        IngestionDefinition definition = new IngestionDefinition(gatewayId, List.of(
                table(SourceModel.ORDERS, pipeline, "orders"), table(SourceModel.ITEMS, pipeline, "items")), List.of(), null);
        return new PipelineSpec(pipeline, pipeline, true, null, definition, 0);
    }

    private static IngestionDefinition.IngestionObject table(TableId source, String pipeline, String destination) {
        return new IngestionDefinition.IngestionObject(new IngestionDefinition.TableObject("app", source.schema(), source.name(), "main",
                pipeline, destination, null), null);
    }

    private void awaitTablesEqualSources(List<Source> sources) {
        Engine engine = DeltaEngines.forWarehouse(warehouse.toString());
        for (Source source : sources) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).ignoreExceptions().untilAsserted(() -> {
                assertEquals(source.model().expected(SourceModel.ORDERS), SourceModel.actual(orders(engine, source.pipeline()), ORDERS_COLUMNS),
                        source.pipeline() + " orders");
                assertEquals(source.model().expected(SourceModel.ITEMS), SourceModel.actual(items(engine, source.pipeline()), ITEMS_COLUMNS),
                        source.pipeline() + " items");
            });
        }
    }

    private DeltaTableWriter orders(Engine engine, String pipeline) {
        return DeltaTableWriter.open(engine, TableLocations.of(warehouse.toString(), "main", pipeline, "orders"),
                pipeline + "/" + SourceModel.ORDERS.schema() + "." + SourceModel.ORDERS.name(), SourceModel.ORDERS, WriterSettings.DEFAULT);
    }

    private DeltaTableWriter items(Engine engine, String pipeline) {
        return DeltaTableWriter.open(engine, TableLocations.of(warehouse.toString(), "main", pipeline, "items"),
                pipeline + "/" + SourceModel.ITEMS.schema() + "." + SourceModel.ITEMS.name(), SourceModel.ITEMS, WriterSettings.DEFAULT);
    }

    /** One replica's configuration: its NATS URL and member id, a 3 s lease ttl, 100 ms batches, the shared warehouse. */
    private record ReplicaConfig(String natsUrl, String warehouse, String member) implements ApplyConfig {

        @Override
        public Nats nats() {
            return () -> natsUrl;
        }

        @Override
        public S3 s3() {
            return new S3() {
                @Override
                public Optional<String> endpoint() {
                    return Optional.empty();
                }

                @Override
                public Optional<String> region() {
                    return Optional.empty();
                }

                @Override
                public boolean pathStyleAccess() {
                    return false;
                }

                @Override
                public boolean singleWriter() {
                    return false;
                }

                @Override
                public long partSizeBytes() {
                    return dev.tideline.delta.S3Settings.DEFAULT_PART_SIZE;
                }
            };
        }

        @Override
        public Lease lease() {
            return new Lease() {
                @Override
                public Optional<String> memberId() {
                    return Optional.of(member);
                }

                @Override
                public Duration ttl() {
                    return TTL;
                }
            };
        }

        @Override
        public Apply apply() {
            return new Apply() {
                @Override
                public boolean enabled() {
                    return true;
                }

                @Override
                public int maxBatchRows() {
                    return 50_000;
                }

                @Override
                public Duration maxBatchDelay() {
                    return Duration.ofMillis(100);
                }

                @Override
                public Duration minBatchDelay() {
                    return Duration.ZERO;
                }

                @Override
                public int commitThreads() {
                    return 4;
                }

                @Override
                public int fetchSize() {
                    return 200;
                }

                @Override
                public Duration ackWait() {
                    return Duration.ofSeconds(10);
                }

                @Override
                public String parquetCompression() {
                    return "ZSTD";
                }

                @Override
                public long targetFileSizeBytes() {
                    return 128L << 20;
                }

                @Override
                public long smallFileBytes() {
                    return 8L << 20;
                }

                @Override
                public int compactAfterFiles() {
                    return 32;
                }

                @Override
                public int plainFileMaxRows() {
                    return 2048;
                }

                @Override
                public Duration checkpointMinAge() {
                    return Duration.ofSeconds(60);
                }

                @Override
                public int checkpointMaxCommits() {
                    return 100;
                }

                @Override
                public Map<String, String> hadoop() {
                    return Map.of();
                }
            };
        }
    }
}
