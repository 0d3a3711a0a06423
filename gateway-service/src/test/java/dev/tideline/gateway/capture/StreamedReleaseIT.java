package dev.tideline.gateway.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tideline.testing.NatsServer;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithNats;
import dev.tideline.testing.WithPostgres;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A committed streamed transaction is released from its spill file without reading from the server;
 * with a {@code wal_sender_timeout} shorter than that release, the walsender drops a connection that
 * sends no status updates meanwhile, and the next session receives the whole transaction again — a
 * loop a large enough transaction never leaves.
 */
@WithPostgres(settings = {"logical_decoding_work_mem=64kB", "wal_sender_timeout=1s"})
@WithNats
class StreamedReleaseIT {

    @Test
    void releasingALargeStreamedTransactionKeepsTheConnectionAlive(PostgresServer pg, NatsServer nats) throws Exception {
        CaptureFixture f = new CaptureFixture("release", pg, nats, 2, 3);
        try (ChangeCapture capture = f.capture()) {
            f.transaction(f.insertOrders(400_000, 100));
            ChangeStreamReplica replica = f.awaitReplicaEqualsSource(Duration.ofMinutes(3));
            assertEquals(List.of(), replica.duplicates);
            assertEquals(1, capture.sessions(), "the walsender timed out while the transaction was released");
        }
    }
}
