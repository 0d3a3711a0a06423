package dev.tideline.apply.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.apply.delta.DeltaTableWriter;
import dev.tideline.apply.delta.ScdType;
import dev.tideline.apply.delta.WriterSettings;
import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.Row;
import dev.tideline.core.naming.Streams;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.PgType;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.sink.SinkCommit;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.TableLocations;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.WithNats;
import io.delta.kernel.engine.Engine;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The applier against a real nats-server and real Delta tables on disk: real wire-format batches
 * published with core's builders, the tables read back with Kernel and compared with the source
 * model — also after abrupt stops between commit and ack and mid-batch, and a NATS restart.
 */
@WithNats
class PipelineApplierIT {

    static final ApplySettings FAST = ApplySettings.DEFAULT.withMaxBatchDelay(Duration.ofMillis(50)).withMaxBatchRows(400)
            .withFetchSize(50);

    @TempDir
    Path warehouse;

    final List<String> events = new CopyOnWriteArrayList<>();
    final ApplyListener recorder = new ApplyListener() {
        @Override
        public void committed(TableTarget target, String location, Lsn appliedLsn, long rowChanges, SinkCommit outcome) {
            events.add("committed " + target.fullName() + " " + appliedLsn + " v" + outcome.version());
        }

        @Override
        public void failed(TableTarget target, TidelineException error) {
            events.add("failed " + target.fullName() + " " + error.getMessage() + " | " + error.hint());
        }
    };

    Engine engine() {
        return DeltaEngines.forWarehouse(warehouse.toString(), EngineSettings.defaults().withFsync(false));
    }

    static TableRouter routes() {
        return TableRoutes.of(new TableTarget(SourceModel.ORDERS, "main", "sales", "orders", ScdType.SCD_TYPE_1, List.of()),
                new TableTarget(SourceModel.ITEMS, "main", "shop", "line items", ScdType.SCD_TYPE_1, List.of()));
    }

    PipelineApplier applier(NatsServer nats, String gateway, String pipeline, Connection[] holder) throws Exception {
        return applier(nats, gateway, pipeline, holder, FAST, ApplyFaults.NONE);
    }

    PipelineApplier applier(NatsServer nats, String gateway, String pipeline, Connection[] holder, ApplySettings settings)
            throws Exception {
        return applier(nats, gateway, pipeline, holder, settings, ApplyFaults.NONE);
    }

    PipelineApplier applier(NatsServer nats, String gateway, String pipeline, Connection[] holder, ApplyFaults faults) throws Exception {
        return applier(nats, gateway, pipeline, holder, FAST, faults);
    }

    PipelineApplier applier(NatsServer nats, String gateway, String pipeline, Connection[] holder, ApplySettings settings,
                            ApplyFaults faults) throws Exception {
        holder[0] = Nats.connect(new Options.Builder().server(nats.url()).maxReconnects(-1).reconnectWait(Duration.ofMillis(200))
                .errorListener(new PullStatusListener()).build());
        PipelineApplier applier = new PipelineApplier(holder[0], gateway, pipeline, routes(), engine(), warehouse.toString(),
                settings.withAckWait(Duration.ofSeconds(2)), WriterSettings.DEFAULT.withCompactAfterFiles(8), recorder, faults);
        applier.start();
        return applier;
    }

    DeltaTableWriter table(String pipeline, TableId source, String catalog, String schema, String name) {
        return DeltaTableWriter.open(engine(), TableLocations.of(warehouse.toString(), catalog, schema, name),
                pipeline + "/" + source.schema() + "." + source.name(), source, WriterSettings.DEFAULT);
    }

    void assertTablesEqualSource(SourceModel model, String pipeline) throws Exception {
        DeltaTableWriter orders = table(pipeline, SourceModel.ORDERS, "main", "sales", "orders");
        DeltaTableWriter items = table(pipeline, SourceModel.ITEMS, "main", "shop", "line items");
        assertEquals(model.expected(SourceModel.ORDERS), SourceModel.actual(orders, model.schemas.get(SourceModel.ORDERS).columnCount()));
        assertEquals(model.expected(SourceModel.ITEMS), SourceModel.actual(items, 2));
        DeltaHistory.assertNoTransactionAppliedTwice(orders);
        DeltaHistory.assertNoTransactionAppliedTwice(items);
    }

