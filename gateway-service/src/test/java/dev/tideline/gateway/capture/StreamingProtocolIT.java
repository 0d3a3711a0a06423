package dev.tideline.gateway.capture;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.gateway.source.postgres.PostgresReplicationSource;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithNats;
import dev.tideline.testing.WithPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * pgoutput protocol 2 with a tiny {@code logical_decoding_work_mem}, so Postgres streams large
 * transactions while they are in progress: only what committed may reach the stream.
 */
@WithPostgres(settings = "logical_decoding_work_mem=64kB")
@WithNats
class StreamingProtocolIT {

    @Test
    void onlyCommittedStreamedTransactionsArePublished(PostgresServer pg, NatsServer nats) throws Exception {
        CaptureFixture f = new CaptureFixture("streamed", pg, nats, 2, 6);
        try (ChangeCapture capture = f.capture()) {
            f.transaction(f.insertItems(10));
            // Large and committed: arrives whole.
            f.transaction(f.insertOrders(2000, 200), f.insertItems(200));
            // Large and rolled back: must never appear.
            try (java.sql.Connection c = pg.connect(); Statement s = c.createStatement()) {
                c.setAutoCommit(false);
                s.execute(f.insertOrders(2000, 200));
                s.execute("UPDATE " + f.items.quoted() + " SET label = 'rolled back'");
                c.rollback();
            }
            // Committed, with a large aborted subtransaction in the middle: only its parent's rows appear.
            f.transaction(f.insertItems(5), "SAVEPOINT sp", f.insertOrders(1500, 200), "DELETE FROM " + f.items.quoted(),
                    "ROLLBACK TO SAVEPOINT sp", f.insertOrders(3, 20));
            f.randomWorkload(10);

            ChangeStreamReplica replica = f.awaitReplicaEqualsSource(Duration.ofSeconds(60));
            assertEquals(List.of(), replica.duplicates);
            try (java.sql.Connection c = pg.connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT stream_txns, stream_count FROM pg_stat_replication_slots WHERE slot_name = 'streamed_slot'")) {
                assertTrue(rs.next());
                assertTrue(rs.getLong(1) >= 2, "Postgres should have streamed the large transactions, stream_txns=" + rs.getLong(1));
            }
            // Of all orders rows inserted (2000 + 3 + workload), none of the 3,500 aborted ones was replayed.
            assertTrue(replica.table(f.orders).size() < 2200, "orders in the stream: " + replica.table(f.orders).size());
            assertEquals(1, capture.sessions(), "no reconnect expected");
        }
    }

    @Test
    void aRestartWhileAStreamedTransactionIsOpenLosesNothingAndDoublesNothing(PostgresServer pg, NatsServer nats) throws Exception {
        CaptureFixture f = new CaptureFixture("restarted", pg, nats, 2, 6);
        Path spillRoot = PostgresReplicationSource.Settings.DEFAULT_SPILL_DIRECTORY;
        try (java.sql.Connection open = pg.connect(); Statement s = open.createStatement()) {
            open.setAutoCommit(false);
            try (ChangeCapture capture = f.capture()) {
                f.transaction(f.insertItems(10));
                s.execute(f.insertOrders(3000, 200));
                s.execute("UPDATE " + f.items.quoted() + " SET label = label || ' (in the big one)'");
                // Postgres streams the open transaction; the gateway holds it on disk, not in the heap.
                await().atMost(Duration.ofSeconds(30)).until(() -> capture.spilledBytes() > 100_000);
                assertTrue(spillFiles(spillRoot, "restarted_slot").size() >= 1, "the open transaction is in a spill file");
            }
            assertEquals(List.of(), spillFiles(spillRoot, "restarted_slot"), "a closed session deletes its spill directory");
            try (ChangeCapture capture = f.capture()) {
                // The new session receives the open transaction again from its start.
                await().atMost(Duration.ofSeconds(30)).until(() -> capture.spilledBytes() > 100_000);
                open.commit();
                f.randomWorkload(5);
                ChangeStreamReplica replica = f.awaitReplicaEqualsSource(Duration.ofSeconds(60));
                assertEquals(List.of(), replica.duplicates);
                assertTrue(replica.table(f.orders).size() >= 3000);
            }
        }
        assertEquals(List.of(), spillFiles(spillRoot, "restarted_slot"));
    }

    /** Spill files of {@code slot}'s sessions under {@code root}. */
    private static List<Path> spillFiles(Path root, String slot) throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".pgoutput") && p.getParent().getFileName().toString().startsWith(slot + "-"))
                    .toList();
        }
    }
}
