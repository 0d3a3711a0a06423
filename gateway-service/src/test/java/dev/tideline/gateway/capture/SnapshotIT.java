package dev.tideline.gateway.capture;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.wire.BatchLimits;
import dev.tideline.gateway.publish.JetStreamPublisher;
import dev.tideline.gateway.snapshot.ExportedSnapshotLoad;
import dev.tideline.gateway.snapshot.SnapshotProgress;
import dev.tideline.gateway.snapshot.SnapshotProgressStore;
import dev.tideline.gateway.snapshot.SnapshotSettings;
import dev.tideline.gateway.snapshot.SnapshotWindows;
import dev.tideline.gateway.snapshot.SqlConnector;
import dev.tideline.gateway.snapshot.TableSnapshots;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithNats;
import dev.tideline.testing.WithPostgres;
import io.nats.client.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The watermark snapshot against a real Postgres and nats-server, with a user-created slot (so no
 * exported snapshot exists) and writers inserting, updating (keys too, TOASTed values left
 * unchanged) and deleting all along: the stream, consumed as docs/gateway.md prescribes,
 * reconstructs the source exactly — also when the gateway dies mid-snapshot and resumes.
 */
@WithPostgres
@WithNats
public class SnapshotIT {

    private static final Duration CATCH_UP = Duration.ofSeconds(90);
    private static final SnapshotSettings SMALL_CHUNKS = new SnapshotSettings(150, 3, Duration.ofSeconds(30), 10, Duration.ofMillis(500));

    /** A capture with the snapshot's capture side, and the snapshots of both published tables. */
    record Gateway(ChangeCapture capture, TableSnapshots snapshots, Connection nats) implements AutoCloseable {
        static Gateway start(CaptureFixture f, SnapshotSettings settings) throws Exception {
            return start(f, settings, f.pg::connect);
        }

        /** … with the snapshot reading through {@code reader} (e.g. as a role of fewer privileges). */
        static Gateway start(CaptureFixture f, SnapshotSettings settings, SqlConnector reader) throws Exception {
            SnapshotWindows windows = new SnapshotWindows(f.name, new BatchLimits(4096, 16384));
            windows.watch(List.of(f.orders, f.items)); // as GatewayPipeline does, before streaming
            ChangeCapture capture = new ChangeCapture(f.settings(Duration.ofMillis(50)), f.pg::replicationConnection,
                    ChangeCapture.NatsConnector.of(f.nats.url()), windows, prefix -> false);
            capture.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> capture.state() == ChangeCapture.State.STREAMING);
            Connection nats = f.natsClient();
            TableSnapshots snapshots = new TableSnapshots(f.name, reader, windows, new SnapshotProgressStore(nats, f.name), settings);
            snapshots.start(List.of(f.orders, f.items));
            return new Gateway(capture, snapshots, nats);
        }

        boolean done(TableId... tables) {
            Map<TableId, TableSnapshots.TableState> states = snapshots.states();
            for (TableId t : tables) {
                TableSnapshots.TableState s = states.get(t);
                if (s == null || s.progress() == null || !SnapshotProgress.DONE.equals(s.progress().state())) {
                    return false;
                }
            }
            return true;
        }

        int chunksDone(TableId table) {
            TableSnapshots.TableState s = snapshots.states().get(table);
            return s == null || s.progress() == null ? 0 : s.progress().chunksDone();
        }