    void drain(PipelineApplier applier) {
        applier.runUntilCaughtUp(Duration.ofSeconds(60));
    }

    @Test
    void randomWorkloadIsAppliedExactly(NatsServer nats) throws Exception {
        SourceModel model = new SourceModel(1);
        Connection[] c = new Connection[1];
        try (StagingStream stream = new StagingStream(nats.url(), "gwa")) {
            for (int i = 0; i < 60; i++) {
                stream.transaction(model.randomTransaction(true));
            }
            try (PipelineApplier applier = applier(nats, "gwa", "pa", c)) {
                drain(applier);
                assertTablesEqualSource(model, "pa");
                for (int i = 0; i < 30; i++) {
                    stream.transaction(model.randomTransaction(true));
                }
                drain(applier);
                assertTablesEqualSource(model, "pa");
            } finally {
                c[0].close();
            }
            assertTrue(events.stream().anyMatch(e -> e.startsWith("committed main.sales.orders")), events.toString());
            assertTrue(events.stream().noneMatch(e -> e.startsWith("failed")), events.toString());
        }
    }

    @Test
    void anAbruptStopBetweenCommitAndAckOrMidBatchAppliesNothingTwice(NatsServer nats) throws Exception {
        SourceModel model = new SourceModel(2);
        Connection[] c = new Connection[1];
        try (StagingStream stream = new StagingStream(nats.url(), "gwb")) {
            for (int round = 0; round < 6; round++) {
                for (int i = 0; i < 8; i++) {
                    stream.transaction(model.randomTransaction(round % 3 == 2));
                }
                InjectedCrash.At fault = InjectedCrash.at(round % 2 == 0 ? ApplyFaults.COMMITTED_BEFORE_ACK : ApplyFaults.MID_FETCH);
                // The fixed batch delay (min = max): the first poll buffers what it reads, so that transactions are
                // held when the fault strikes (the adaptive policy would commit them all in that first poll).
                PipelineApplier crashing = applier(nats, "gwb", "pb", c, FAST.withMinBatchDelay(FAST.maxBatchDelay()), fault);
                // Apply a little normally (a round reads all that is staged), stage more, then stop abruptly at the fault point.
                crashing.pollOnce();
                for (int i = 8; i < 15; i++) {
                    stream.transaction(model.randomTransaction(round % 3 == 2));
                }
                fault.arm();
                assertThrows(InjectedCrash.class, () -> {
                    for (int i = 0; i < 100; i++) {
                        crashing.pollOnce();
                    }
                });
                c[0].close(); // the process is gone: its unacknowledged messages come back after ackWait
            }
            try (PipelineApplier applier = applier(nats, "gwb", "pb", c)) {
                drain(applier);
                assertTablesEqualSource(model, "pb");
            } finally {
                c[0].close();
            }
        }
    }

    @Test
    void aPullReturnsWhenNothingMoreIsPendingNotAfterTheFetchWait(NatsServer nats) throws Exception {
        SourceModel model = new SourceModel(9);
        Connection[] c = new Connection[1];
        try (StagingStream stream = new StagingStream(nats.url(), "gwp")) {
            for (int i = 0; i < 10; i++) {
                stream.transaction(model.randomTransaction(false)); // at most 20 messages: fewer than a pull asks for (50)
            }
            Duration wait = Duration.ofSeconds(4);
            try (PipelineApplier applier = applier(nats, "gwp", "pp", c, FAST.withFetchWait(wait))) {
                long start = System.nanoTime();
                int received = applier.pollOnce();
                long took = System.nanoTime() - start;
                assertTrue(received > 0, "the staged messages");
                // nats.java's fetch would have waited the whole 4 s for a full batch; this includes the Delta commit.
                assertTrue(took < wait.toNanos() / 2, "pull and commit took " + took / 1_000_000 + " ms");
                assertTablesEqualSource(model, "pp"); // caught up: committed in the same poll

                start = System.nanoTime();
                assertEquals(0, applier.pollOnce(), "nothing staged");
                took = System.nanoTime() - start;
                assertTrue(took > wait.toNanos() * 3 / 4, "an idle pull waits for messages: " + took / 1_000_000 + " ms");
            } finally {
                c[0].close();
            }
        }
    }

