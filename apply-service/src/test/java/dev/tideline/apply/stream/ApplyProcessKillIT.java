package dev.tideline.apply.stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.apply.delta.DeltaTableWriter;
import dev.tideline.apply.delta.WriterSettings;
import dev.tideline.core.TableId;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.TableLocations;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.WithNats;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of a real applier process ({@link ApplyProcessMain}): between its Delta commit and
 * its acks, in the middle of a fetched batch, and at random moments of continuous applying (inside
 * Parquet, deletion-vector and commit writes). A new process then catches up, and the tables equal
 * the source: no lost change, no duplicate key, and no source transaction committed twice in the
 * Delta history.
 */
@WithNats
class ApplyProcessKillIT {

    @TempDir
    Path warehouse;

    @Test
    void killedApplierProcessesLoseAndDuplicateNothing(NatsServer nats) throws Exception {
        killedApplierProcessesLoseAndDuplicateNothing(nats, warehouse.toString(), Map.of(), this::table,
                location -> DeltaEngines.localPath(location));
    }

    /**
     * The scenario of {@link #killedApplierProcessesLoseAndDuplicateNothing(NatsServer)} on any warehouse.
     *
     * @param environment  the children's extra environment (an S3 server's endpoint and credentials)
     * @param open         opens a table of the warehouse for reading: (source, catalog, schema, name)
     * @param logDirectory where a table's files are on this machine, for the history check
     */
    static void killedApplierProcessesLoseAndDuplicateNothing(NatsServer nats, String warehouse, Map<String, String> environment,
            TableOpener open, java.util.function.Function<String, Path> logDirectory) throws Exception {
        SourceModel model = new SourceModel(21);
        Random random = new Random(21);
        List<String> modes = List.of("AFTER_COMMIT_BEFORE_ACK", "MID_BATCH", "RUN", "AFTER_COMMIT_BEFORE_ACK", "RUN", "MID_BATCH", "RUN");
        int paused = 0;
        try (StagingStream stream = new StagingStream(nats.url(), "gwk")) {
            for (int round = 0; round < modes.size(); round++) {
                String mode = modes.get(round);
                int transactions = mode.equals("RUN") ? 60 : 20;
                for (int i = 0; i < transactions; i++) {
                    stream.transaction(model.randomTransaction(round % 3 == 2));
                }
                Child child = Child.start(nats, warehouse, mode, environment);
                try {
                    if (mode.equals("RUN")) {
                        assertTrue(child.await("STARTED"), "child started: " + child.output);
                        Thread.sleep(200 + random.nextInt(1500)); // deliberate: a random moment of the run to kill it at
                    } else {
                        String reached = child.awaitAny("PAUSED at " + mode, "NO FAULT");
                        assertEquals("PAUSED at " + mode, reached, child.output.toString());
                        paused++;
                    }
                } finally {
                    child.kill();
                }
            }
            assertEquals(4, paused);
            Child drain = Child.start(nats, warehouse, "DRAIN", environment);
            try {
                assertTrue(drain.await("CAUGHT UP"), "caught up: " + drain.output);
                assertTrue(drain.process.waitFor(30, TimeUnit.SECONDS));
                assertEquals(0, drain.process.exitValue());
            } finally {
                drain.kill();
            }
        }
        DeltaTableWriter orders = open.open(SourceModel.ORDERS, "main", "sales", "orders");
        DeltaTableWriter items = open.open(SourceModel.ITEMS, "main", "shop", "line items");
        assertEquals(model.expected(SourceModel.ORDERS), SourceModel.actual(orders, model.schemas.get(SourceModel.ORDERS).columnCount()));
        assertEquals(model.expected(SourceModel.ITEMS), SourceModel.actual(items, 2));
        DeltaHistory.assertNoTransactionAppliedTwice(logDirectory.apply(orders.tablePath()));
        DeltaHistory.assertNoTransactionAppliedTwice(logDirectory.apply(items.tablePath()));
    }

    /** Opens a table of the warehouse under test. */
    @FunctionalInterface
    interface TableOpener {
        DeltaTableWriter open(TableId source, String catalog, String schema, String name);
    }

