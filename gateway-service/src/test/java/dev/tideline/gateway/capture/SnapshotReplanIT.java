package dev.tideline.gateway.capture;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.wire.BatchLimits;
import dev.tideline.gateway.publish.JetStreamPublisher;
import dev.tideline.gateway.snapshot.ExportedSnapshotLoad;
import dev.tideline.gateway.snapshot.SnapshotProgress;
import dev.tideline.gateway.snapshot.SnapshotProgressStore;
import dev.tideline.gateway.snapshot.SnapshotSettings;
import dev.tideline.gateway.snapshot.SqlConnector;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithNats;
import dev.tideline.testing.WithPostgres;
import io.nats.client.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The two ways a table's snapshot cannot go on as planned, each under a real Postgres and
 * nats-server: the table's primary key is replaced while its watermark snapshot runs (the plan no
 * longer fits: the table's snapshot starts over with a new id and plan while streaming goes on), and
 * the table is rewritten after the gateway created its slot with an exported snapshot but before the
 * load locked it (the exported snapshot would see the rewritten table empty: the relfilenode check
 * sends it to the watermark snapshot instead). In both, the stream consumed as docs/gateway.md
 * prescribes holds exactly the source's rows — none lost, none twice.
 */
@WithPostgres
@WithNats
class SnapshotReplanIT {

    private static final Duration CATCH_UP = Duration.ofSeconds(90);

    @Test
    void aPrimaryKeyReplacedMidSnapshotRestartsTheTablesSnapshotWithANewPlan(PostgresServer pg, NatsServer nats) throws Exception {
        CaptureFixture f = new CaptureFixture("snappk", pg, nats, 1, 31, false);
        String orders = f.orders.quoted();
        // The future key: filled by a default from its own sequence, so the writers need not know it; its
        // values never equal an id, so a row the consumer still held under its old key could not pass for a new one.
        f.sql("CREATE SEQUENCE snappk.codes START 1000000000",
                "ALTER TABLE " + orders + " ADD COLUMN code bigint NOT NULL DEFAULT nextval('snappk.codes') UNIQUE");
        f.transaction(f.insertOrders(6000, 40), f.insertItems(300));
        f.createSlot(); // a user's slot: the watermark snapshot runs while streaming
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Void> writes = writer(f, stop);
        try (SnapshotIT.Gateway g = SnapshotIT.Gateway.start(f, new SnapshotSettings(20, 2, Duration.ofSeconds(30), 10, Duration.ofMillis(500)))) {
            await().atMost(CATCH_UP).pollInterval(Duration.ofMillis(5)).until(() -> g.chunksDone(f.orders) > 3);
            String first = g.snapshots().states().get(f.orders).progress().snapshotId();
            // One transaction: between the two statements the table would have no replica identity and refuse the writers' updates.
            f.transaction("ALTER TABLE " + orders + " DROP CONSTRAINT \"Orders_pkey\"", "ALTER TABLE " + orders + " ADD PRIMARY KEY (code)");
            assertFalse(g.done(f.orders), "the key should change mid-snapshot");
            await().atMost(CATCH_UP).until(() -> g.done(f.orders, f.items) && !first.equals(snapshotId(g, f.orders)));
            stop.set(true);
            writes.get();
            f.randomWorkload(10); // streaming goes on, keyed by the new key
            try (Connection client = f.natsClient()) {
                SnapshotProgress stored = new SnapshotProgressStore(client, f.name).read(f.orders).orElseThrow();
                assertEquals(SnapshotProgress.DONE, stored.state());
                assertNotEquals(first, stored.snapshotId(), "the table's snapshot should start over, not resume the old plan");
                assertTrue(stored.chunks().get(0).lower() == null && stored.chunks().size() > 100,
                        "a new plan over the whole table: " + stored.chunks().size() + " chunks");
            }
            awaitExactReconstruction(f);
            assertEquals(1, g.capture().sessions(), "streaming is not interrupted by the restart of the table's snapshot");
        } finally {
            stop.set(true);
        }
    }

    @Test
    void aKeylessTableRewrittenMidSnapshotRestartsItsSnapshotInsteadOfMissingMovedRows(PostgresServer pg, NatsServer nats) throws Exception {
        CaptureFixture f = new CaptureFixture("snapkl", pg, nats, 1, 33, false);
        String orders = f.orders.quoted();
        // Without a key the table is chunked by block ranges (ctid), which a rewrite renumbers.
        f.sql("ALTER TABLE " + orders + " DROP CONSTRAINT \"Orders_pkey\"", "ALTER TABLE " + orders + " REPLICA IDENTITY FULL");
        f.transaction(f.insertOrders(6000, 40), f.insertItems(300));
        f.sql("ANALYZE " + orders);
        f.createSlot();
        try (SnapshotIT.Gateway g = SnapshotIT.Gateway.start(f, new SnapshotSettings(20, 1, Duration.ofSeconds(30), 10, Duration.ofMillis(500)))) {
            await().atMost(CATCH_UP).pollInterval(Duration.ofMillis(5)).until(() -> g.chunksDone(f.orders) > 15);
            String first = g.snapshots().states().get(f.orders).progress().snapshotId();
            int chunks = g.snapshots().states().get(f.orders).progress().chunks().size();
            // Half the rows go; VACUUM FULL packs the rest into half the blocks, moving rows of blocks not yet
            // read into blocks already read. The rewrite itself streams nothing.
            f.sql("DELETE FROM " + orders + " WHERE id % 2 = 0", "VACUUM FULL " + orders);
            assertFalse(g.done(f.orders), "the rewrite should come mid-snapshot (" + chunks + " chunks)");
            await().atMost(CATCH_UP).until(() -> g.done(f.orders, f.items));
            assertNotEquals(first, snapshotId(g, f.orders), "the block ranges no longer fit: the table's snapshot starts over");
            f.transaction(f.insertOrders(50, 40));
            awaitExactReconstruction(f);
        }
    }