    @Test
    void aRoundReadsTheBacklogBeforeCommittingSoEachTableCommitsOnce(NatsServer nats) throws Exception {
        SourceModel model = new SourceModel(10);
        Connection[] c = new Connection[1];
        try (StagingStream stream = new StagingStream(nats.url(), "gwq")) {
            for (int i = 0; i < 200; i++) {
                stream.transaction(model.randomTransaction(false));
            }
            long staged;
            // Pulls of 50 messages, an age cap far away: one round must read all of the backlog (several pulls),
            // then commit each table once with everything it got — not one pull's worth at a time.
            ApplySettings settings = ApplySettings.DEFAULT.withFetchSize(50).withMaxBatchDelay(Duration.ofSeconds(30));
            try (PipelineApplier applier = applier(nats, "gwq", "pq", c, settings)) {
                staged = c[0].jetStreamManagement().getStreamInfo(dev.tideline.core.naming.Streams.changes("gwq"))
                        .getStreamState().getMsgCount();
                assertTrue(staged > 100, "a backlog of several pulls: " + staged);
                assertEquals(staged, applier.pollOnce(), "one round reads the whole backlog");
                assertEquals(2, events.stream().filter(e -> e.startsWith("committed")).count(), "one commit per table: " + events);
                assertTablesEqualSource(model, "pq");
            } finally {
                c[0].close();
            }
        }
    }

    @Test
    void aNatsRestartMidStreamLosesNothing(NatsServer nats) throws Exception {
        SourceModel model = new SourceModel(3);
        Connection[] c = new Connection[1];
        try (StagingStream stream = new StagingStream(nats.url(), "gwc")) {
            for (int i = 0; i < 30; i++) {
                stream.transaction(model.randomTransaction(true));
            }
            try (PipelineApplier applier = applier(nats, "gwc", "pc", c)) {
                applier.pollOnce();
                applier.pollOnce();
                nats.restart();
                for (int i = 0; i < 30; i++) {
                    stream.transaction(model.randomTransaction(true));
                }
                long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                PipelineApplier current = applier;
                while (true) {
                    try {
                        drain(current);
                        break;
                    } catch (TidelineException e) {
                        // What ApplyRunner does: back off, re-bind a new applier on the same connection.
                        assertTrue(e.isRetryable(), e.toString());
                        assertTrue(System.nanoTime() < deadline, "not caught up after the restart: " + e);
                        Thread.sleep(500); // deliberate: the backoff ApplyRunner takes before re-binding, not a wait for a condition
                        current.close();
                        // and, as ApplyRunner does after repeated failures, on a fresh connection.
                        c[0].close();
                        c[0] = Nats.connect(new Options.Builder().server(nats.url()).maxReconnects(-1)
                                .reconnectWait(Duration.ofMillis(200)).build());
                        current = new PipelineApplier(c[0], "gwc", "pc", routes(), engine(), warehouse.toString(),
                                FAST.withAckWait(Duration.ofSeconds(2)), WriterSettings.DEFAULT, recorder);
                        try {
                            current.start();
                        } catch (TidelineException notYet) {
                            assertTrue(notYet.isRetryable(), notYet.toString());
                        }
                    }
                }
                assertTablesEqualSource(model, "pc");
            } finally {
                c[0].close();
            }
        }
    }

