package dev.tideline.gateway.capture;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.Lsn;
import dev.tideline.core.TidelineException;
import dev.tideline.core.naming.Streams;
import dev.tideline.core.wire.BatchLimits;
import dev.tideline.gateway.publish.JetStreamPublisher;
import dev.tideline.gateway.source.postgres.PostgresReplicationSource;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithNats;
import dev.tideline.testing.WithPostgres;
import io.nats.client.Connection;
import io.nats.client.PurgeOptions;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Discard-new back-pressure: with a 1 MiB stream and several MiB of changes, the stream fills, the
 * gateway is refused, stops confirming and waits; a consumer that reads and purges what it has
 * read lets it continue. Nothing is lost: the consumer's reconstruction equals the source.
 */
@WithPostgres
@WithNats
class BackPressureIT {

    @Test
    void aFullStreamHoldsTheGatewayBackWithoutLosingAChange(PostgresServer pg, NatsServer nats) throws Exception {
        CaptureFixture f = new CaptureFixture("backpressure", pg, nats, 1, 31);
        ChangeCapture.Settings settings = new ChangeCapture.Settings(f.name,
                new PostgresReplicationSource.Settings(f.name + "_slot", f.name + "_pub", 1, Duration.ofMillis(500)),
                new JetStreamPublisher.Settings(Duration.ofMinutes(2), 1024 * 1024, Duration.ofHours(1), 100, 1024 * 1024, Duration.ofSeconds(3)),
                new BatchLimits(4096, 16384), Duration.ofMillis(50), Duration.ofMillis(500), Duration.ofMillis(100), Duration.ofMillis(500));
        try (ChangeCapture capture = new ChangeCapture(settings, pg::replicationConnection, ChangeCapture.NatsConnector.of(nats.url()));
             Connection client = f.natsClient()) {
            capture.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> capture.state() == ChangeCapture.State.STREAMING);
            for (int i = 0; i < 6; i++) {
                f.transaction(f.insertOrders(1500, 400)); // ~0.6 MiB of change messages each
            }
            f.randomWorkload(20);
            Lsn written = f.currentWalLsn();

            await().atMost(Duration.ofSeconds(60)).until(() -> capture.lastError() != null
                    && capture.lastError().kind() == TidelineException.Kind.NEEDS_OPERATOR && capture.lastError().getMessage().contains("full"));
            Lsn held = f.confirmedFlushLsn();
            assertTrue(held.isBefore(written), "the slot must not move past what the stream refused");

            StreamReconstructor consumer = StreamReconstructor.empty();
            long[] next = {1};
            // Each round reads what arrived and frees the stream's room, so the capture can go on publishing.
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
                next[0] = consumer.readFrom(client, f.name, next[0]);
                client.jetStreamManagement().purgeStream(Streams.changes(f.name), PurgeOptions.builder().sequence(next[0]).build());
                try (java.sql.Connection c = pg.connect()) {
                    SnapshotIT.assertSameRows(f.orders, ChangeStreamReplica.sourceRows(c, f.orders), consumer.byFirstColumn(f.orders));
                    SnapshotIT.assertSameRows(f.items, ChangeStreamReplica.sourceRows(c, f.items), consumer.byFirstColumn(f.items));
                }
            });
            assertTrue(capture.sessions() > 1, "the refused publish should have ended a session");
            await().atMost(Duration.ofSeconds(20)).until(() -> !f.confirmedFlushLsn().isBefore(written));
            assertEquals(ChangeCapture.State.STREAMING, capture.state());
        }
    }
}