    /**
     * {@code kill -9} in the middle of a transaction far larger than a batch: after the applier staged
     * several rounds of it (files written, nothing committed), before its last message arrived. A new
     * process re-reads the transaction and applies it as one commit; the staged files of the killed one
     * stay unreferenced.
     */
    @Test
    void aKillAfterStagedRoundsBeforeTheCommitLosesAndDuplicatesNothing(NatsServer nats) throws Exception {
        SourceModel model = new SourceModel(33);
        try (StagingStream stream = new StagingStream(nats.url(), "gwk")) {
            for (int i = 0; i < 10; i++) {
                stream.transaction(model.randomTransaction(false));
            }
            drain(nats);
            DeltaTableWriter orders = table(SourceModel.ORDERS, "main", "sales", "orders");
            DeltaTableWriter items = table(SourceModel.ITEMS, "main", "shop", "line items");
            long ordersBefore = orders.version();
            long itemsBefore = items.version();
            long filesBefore = LargeTransactionIT.parquetFiles(orders) + LargeTransactionIT.parquetFiles(items);

            StagingStream.Held held = stream.transactionHoldingBack(model.randomTransaction(false, 4000), 1);
            Child child = Child.start(nats, warehouse, "RUN");
            try {
                assertTrue(child.await("STARTED"), "child started: " + child.output);
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                        .until(() -> LargeTransactionIT.parquetFiles(orders) + LargeTransactionIT.parquetFiles(items) >= filesBefore + 4);
            } finally {
                child.kill();
            }
            assertTrue(LargeTransactionIT.parquetFiles(orders) + LargeTransactionIT.parquetFiles(items) >= filesBefore + 4,
                    "rounds were staged before the kill: " + child.output);

            stream.publishAll(held.rest());
            drain(nats);
            assertEquals(List.of(held.lsn().value()), DeltaHistory.dataCommitsAfter(table(SourceModel.ORDERS, "main", "sales", "orders"),
                    ordersBefore));
            assertEquals(List.of(held.lsn().value()), DeltaHistory.dataCommitsAfter(table(SourceModel.ITEMS, "main", "shop", "line items"),
                    itemsBefore));
        }
        DeltaTableWriter orders = table(SourceModel.ORDERS, "main", "sales", "orders");
        DeltaTableWriter items = table(SourceModel.ITEMS, "main", "shop", "line items");
        assertEquals(model.expected(SourceModel.ORDERS), SourceModel.actual(orders, model.schemas.get(SourceModel.ORDERS).columnCount()));
        assertEquals(model.expected(SourceModel.ITEMS), SourceModel.actual(items, 2));
        DeltaHistory.assertNoTransactionAppliedTwice(orders);
        DeltaHistory.assertNoTransactionAppliedTwice(items);
    }

    private void drain(NatsServer nats) throws Exception {
        Child drain = Child.start(nats, warehouse, "DRAIN");
        try {
            assertTrue(drain.await("CAUGHT UP"), "caught up: " + drain.output);
            assertTrue(drain.process.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, drain.process.exitValue());
        } finally {
            drain.kill();
        }
    }

    private DeltaTableWriter table(TableId source, String catalog, String schema, String name) {
        return DeltaTableWriter.open(DeltaEngines.forWarehouse(warehouse.toString(), EngineSettings.defaults()),
                TableLocations.of(warehouse.toString(), catalog, schema, name), "pk/" + source.schema() + "." + source.name(), source,
                WriterSettings.DEFAULT);
    }

    /** A child JVM running {@link ApplyProcessMain}, its output collected line by line. */
    static final class Child {
        final Process process;
        final List<String> output = new CopyOnWriteArrayList<>();
        private final CompletableFuture<Void> reader;

        private Child(Process process) {
            this.process = process;
            this.reader = CompletableFuture.runAsync(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = out.readLine()) != null; ) {
                        output.add(line);
                    }
                } catch (java.io.IOException e) {
                    // the process was killed
                }
            });
        }

        static Child start(NatsServer nats, Path warehouse, String mode) throws Exception {
            return start(nats, warehouse.toString(), mode, Map.of());
        }

        static Child start(NatsServer nats, String warehouse, String mode, Map<String, String> environment) throws Exception {
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(ApplyProcessMain.class.getName());
            command.addAll(List.of(nats.url(), "gwk", "pk", warehouse, mode));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().putAll(environment);
            return new Child(builder.start());
        }

        boolean await(String line) throws InterruptedException {
            return line.equals(awaitAny(line));
        }

        /** Waits up to two minutes for a line starting with one of {@code lines}; returns it, or null. */
        String awaitAny(String... lines) throws InterruptedException {
            AtomicReference<String> found = new AtomicReference<>();
            try {
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(20)).until(() -> {
                    for (String seen : output) {
                        for (String l : lines) {
                            if (seen.startsWith(l)) {
                                found.set(l);
                                return true;
                            }
                        }
                    }
                    return !process.isAlive() && reader.isDone();
                });
            } catch (ConditionTimeoutException e) {
                return null;
            }
            return found.get();
        }

        /** SIGKILL: no shutdown hooks, no acks, no flush of anything the process still held. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        }
    }
}