        @Override
        public void close() throws Exception {
            snapshots.close();
            capture.close();
            nats.close();
        }
    }

    /** Loads the tables before the slot exists, as a user whose slot predates the gateway would have them. */
    private static CaptureFixture loaded(String name, PostgresServer pg, NatsServer nats, long seed) throws Exception {
        CaptureFixture f = new CaptureFixture(name, pg, nats, 1, seed, false);
        // Out-of-line, uncompressed notes: updates that do not touch them send them as "unchanged TOAST".
        f.sql("ALTER TABLE " + f.orders.quoted() + " ALTER COLUMN note SET STORAGE EXTERNAL");
        f.transaction(f.insertOrders(2500, 40), f.insertOrders(300, 3000), f.insertItems(700));
        f.createSlot();
        f.transaction(f.insertOrders(50, 40)); // streamed before the snapshot starts
        return f;
    }

    /** Runs random transactions until stopped. */
    private static CompletableFuture<Void> writer(CaptureFixture f, AtomicBoolean stop) {
        return CompletableFuture.runAsync(() -> {
            try {
                while (!stop.get()) {
                    f.randomWorkload(5);
                    f.sql("UPDATE " + f.orders.quoted() + " SET qty = qty + 1 WHERE id IN (SELECT id FROM " + f.orders.quoted()
                            + " WHERE length(note) > 2000 ORDER BY random() LIMIT 3)");
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static void awaitReconstructionEqualsSource(CaptureFixture f) {
        await().atMost(CATCH_UP).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() -> {
            try (Connection client = f.natsClient(); java.sql.Connection c = f.pg.connect()) {
                StreamReconstructor r = StreamReconstructor.read(client, f.name);
                for (TableId table : List.of(f.orders, f.items)) {
                    assertSameRows(table, ChangeStreamReplica.sourceRows(c, table), r.byFirstColumn(table));
                    assertTrue(r.snapshotsDone.getOrDefault(table, 0) >= 1, "SNAPSHOT_DONE of " + table);
                }
            }
        });
    }

    /** Equal maps, or a failure naming the first differing keys (not the whole tables). */
    public static void assertSameRows(TableId table, Map<Object, List<Object>> expected, Map<Object, List<Object>> actual) {
        if (expected.equals(actual)) {
            return;
        }
        List<String> diffs = new java.util.ArrayList<>();
        for (Map.Entry<Object, List<Object>> e : expected.entrySet()) {
            if (!e.getValue().equals(actual.get(e.getKey()))) {
                diffs.add(e.getKey() + ": source " + e.getValue() + " stream " + actual.get(e.getKey()));
            }
        }
        for (Object key : actual.keySet()) {
            if (!expected.containsKey(key)) {
                diffs.add(key + ": not in the source, stream " + actual.get(key));
            }
        }
        throw new AssertionError(table + ": " + diffs.size() + " rows differ (source " + expected.size() + ", stream " + actual.size()
                + "), e.g. " + diffs.subList(0, Math.min(5, diffs.size())));
    }

    @Test
    void snapshotUnderConcurrentWritesWithAUserCreatedSlotReconstructsTheSource(PostgresServer pg, NatsServer nats) throws Exception {
        CaptureFixture f = loaded("snapw", pg, nats, 11);
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Void> writes = writer(f, stop);
        try (Gateway g = Gateway.start(f, SMALL_CHUNKS)) {
            await().atMost(CATCH_UP).until(() -> g.done(f.orders, f.items));
            stop.set(true);
            writes.get();
            f.randomWorkload(10); // streaming goes on after the snapshot
            awaitReconstructionEqualsSource(f);
            assertTrue(g.snapshots.states().get(f.orders).progress().chunks().size() > 10, "orders should be read in many chunks");
        } finally {
            stop.set(true);
        }
    }

    @Test
    void aSnapshotRefusedForLackOfPrivilegeResumesByItselfOnceTheGrantIsGiven(PostgresServer pg, NatsServer nats) throws Exception {
        CaptureFixture f = loaded("snapgrant", pg, nats, 17);
        // A role that may stream and write watermarks (REPLICATION) and read orders, but not items.
        String role = "snapgrant_reader";
        f.sql("CREATE ROLE " + role + " LOGIN REPLICATION PASSWORD 'reader-pw'",
                "GRANT USAGE ON SCHEMA " + TableId.quoteIdentifier(f.orders.schema()) + " TO " + role,
                "GRANT SELECT ON " + f.orders.quoted() + " TO " + role);
        SqlConnector asReader = () -> java.sql.DriverManager.getConnection(pg.jdbcUrl(), role, "reader-pw");
        try (Gateway g = Gateway.start(f, SMALL_CHUNKS, asReader)) {
            await().atMost(CATCH_UP).until(() -> g.done(f.orders));
            await().atMost(CATCH_UP).until(() -> {
                TableSnapshots.TableState items = g.snapshots.states().get(f.items);
                return items != null && items.error() != null && items.error().contains("42501");
            });
            String error = g.snapshots.states().get(f.items).error();
            assertTrue(error.contains("grant the gateway's role SELECT on " + f.items), error);
            assertFalse(g.done(f.items), "items cannot be read yet");

            f.sql("GRANT SELECT ON " + f.items.quoted() + " TO " + role);
            await().atMost(CATCH_UP).until(() -> g.done(f.orders, f.items));
            awaitReconstructionEqualsSource(f);
        }
    }

    @Test
    void aGatewayCreatedSlotIsLoadedFromItsExportedSnapshotBeforeStreaming(PostgresServer pg, NatsServer nats) throws Exception {
        CaptureFixture f = new CaptureFixture("snapx", pg, nats, 1, 13, false);
        f.transaction(f.insertOrders(2000, 40), f.insertItems(500));
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Void> writes = writer(f, stop);
        try (Connection client = f.natsClient()) {
            JetStreamPublisher publisher = new JetStreamPublisher(client, f.name, f.settings(Duration.ofMillis(50)).publisher());
            publisher.ensureStream();
            SnapshotProgressStore store = new SnapshotProgressStore(client, f.name);
            Lsn at = new ExportedSnapshotLoad(f.name, f.pg::connect, store, publisher, new BatchLimits(4096, 16384), SMALL_CHUNKS)
                    .createSlotAndLoad(f.pg::replicationConnection, f.name + "_slot", List.of(f.orders, f.items));
            for (TableId table : List.of(f.orders, f.items)) {
                SnapshotProgress p = store.read(table).orElseThrow();
                assertEquals(SnapshotProgress.DONE, p.state(), "loaded before streaming: " + table);
                assertTrue(p.chunks().size() > 1);
            }
            assertTrue(at.isValid());
            try (Gateway g = Gateway.start(f, SMALL_CHUNKS)) {
                await().atMost(CATCH_UP).until(() -> g.done(f.orders, f.items));
                stop.set(true);
                writes.get();
                awaitReconstructionEqualsSource(f);
                assertTrue(g.snapshots.states().get(f.orders).progress().snapshotId().startsWith("x"), "no second snapshot");
            }
        } finally {
            stop.set(true);
        }
    }

    @Test
    void aFullRefreshRequestedMidSnapshotReplacesItWhileStreamingContinues(PostgresServer pg, NatsServer nats) throws Exception {
        CaptureFixture f = loaded("snapref", pg, nats, 14);
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Void> writes = writer(f, stop);
        try (Gateway g = Gateway.start(f, new SnapshotSettings(150, 1, Duration.ofSeconds(30), 10, Duration.ofMillis(500)))) {
            await().atMost(CATCH_UP).until(() -> g.chunksDone(f.orders) >= 2);
            String first = g.snapshots.states().get(f.orders).progress().snapshotId();
            g.snapshots.refresh(f.orders);
            await().atMost(CATCH_UP).until(() -> g.done(f.orders, f.items) && !first.equals(
                    g.snapshots.states().get(f.orders).progress().snapshotId()));
            stop.set(true);
            writes.get();
            awaitReconstructionEqualsSource(f);
            try (Connection client = f.natsClient()) {
                SnapshotProgress stored = new SnapshotProgressStore(client, f.name).read(f.orders).orElseThrow();
                assertEquals(SnapshotProgress.DONE, stored.state());
                assertTrue(!first.equals(stored.snapshotId()), "the replaced run must not overwrite the new one's progress");
            }
            assertEquals(1, g.capture.sessions(), "streaming is not interrupted by a refresh");
        } finally {
            stop.set(true);
        }
    }

    @Test
    void aGatewayKilledMidSnapshotResumesWithoutStartingTheTableOver(PostgresServer pg, NatsServer nats) throws Exception {
        CaptureFixture f = loaded("snapkill", pg, nats, 12);
        f.sql("ANALYZE " + f.orders.quoted()); // with a row estimate, the integer key is split by range instead of by row_number
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Void> writes = writer(f, stop);
        SnapshotProgress atCrash;
        try {
            Gateway first = Gateway.start(f, new SnapshotSettings(150, 1, Duration.ofSeconds(30), 10, Duration.ofMillis(500)));
            await().atMost(CATCH_UP).until(() -> first.chunksDone(f.orders) >= 3);
            first.close(); // abrupt: chunk reads in flight are lost, nothing more is confirmed
            try (Connection client = f.natsClient()) {
                atCrash = new SnapshotProgressStore(client, f.name).read(f.orders).orElseThrow();
            }
            assertTrue(atCrash.chunksDone() < atCrash.chunks().size(), "the crash should come mid-snapshot");
            try (Gateway second = Gateway.start(f, SMALL_CHUNKS)) {
                await().atMost(CATCH_UP).until(() -> second.done(f.orders, f.items));
                stop.set(true);
                writes.get();
                SnapshotProgress resumed = second.snapshots.states().get(f.orders).progress();
                assertEquals(atCrash.snapshotId(), resumed.snapshotId(), "the snapshot should resume, not start over");
                assertTrue(resumed.nextRead() < resumed.chunks().size() + atCrash.nextRead() + 5,
                        "chunks done before the crash should not be read again: " + resumed.nextRead() + " reads");
                awaitReconstructionEqualsSource(f);
            }
        } finally {
            stop.set(true);
        }
    }

    /**
     * Moves rows not read yet (the highest keys: chunks are read in key order) below every key (the
     * first chunk, read first), leaving their long notes unchanged in TOAST, until stopped: the stream
     * carries such a row's new key without its note, which a consumer cannot take from the old key
     * it does not hold yet.
     */
    private static CompletableFuture<Void> mover(CaptureFixture f, AtomicBoolean stop) {
        return CompletableFuture.runAsync(() -> {
            try {
                while (!stop.get()) {
                    f.sql("UPDATE " + f.orders.quoted() + " SET id = -id WHERE id IN (SELECT id FROM " + f.orders.quoted()
                            + " WHERE id > 0 AND length(note) > 2000 ORDER BY id DESC LIMIT 2)");
                    Thread.sleep(20);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static long movedRows(CaptureFixture f) throws Exception {
        try (java.sql.Connection c = f.pg.connect(); java.sql.Statement s = c.createStatement();
             java.sql.ResultSet rs = s.executeQuery("SELECT count(*) FROM " + f.orders.quoted() + " WHERE id < 0")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void rowsMovedToKeysAlreadyReadKeepTheirUnsentToastedValues(PostgresServer pg, NatsServer nats) throws Exception {
        CaptureFixture f = loaded("snapmove", pg, nats, 19);
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Void> moves = mover(f, stop);
        try (Gateway g = Gateway.start(f, SMALL_CHUNKS)) {
            await().atMost(CATCH_UP).until(() -> g.done(f.orders, f.items));
            stop.set(true);
            moves.get();
            assertTrue(movedRows(f) > 10, "rows should have moved during the snapshot: " + movedRows(f));
            awaitReconstructionEqualsSource(f);
        } finally {
            stop.set(true);
        }
    }

    @Test
    void rowsMovedBeforeACrashAreReadAgainByTheResumedSnapshot(PostgresServer pg, NatsServer nats) throws Exception {
        CaptureFixture f = loaded("snapmovekill", pg, nats, 23);
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Void> moves = mover(f, stop);
        try {
            SnapshotSettings oneReader = new SnapshotSettings(150, 1, Duration.ofSeconds(30), 10, Duration.ofMillis(500));
            Gateway first = Gateway.start(f, oneReader);
            await().atMost(CATCH_UP).until(() -> first.chunksDone(f.orders) >= 4);
            first.close(); // abrupt: moves not yet read again are lost with the process, and replayed from the slot
            try (Gateway second = Gateway.start(f, oneReader)) {
                await().atMost(CATCH_UP).until(() -> second.done(f.orders, f.items));
                stop.set(true);
                moves.get();
                awaitReconstructionEqualsSource(f);
            }
        } finally {
            stop.set(true);
        }
    }
}
