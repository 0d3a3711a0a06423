package dev.tideline.apply.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.apply.delta.DeltaTableWriter;
import dev.tideline.apply.delta.ScdType;
import dev.tideline.apply.delta.WriterSettings;
import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Source transactions far larger than a batch ({@code max-batch-rows} 400 here), against a real
 * nats-server and real Delta tables on disk: applied in rounds to one staged commit while their
 * messages arrive, they end with the tables equal to the source and appear in exactly one Delta commit
 * each (nothing of them before) — keyed tables with updates, key changes and deletes of rows the same
 * transaction inserted, and a keyless table with identical rows — also when the applier stops abruptly
 * after several staged rounds, before the commit.
 */
@WithNats
class LargeTransactionIT {

    /** Batches of 400 row changes: a transaction of thousands is staged in many rounds. */
    static final ApplySettings SMALL_BATCHES = PipelineApplierIT.FAST.withAckWait(Duration.ofSeconds(2));

    @TempDir
    Path warehouse;

    final List<String> events = new CopyOnWriteArrayList<>();
    final ApplyListener recorder = new ApplyListener() {
        @Override
        public void committed(TableTarget target, String location, Lsn appliedLsn, long rowChanges, SinkCommit outcome) {
            events.add("committed " + target.fullName() + " " + appliedLsn + " " + rowChanges + " v" + outcome.version());
        }

        @Override
        public void failed(TableTarget target, TidelineException error) {
            events.add("failed " + target.fullName() + " " + error.getMessage());
        }
    };

    Engine engine() {
        return DeltaEngines.forWarehouse(warehouse.toString(), EngineSettings.defaults().withFsync(false));
    }

    PipelineApplier applier(NatsServer nats, String gateway, TableRouter routes, Connection[] holder) throws Exception {
        holder[0] = Nats.connect(new Options.Builder().server(nats.url()).maxReconnects(-1).reconnectWait(Duration.ofMillis(200))
                .errorListener(new PullStatusListener()).build());
        PipelineApplier applier = new PipelineApplier(holder[0], gateway, "pk", routes, engine(), warehouse.toString(), SMALL_BATCHES,
                WriterSettings.DEFAULT.withCompactAfterFiles(8), recorder);
        applier.start();
        return applier;
    }

    DeltaTableWriter table(TableId source, String catalog, String schema, String name) {
        return DeltaTableWriter.open(engine(), TableLocations.of(warehouse.toString(), catalog, schema, name),
                "pk/" + source.schema() + "." + source.name(), source, WriterSettings.DEFAULT);
    }

    DeltaTableWriter orders() {
        return table(SourceModel.ORDERS, "main", "sales", "orders");
    }

    DeltaTableWriter items() {
        return table(SourceModel.ITEMS, "main", "shop", "line items");
    }

    void assertEqualsSource(SourceModel model) throws Exception {
        assertEquals(model.expected(SourceModel.ORDERS), SourceModel.actual(orders(), model.schemas.get(SourceModel.ORDERS).columnCount()));
        assertEquals(model.expected(SourceModel.ITEMS), SourceModel.actual(items(), 2));
        DeltaHistory.assertNoTransactionAppliedTwice(orders());
        DeltaHistory.assertNoTransactionAppliedTwice(items());
    }