    @Test
    void aTableRetypedBetweenSlotCreationAndTheExportedLoadIsSnapshottedWithWatermarks(PostgresServer pg, NatsServer nats) throws Exception {
        // A rewrite that writes the rows anew with its own xid: the exported snapshot would see the table empty.
        rewrittenBetweenSlotCreationAndTheLoad(pg, nats, "snaprt", "ALTER TABLE %s ALTER COLUMN qty TYPE bigint");
    }

    @Test
    void aTableVacuumedFullBetweenSlotCreationAndTheExportedLoadIsSnapshottedWithWatermarks(PostgresServer pg, NatsServer nats) throws Exception {
        rewrittenBetweenSlotCreationAndTheLoad(pg, nats, "snapvf", "VACUUM FULL %s");
    }

    /**
     * Rewrites orders in the window between the slot's creation (its exported snapshot is taken) and
     * the load's lock on the table: the statement runs when the load opens its first reader
     * connection, which it does right after {@code CREATE_REPLICATION_SLOT} returned. (A rewrite
     * queued earlier behind a held lock cannot be used: a statement waiting for an ACCESS EXCLUSIVE
     * lock already has an xid, and the slot's creation waits for it.)
     */
    private static void rewrittenBetweenSlotCreationAndTheLoad(PostgresServer pg, NatsServer nats, String name, String rewrite) throws Exception {
        CaptureFixture f = new CaptureFixture(name, pg, nats, 1, 32, false);
        f.transaction(f.insertOrders(2000, 40), f.insertItems(500));
        f.sql("DELETE FROM " + f.orders.quoted() + " WHERE id % 3 = 0"); // dead rows, so that VACUUM FULL has something to do
        AtomicBoolean rewritten = new AtomicBoolean();
        SqlConnector connector = () -> { // the load's connections, with the rewrite slipped into the first one
            if (rewritten.compareAndSet(false, true)) {
                f.sql(String.format(rewrite, f.orders.quoted()),
                        "UPDATE " + f.orders.quoted() + " SET amount = amount + 1 WHERE id % 10 = 1"); // after the consistent point: streamed
            }
            return pg.connect();
        };
        try (Connection client = f.natsClient()) {
            JetStreamPublisher publisher = new JetStreamPublisher(client, f.name, f.settings(Duration.ofMillis(50)).publisher());
            publisher.ensureStream();
            SnapshotProgressStore store = new SnapshotProgressStore(client, f.name);
            SnapshotSettings settings = new SnapshotSettings(150, 2, Duration.ofSeconds(30), 10, Duration.ofMillis(500));
            Lsn at = new ExportedSnapshotLoad(f.name, connector, store, publisher, new BatchLimits(4096, 16384), settings)
                    .createSlotAndLoad(f.pg::replicationConnection, f.name + "_slot", List.of(f.orders, f.items));
            assertTrue(rewritten.get() && at.isValid());
            assertEquals(Optional.empty(), store.read(f.orders).map(SnapshotProgress::state),
                    "the rewritten table must not be loaded from the exported snapshot");
            SnapshotProgress items = store.read(f.items).orElseThrow();
            assertEquals(SnapshotProgress.DONE, items.state(), "the untouched table is loaded from the exported snapshot");
            try (SnapshotIT.Gateway g = SnapshotIT.Gateway.start(f, settings)) {
                await().atMost(CATCH_UP).until(() -> g.done(f.orders, f.items));
                assertTrue(snapshotId(g, f.orders).startsWith("s"), "orders is snapshotted with watermarks: " + snapshotId(g, f.orders));
                assertEquals(items.snapshotId(), snapshotId(g, f.items), "items is not snapshotted twice");
                f.randomWorkload(10);
                awaitExactReconstruction(f);
            }
        }
    }

    private static String snapshotId(SnapshotIT.Gateway g, TableId table) {
        return g.snapshots().states().get(table).progress().snapshotId();
    }

    /** Random transactions on both tables until stopped. */
    private static CompletableFuture<Void> writer(CaptureFixture f, AtomicBoolean stop) {
        return CompletableFuture.runAsync(() -> {
            try {
                while (!stop.get()) {
                    f.randomWorkload(5);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /**
     * The stream replayed equals the source, and holds no more rows than the source: the comparison
     * keyed by the first column alone would hide a stale row the consumer still held under another key.
     */
    private static void awaitExactReconstruction(CaptureFixture f) {
        await().atMost(CATCH_UP).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() -> {
            try (Connection client = f.natsClient(); java.sql.Connection c = f.pg.connect()) {
                StreamReconstructor r = StreamReconstructor.read(client, f.name);
                for (TableId table : List.of(f.orders, f.items)) {
                    var source = ChangeStreamReplica.sourceRows(c, table);
                    SnapshotIT.assertSameRows(table, source, r.byFirstColumn(table));
                    assertEquals(source.size(), r.size(table), "rows the consumer holds for " + table);
                    assertTrue(r.snapshotsDone.getOrDefault(table, 0) >= 1, "SNAPSHOT_DONE of " + table);
                }
            }
        });
    }
}
