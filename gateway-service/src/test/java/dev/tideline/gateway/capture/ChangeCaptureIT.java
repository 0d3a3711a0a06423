package dev.tideline.gateway.capture;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.Lsn;
import dev.tideline.core.checkpoint.GatewayCheckpoint;
import dev.tideline.gateway.publish.NatsKvCheckpointStore;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithNats;
import dev.tideline.testing.WithPostgres;
import io.nats.client.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The capture against a real Postgres and nats-server: the stream, replayed in ordering-key order,
 * equals the source tables — also after an abrupt stop, a NATS restart and a Postgres crash — and
 * an idle publication does not hold WAL.
 */
@WithPostgres
@WithNats
class ChangeCaptureIT {

    private static final Duration CATCH_UP = Duration.ofSeconds(60);

    @Test
    void mixedWorkloadIsReplayedExactly(PostgresServer pg, NatsServer nats) throws Exception {
        CaptureFixture f = new CaptureFixture("mixed", pg, nats, 1, 1);
        try (ChangeCapture capture = f.capture()) {
            f.transaction(f.insertOrders(200, 40), f.insertItems(50));
            f.randomWorkload(40);
            // A TRUNCATE between rows of the same transaction: rows before it vanish, rows after it stay.
            f.transaction(f.insertOrders(5, 40), "TRUNCATE " + f.orders.quoted(), f.insertOrders(7, 40),
                    "UPDATE " + f.items.quoted() + " SET label = label || '!'");
            // A transaction far bigger than one batch (4 KiB target), across both tables.
            f.transaction(f.insertOrders(1500, 100), f.insertItems(300),
                    "UPDATE " + f.orders.quoted() + " SET note = 'n' WHERE id % 3 = 0",
                    "SELECT pg_logical_emit_message(true, 'tl-test', 'in txn')");
            f.sql("SELECT pg_logical_emit_message(false, 'tl-test', 'outside')");
            f.randomWorkload(20);

            ChangeStreamReplica replica = f.awaitReplicaEqualsSource(CATCH_UP);
            assertEquals(List.of(), replica.duplicates);
            assertTrue(replica.rowChanges > 2000, "row changes " + replica.rowChanges);
            assertEquals(List.of("in txn", "outside"), replica.logicalMessages.stream().map(m -> new String(m.content())).sorted().toList());

            // The KV checkpoint follows the slot (never ahead of it).
            try (Connection client = f.natsClient()) {
                NatsKvCheckpointStore store = new NatsKvCheckpointStore(client);
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    Optional<GatewayCheckpoint> checkpoint = store.read(f.name);
                    assertTrue(checkpoint.isPresent());
                    assertTrue(!checkpoint.get().confirmedLsn().isAfter(f.confirmedFlushLsn()));
                    assertTrue(checkpoint.get().confirmedLsn().isValid());
                });
            }
            assertEquals(1, capture.sessions());
        }
    }

    @Test
    void anAbruptStopMidStreamLosesNothingAndDuplicatesNothing(PostgresServer pg, NatsServer nats) throws Exception {
        CaptureFixture f = new CaptureFixture("crash", pg, nats, 1, 2);
        // The first capture confirms once at start and then never: all it publishes is re-published.
        ChangeCapture first = f.capture(Duration.ofHours(1));
        f.transaction(f.insertOrders(300, 40), f.insertItems(100));
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                f.randomWorkload(60);
                f.transaction(f.insertOrders(1500, 100));
                f.randomWorkload(30);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await().atMost(CATCH_UP).until(() -> first.publishedMessages() > 30);
        first.close(); // like kill -9: in-flight work is neither confirmed nor drained
        Lsn confirmedAtCrash = f.confirmedFlushLsn();
        writer.get();
        try (ChangeCapture second = f.capture()) {
            ChangeStreamReplica replica = f.awaitReplicaEqualsSource(CATCH_UP);
            assertEquals(List.of(), replica.duplicates, "Msg-Id de-duplication let copies through");
            assertTrue(second.duplicatesDropped() > 0, "the restart should have re-published what the first capture did not confirm");
            assertTrue(f.confirmedFlushLsn().isAfter(confirmedAtCrash));
        }
    }

    @Test
    void aNatsRestartMidStreamIsRiddenOut(PostgresServer pg, NatsServer nats) throws Exception {
        CaptureFixture f = new CaptureFixture("natsdown", pg, nats, 1, 3);
        try (ChangeCapture capture = f.capture()) {
            f.transaction(f.insertOrders(300, 40), f.insertItems(100));
            f.randomWorkload(20);
            await().atMost(CATCH_UP).until(() -> capture.publishedMessages() > 10);
            nats.restart();
            f.transaction(f.insertOrders(800, 100));
            f.randomWorkload(20);
            ChangeStreamReplica replica = f.awaitReplicaEqualsSource(CATCH_UP);
            assertEquals(List.of(), replica.duplicates);
            assertTrue(capture.sessions() > 1, "the capture should have reconnected");
        }
    }

    @Test
    void aPostgresCrashMidStreamIsRiddenOut(PostgresServer pg, NatsServer nats) throws Exception {
        CaptureFixture f = new CaptureFixture("pgcrash", pg, nats, 1, 4);
        try (ChangeCapture capture = f.capture()) {
            f.transaction(f.insertOrders(300, 40), f.insertItems(100));
            f.randomWorkload(20);
            f.transaction(f.insertOrders(1000, 100));
            await().atMost(CATCH_UP).until(() -> capture.publishedMessages() > 10);
            pg.kill();
            pg.start();
            f.randomWorkload(20);
            ChangeStreamReplica replica = f.awaitReplicaEqualsSource(CATCH_UP);
            assertEquals(List.of(), replica.duplicates);
            assertTrue(capture.sessions() > 1, "the capture should have reconnected");
        }
    }

    @Test
    void writesOutsideThePublicationDoNotHoldWal(PostgresServer pg, NatsServer nats) throws Exception {
        CaptureFixture f = new CaptureFixture("idle", pg, nats, 1, 5);
        try (ChangeCapture capture = f.capture()) {
            for (int round = 0; round < 3; round++) {
                f.sql("INSERT INTO " + f.unpublished.quoted() + " (payload) SELECT repeat('x', 200) FROM generate_series(1, 500)");
                Lsn written = f.currentWalLsn();
                await().atMost(Duration.ofSeconds(20)).until(() -> !f.confirmedFlushLsn().isBefore(written));
            }
            try (Connection client = f.natsClient()) {
                Lsn slot = f.confirmedFlushLsn();
                await().atMost(Duration.ofSeconds(10)).until(() -> new NatsKvCheckpointStore(client).read(f.name)
                        .map(c -> c.confirmedLsn().bytesSince(slot) >= 0).orElse(false));
            }
            assertEquals(1, capture.sessions());
        }
    }
}