    @Test
    void aSnapshotReplacesTheTableAndChangesAtOrBelowItsLsnAreSkipped(NatsServer nats) throws Exception {
        SourceModel model = new SourceModel(4);
        Connection[] c = new Connection[1];
        try (StagingStream stream = new StagingStream(nats.url(), "gwd")) {
            for (int i = 0; i < 10; i++) {
                stream.transaction(model.randomTransaction(false));
            }
            // A full refresh: the snapshot holds the model's rows; a stale change published after the
            // snapshot's first batch but at an LSN below it must be ignored.
            List<Row> orders = new ArrayList<>(model.rows.get(SourceModel.ORDERS).values());
            stream.snapshot(model.schemas.get(SourceModel.ORDERS), "s1", orders);
            for (int i = 0; i < 10; i++) {
                stream.transaction(model.randomTransaction(false));
            }
            try (PipelineApplier applier = applier(nats, "gwd", "pd", c)) {
                drain(applier);
                assertTablesEqualSource(model, "pd");
                assertEquals("s1", table("pd", SourceModel.ORDERS, "main", "sales", "orders").snapshotId());
            } finally {
                c[0].close();
            }
        }
    }

    @Test
    void changesBetweenChunkReadsAndPartialReadsFollowTheGatewayContract(NatsServer nats) throws Exception {
        SourceModel model = new SourceModel(7);
        Connection[] c = new Connection[1];
        try (StagingStream stream = new StagingStream(nats.url(), "gwg")) {
            for (int i = 0; i < 5; i++) {
                stream.transaction(model.randomTransaction(false));
            }
            RelationSchema orders = model.schemas.get(SourceModel.ORDERS);
            Lsn begin = stream.nextLsn();
            stream.publish(dev.tideline.core.wire.WireCodec.encode("gwg",
                    new dev.tideline.core.wire.ChangeBatch.SnapshotBegin("s2", begin, orders)));
            List<Row> all = new ArrayList<>(model.rows.get(SourceModel.ORDERS).values());
            List<Row> firstHalf = all.subList(0, all.size() / 2);
            // Read 0 of the first half is interrupted (partial), read 1 of it completes later.
            stream.chunk(orders, "s2", begin, 0, firstHalf.subList(0, firstHalf.size() / 2), false);
            stream.chunk(orders, "s2", begin, 1, new ArrayList<>(firstHalf), true);
            long rows = firstHalf.size();
            // Changes between chunk reads are applied in stream order on top of the snapshot.
            for (int i = 0; i < 5; i++) {
                stream.transaction(model.randomTransaction(false));
            }
            List<Row> now = new ArrayList<>(model.rows.get(SourceModel.ORDERS).values());
            List<Row> secondHalf = new ArrayList<>(now.subList(Math.min(now.size(), all.size() / 2), now.size()));
            rows += stream.chunk(orders, "s2", begin, 2, secondHalf, true);
            stream.publish(dev.tideline.core.wire.WireCodec.encode("gwg", new dev.tideline.core.wire.ChangeBatch.SnapshotDone("s2",
                    stream.nextLsn(), SourceModel.ORDERS, rows, 3)));
            for (int i = 0; i < 5; i++) {
                stream.transaction(model.randomTransaction(false));
            }
            try (PipelineApplier applier = applier(nats, "gwg", "pg", c)) {
                drain(applier);
                assertTablesEqualSource(model, "pg");
            } finally {
                c[0].close();
            }
        }
    }

