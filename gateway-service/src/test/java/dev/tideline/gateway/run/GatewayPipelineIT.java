package dev.tideline.gateway.run;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.control.status.PipelineState;
import dev.tideline.control.status.PipelineStatus;
import dev.tideline.core.TableId;
import dev.tideline.gateway.capture.ChangeStreamReplica;
import dev.tideline.gateway.capture.SnapshotIT;
import dev.tideline.gateway.capture.StreamReconstructor;
import dev.tideline.gateway.publish.JetStreamPublisher;
import dev.tideline.gateway.snapshot.SnapshotSettings;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithNats;
import dev.tideline.testing.WithPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A gateway run from a spec (no API): it creates its slot with an exported snapshot, streams, and
 * when the slot is dropped behind its back it goes FAILED saying to run a full refresh — never
 * re-creating the slot by itself. The full refresh re-creates it and snapshots again, and the
 * consumer's sweep at SNAPSHOT_DONE removes the rows deleted while the slot was gone.
 */
@WithPostgres
@WithNats
class GatewayPipelineIT {

    @Test
    void aLostSlotFailsWithTheRemedyAndAFullRefreshRecovers(PostgresServer pg, NatsServer nats) throws Exception {
        TableId table = TableId.of("lost", "t");
        sql(pg, "CREATE SCHEMA lost", "CREATE TABLE lost.t (id bigint PRIMARY KEY, v text)",
                "INSERT INTO lost.t SELECT g, 'v' || g FROM generate_series(1, 300) g", "CREATE PUBLICATION lost_pub FOR TABLE lost.t");
        GatewayPipelineSpec spec = new GatewayPipelineSpec("lostgw", pg.jdbcUrl(), pg.user(), pg.password(), "lost_slot", "lost_pub",
                List.of(table), Set.of(), true, Map.of());
        GatewayPipeline.Tuning tuning = new GatewayPipeline.Tuning(nats.url(),
                new SnapshotSettings(100, 2, Duration.ofSeconds(30), 5, Duration.ofMillis(500)), Duration.ofSeconds(1), Duration.ofMillis(200),
                JetStreamPublisher.Settings.DEFAULT);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (Connection client = Nats.connect(nats.url())) {
            GatewayPipeline first = new GatewayPipeline(spec, tuning, meters);
            first.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> first.status().state() == PipelineState.RUNNING);
            sql(pg, "INSERT INTO lost.t SELECT g, 'later' FROM generate_series(301, 350) g");
            awaitEqual(pg, client, table, 1);
            assertTrue(meters.get(GatewayMetrics.CONFIRMED_LSN).gauge().value() > 0, "confirmed LSN metric");

            // Idle source: only the heartbeat writes WAL, and the slot still moves (Neon-style idle computes).
            String idleAt = slotLsn(pg);
            await().atMost(Duration.ofSeconds(20)).until(() -> dev.tideline.core.Lsn.parse(slotLsn(pg))
                    .isAfter(dev.tideline.core.Lsn.parse(idleAt)));
            io.nats.client.api.MessageInfo onMessages = null;
            try {
                onMessages = client.jetStreamManagement().getLastMessage(dev.tideline.core.naming.Streams.changes("lostgw"),
                        dev.tideline.core.naming.Subjects.messages("lostgw"));
            } catch (io.nats.client.JetStreamApiException none) {
                // nothing on the messages subject
            }
            assertEquals(null, onMessages == null ? null : onMessages.getHeaders() + " " + new String(onMessages.getData(),
                    java.nio.charset.StandardCharsets.ISO_8859_1), "heartbeats are not published");

            // The slot disappears (dropped by someone, or invalidated by max_slot_wal_keep_size).
            first.capture().close();
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                sql(pg, "SELECT pg_drop_replication_slot('lost_slot')");
                return true;
            });
            sql(pg, "DELETE FROM lost.t WHERE id <= 100", "INSERT INTO lost.t VALUES (1000, 'while lost')");
            first.close();
            GatewayPipeline second = new GatewayPipeline(spec, tuning, meters);
            second.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> second.status().state() == PipelineState.FAILED);
            PipelineStatus failed = second.status();
            assertTrue(failed.message().contains("full refresh"), failed.message());
            // Status never lies: while it keeps retrying (and keeps failing), no moment shows it otherwise.
            await().during(Duration.ofSeconds(8)).atMost(Duration.ofSeconds(12)).pollInterval(Duration.ofMillis(20))
                    .until(() -> second.status().state() == PipelineState.FAILED && second.status().message().contains("full refresh"));
            try (java.sql.Connection c = pg.connect(); Statement s = c.createStatement()) {
                assertTrue(!s.executeQuery("SELECT 1 FROM pg_replication_slots WHERE slot_name = 'lost_slot'").next(),
                        "the gateway must not re-create a lost slot by itself");
            }

            assertTrue(second.fullRefreshAll(), "a refresh of a gateway whose slot is gone restarts it");
            second.close();
            GatewayPipeline third = new GatewayPipeline(spec, tuning, meters);
            third.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> third.status().state() == PipelineState.RUNNING);
            sql(pg, "UPDATE lost.t SET v = 'after' WHERE id % 10 = 0");
            awaitEqual(pg, client, table, 2);
            third.close();
        }
    }

    private static void awaitEqual(PostgresServer pg, Connection client, TableId table, int snapshots) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() -> {
            try (java.sql.Connection c = pg.connect()) {
                StreamReconstructor r = StreamReconstructor.read(client, "lostgw");
                SnapshotIT.assertSameRows(table, ChangeStreamReplica.sourceRows(c, table), r.byFirstColumn(table));
                assertEquals(snapshots, r.snapshotsDone.getOrDefault(table, 0));
            }
        });
    }

    private static String slotLsn(PostgresServer pg) throws Exception {
        try (java.sql.Connection c = pg.connect(); Statement s = c.createStatement();
             java.sql.ResultSet rs = s.executeQuery("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = 'lost_slot'")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void sql(PostgresServer pg, String... statements) throws Exception {
        try (java.sql.Connection c = pg.connect(); Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }
}