    @Test
    void aTransactionOfManyBatchesIsOneCommitEqualToTheSource(NatsServer nats) throws Exception {
        SourceModel model = new SourceModel(5);
        Connection[] c = new Connection[1];
        try (StagingStream stream = new StagingStream(nats.url(), "gwb");
             PipelineApplier applier = applier(nats, "gwb", PipelineApplierIT.routes(), c)) {
            for (int i = 0; i < 20; i++) {
                stream.transaction(model.randomTransaction(false));
            }
            applier.runUntilCaughtUp(Duration.ofSeconds(60));
            assertEqualsSource(model);
            long ordersBefore = orders().version();
            long itemsBefore = items().version();

            // ~4,000 row changes over both tables, a third of the updates and deletes on rows inserted by it.
            Lsn large = stream.transaction(model.randomTransaction(false, 4000));
            applier.runUntilCaughtUp(Duration.ofSeconds(120));

            assertEqualsSource(model);
            assertEquals(List.of(large.value()), DeltaHistory.dataCommitsAfter(orders(), ordersBefore),
                    "the transaction is one Delta commit of orders");
            assertEquals(List.of(large.value()), DeltaHistory.dataCommitsAfter(items(), itemsBefore),
                    "the transaction is one Delta commit of items");

            // Small transactions after it go on as before.
            for (int i = 0; i < 20; i++) {
                stream.transaction(model.randomTransaction(true));
            }
            applier.runUntilCaughtUp(Duration.ofSeconds(60));
            assertEqualsSource(model);
        } finally {
            c[0].close();
        }
        assertTrue(events.stream().noneMatch(e -> e.startsWith("failed")), events.toString());
    }

    @Test
    void anAbruptStopAfterStagedRoundsBeforeTheCommitLosesAndDuplicatesNothing(NatsServer nats) throws Exception {
        KeylessTableIT.History source = new KeylessTableIT.History(11);
        TableRouter routes = TableRoutes.of(new TableTarget(KeylessTableIT.HISTORY, "main", "audit", "history", ScdType.SCD_TYPE_1,
                List.of()));
        Connection[] c = new Connection[1];
        try (StagingStream stream = new StagingStream(nats.url(), "gwh")) {
            for (int i = 0; i < 10; i++) {
                stream.transaction(source.transaction(false));
            }
            long versionBefore;
            try (PipelineApplier applier = applier(nats, "gwh", routes, c)) {
                applier.runUntilCaughtUp(Duration.ofSeconds(60));
                versionBefore = history().version();
            } finally {
                c[0].close();
            }

            // A transaction of 3,000 changes whose last message is not there yet: the applier stages it in
            // rounds, then stops abruptly (no acks, no commit).
            StagingStream.Held held = stream.transactionHoldingBack(source.transaction(false, 3000), 1);
            long filesBefore = parquetFiles(history());
            PipelineApplier crashing = applier(nats, "gwh", routes, c);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (crashing.pending() > 0 && System.nanoTime() < deadline) {
                crashing.pollOnce();
            }
            crashing.pollOnce();
            assertTrue(parquetFiles(history()) > filesBefore + 3, "the applier staged rounds before it stopped");
            assertEquals(versionBefore, history().version(), "nothing of the transaction is committed without its last message");
            c[0].close(); // gone without a word: its messages come back, its staged files stay unreferenced

            stream.publishAll(held.rest());
            try (PipelineApplier applier = applier(nats, "gwh", routes, c)) {
                applier.runUntilCaughtUp(Duration.ofSeconds(120));
            } finally {
                c[0].close();
            }
            assertEquals(List.of(held.lsn().value()), DeltaHistory.dataCommitsAfter(history(), versionBefore));
        }
        assertTrue(events.stream().noneMatch(e -> e.startsWith("failed")), events.toString());
        List<String> expected = source.expected();
        assertTrue(expected.size() > expected.stream().distinct().count(), "the workload must leave identical rows");
        List<String> actual = new ArrayList<>();
        history().readAll().forEach(r -> actual.add(Arrays.toString(r)));
        actual.sort(Comparator.naturalOrder());
        assertEquals(expected, actual);
        DeltaHistory.assertNoTransactionAppliedTwice(history());
    }

    DeltaTableWriter history() {
        return table(KeylessTableIT.HISTORY, "main", "audit", "history");
    }

    /** Parquet files in the table directory, referenced or not. */
    static long parquetFiles(DeltaTableWriter table) throws Exception {
        try (Stream<Path> files = Files.list(DeltaEngines.localPath(table.tablePath()))) {
            return files.filter(p -> p.getFileName().toString().endsWith(".parquet")).count();
        }
    }
}