    @Test
    void aColumnAddedMidStreamAppearsWithNullInOlderRows(NatsServer nats) throws Exception {
        SourceModel model = new SourceModel(5);
        Connection[] c = new Connection[1];
        try (StagingStream stream = new StagingStream(nats.url(), "gwe")) {
            for (int i = 0; i < 10; i++) {
                stream.transaction(model.randomTransaction(false));
            }
            List<ColumnSchema> columns = new ArrayList<>(SourceModel.ORDERS_V1.columns());
            columns.add(new ColumnSchema("extra", PgType.TEXT, -1, false));
            model.schemas.put(SourceModel.ORDERS, new RelationSchema(100, SourceModel.ORDERS, SourceModel.ORDERS_V1.replicaIdentity(),
                    columns));
            // Rows written before the change read null in the new column.
            model.rows.get(SourceModel.ORDERS).replaceAll((k, r) -> {
                List<Object> v = new ArrayList<>(r.values());
                v.add(null);
                return Row.of(v);
            });
            for (int i = 0; i < 10; i++) {
                stream.transaction(model.randomTransaction(false));
            }
            try (PipelineApplier applier = applier(nats, "gwe", "pe", c)) {
                drain(applier);
                assertTablesEqualSource(model, "pe");
            } finally {
                c[0].close();
            }
        }
    }

    /**
     * A kill -9 of apply-service while it held unacknowledged messages, and the gateway's purge of
     * everything below the recorded position meanwhile: the restarted applier re-creates its consumer
     * right after the acknowledged floor. That fresh consumer has acknowledged nothing yet, and the
     * position it records must not fall back with it — a recorded position below the purged stream's
     * first message reads, ten seconds later, as a staging gap that fails every table.
     */
    @Test
    void aRestartAfterAKillWithUnacknowledgedMessagesIsNoStagingGap(NatsServer nats) throws Exception {
        SourceModel model = new SourceModel(7);
        Connection[] c = new Connection[1];
        try (StagingStream stream = new StagingStream(nats.url(), "gwr")) {
            for (int i = 0; i < 20; i++) {
                stream.transaction(model.randomTransaction(false));
            }
            try (PipelineApplier applier = applier(nats, "gwr", "pr", c)) {
                drain(applier);
            } finally {
                c[0].close();
            }
            for (int i = 0; i < 20; i++) {
                stream.transaction(model.randomTransaction(false));
            }
            PipelineApplier crashing = applier(nats, "gwr", "pr", c, InjectedCrash.at(ApplyFaults.MID_FETCH).arm());
            assertThrows(InjectedCrash.class, () -> {
                for (int i = 0; i < 100; i++) {
                    crashing.pollOnce();
                }
            });
            c[0].close(); // killed holding unacknowledged messages
            long recorded = recordedPosition(nats, "pr");
            assertTrue(recorded > 0, "the first run recorded its position");
            // What the gateway's StagingPurge does: drop everything at or below the recorded position.
            stream.jsm.purgeStream(Streams.changes("gwr"), io.nats.client.PurgeOptions.builder().sequence(recorded + 1).build());

            try (PipelineApplier applier = applier(nats, "gwr", "pr", c)) {
                applier.checkStagingGap(); // the periodic check, before anything new was acknowledged
                applier.checkStagingGap();
                assertFalse(applier.stagingGapDetected(), events.toString());
                assertTrue(recordedPosition(nats, "pr") >= recorded, "the recorded position never moves back");
                drain(applier);
                applier.checkStagingGap();
                assertFalse(applier.stagingGapDetected(), events.toString());
                assertTablesEqualSource(model, "pr");
            } finally {
                c[0].close();
            }
            assertTrue(events.stream().noneMatch(e -> e.startsWith("failed")), events.toString());
        }
    }

    /**
     * A full refresh whose snapshot loads, but a change replayed on top of it cannot be applied (here an
     * insert without its key, as a keyless table's NULL would be): the table ends FAILED and stays so —
     * the snapshot's own commit must not report it COMMITTED afterwards (the pgbench_history case).
     */
    @Test
    void aSnapshotWhoseReplayedChangeFailsStaysFailed(NatsServer nats) throws Exception {
        SourceModel model = new SourceModel(8);
        Connection[] c = new Connection[1];
        try (StagingStream stream = new StagingStream(nats.url(), "gwh")) {
            for (int i = 0; i < 5; i++) {
                stream.transaction(model.randomTransaction(false));
            }
            RelationSchema orders = model.schemas.get(SourceModel.ORDERS);
            Lsn begin = stream.nextLsn();
            stream.publish(dev.tideline.core.wire.WireCodec.encode("gwh",
                    new dev.tideline.core.wire.ChangeBatch.SnapshotBegin("s3", begin, orders)));
            long rows = stream.chunk(orders, "s3", begin, 0, new ArrayList<>(model.rows.get(SourceModel.ORDERS).values()), true);
            stream.transaction(List.of(StagingStream.insert(orders, Row.of(java.util.Arrays.asList(null, "no key", null, null, null)))));
            stream.publish(dev.tideline.core.wire.WireCodec.encode("gwh", new dev.tideline.core.wire.ChangeBatch.SnapshotDone("s3",
                    stream.nextLsn(), SourceModel.ORDERS, rows, 1)));
            try (PipelineApplier applier = applier(nats, "gwh", "ph", c)) {
                drain(applier);
            } finally {
                c[0].close();
            }
            List<String> orderEvents = events.stream().filter(e -> e.contains("main.sales.orders")).toList();
            assertTrue(!orderEvents.isEmpty() && orderEvents.get(orderEvents.size() - 1).startsWith("failed main.sales.orders")
                    && orderEvents.get(orderEvents.size() - 1).contains("has no value"), orderEvents.toString());
            assertTrue(table("ph", SourceModel.ORDERS, "main", "sales", "orders").failure().contains("has no value"));
        }
    }

    static long recordedPosition(NatsServer nats, String pipeline) throws Exception {
        try (Connection connection = Nats.connect(nats.url())) {
            io.nats.client.api.KeyValueEntry entry = connection.keyValue(dev.tideline.core.naming.KvBuckets.CHECKPOINTS)
                    .get(dev.tideline.core.naming.KvKeys.applyStreamPosition(pipeline));
            return dev.tideline.core.checkpoint.ApplyStreamPosition.decode(entry == null ? null : entry.getValue()).orElse(-1);
        }
    }

    @Test
    void aStagingGapFailsTheTablesWithFullRefreshAsTheRemedy(NatsServer nats) throws Exception {
        SourceModel model = new SourceModel(6);
        Connection[] c = new Connection[1];
        try (StagingStream stream = new StagingStream(nats.url(), "gwf")) {
            for (int i = 0; i < 5; i++) {
                stream.transaction(model.randomTransaction(false));
            }
            try (PipelineApplier applier = applier(nats, "gwf", "pf", c)) {
                drain(applier);
            } finally {
                c[0].close();
            }
            for (int i = 0; i < 5; i++) {
                stream.transaction(model.randomTransaction(false));
            }
            // The stream drops what the pipeline had not applied (as max age would).
            stream.jsm.purgeStream(Streams.changes("gwf"));
            for (int i = 0; i < 3; i++) {
                stream.transaction(model.randomTransaction(false));
            }
            try (PipelineApplier applier = applier(nats, "gwf", "pf", c)) {
                assertTrue(applier.stagingGapDetected());
                drain(applier);
            } finally {
                c[0].close();
            }
            DeltaTableWriter orders = table("pf", SourceModel.ORDERS, "main", "sales", "orders");
            assertTrue(orders.failure() != null && orders.failure().contains("full refresh"), String.valueOf(orders.failure()));
            assertTrue(events.stream().anyMatch(e -> e.startsWith("failed main.sales.orders") && e.contains("full refresh")), events.toString());
            // After a full refresh the table is back.
            List<Row> rows = new ArrayList<>(model.rows.get(SourceModel.ORDERS).values());
            stream.snapshot(model.schemas.get(SourceModel.ORDERS), "refresh1", rows);
            stream.transaction(model.randomTransaction(false));
            try (PipelineApplier applier = applier(nats, "gwf", "pf", c)) {
                drain(applier);
            } finally {
                c[0].close();
            }
            orders = table("pf", SourceModel.ORDERS, "main", "sales", "orders");
            assertEquals(null, orders.failure());
            assertEquals(model.expected(SourceModel.ORDERS), SourceModel.actual(orders, 5));
            assertFalse(events.isEmpty());
        }
    }
}
