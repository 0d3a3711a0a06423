package dev.tideline.testing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tideline.core.TableId;
import dev.tideline.core.change.ChangeEvent;
import dev.tideline.core.change.ChangeEvent.Begin;
import dev.tideline.core.change.ChangeEvent.Commit;
import dev.tideline.core.change.ChangeEvent.Delete;
import dev.tideline.core.change.ChangeEvent.Insert;
import dev.tideline.core.change.ChangeEvent.OldRowKind;
import dev.tideline.core.change.ChangeEvent.Relation;
import dev.tideline.core.change.ChangeEvent.Update;
import dev.tideline.core.change.Row;
import dev.tideline.core.pgoutput.PgOutputDecoder;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.PublishOptions;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;

/**
 * The harness end to end: real Postgres and nats-server from the extensions, a pgoutput slot decoded
 * by core's decoder, JetStream dedup, and both servers surviving a SIGKILL with their data.
 */
@WithPostgres
@WithNats
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HarnessIT {

    private static final String SLOT = "harness_slot";
    private static final String STREAM = "HARNESS";

    @Test
    @Order(1)
    void postgresSlotStreamsDecodedChanges(PostgresServer pg) throws Exception {
        assertTrue(pg.versionNumber() >= 100000, "server " + pg.version());
        try (java.sql.Connection c = pg.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE harness (id int4 PRIMARY KEY, v text)");
            s.execute("CREATE PUBLICATION harness_pub FOR TABLE harness");
        }
        try (java.sql.Connection replication = pg.replicationConnection()) {
            PGConnection r = replication.unwrap(PGConnection.class);
            r.getReplicationAPI().createReplicationSlot().logical().withSlotName(SLOT).withOutputPlugin("pgoutput").make();
        }
        try (java.sql.Connection c = pg.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO harness VALUES (1, 'a'), (2, 'b')");
            s.execute("UPDATE harness SET v = 'c' WHERE id = 1");
            s.execute("DELETE FROM harness WHERE id = 2");
        }

        List<ChangeEvent> events = streamUntilCommits(pg, 3);
        List<String> kinds = events.stream().map(e -> e.getClass().getSimpleName()).toList();
        assertEquals(List.of("Begin", "Relation", "Insert", "Insert", "Commit", "Begin", "Update", "Commit",
                "Begin", "Delete", "Commit"), kinds);
        assertEquals(TableId.of("public", "harness"), ((Relation) events.get(1)).schema().table());
        assertEquals(Row.of(1, "a"), ((Insert) events.get(2)).newRow());
        assertEquals(Row.of(2, "b"), ((Insert) events.get(3)).newRow());
        Update update = (Update) events.get(6);
        assertEquals(OldRowKind.NONE, update.oldRowKind());
        assertEquals(Row.of(1, "c"), update.newRow());
        Delete delete = (Delete) events.get(9);
        assertEquals(OldRowKind.KEY, delete.oldRowKind());
        assertEquals(Row.of(2, null), delete.oldRow());
    }

    @Test
    @Order(2)
    void jetStreamDropsDuplicatePublishes(NatsServer nats) throws Exception {
        try (Connection nc = Nats.connect(nats.url())) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name(STREAM).subjects("harness.>").storageType(StorageType.File).build());
            JetStream js = nc.jetStream();
            byte[] body = "hello".getBytes(StandardCharsets.UTF_8);
            PublishAck first = js.publish("harness.a", body, PublishOptions.builder().messageId("msg-1").build());
            PublishAck again = js.publish("harness.a", body, PublishOptions.builder().messageId("msg-1").build());
            assertFalse(first.isDuplicate());
            assertTrue(again.isDuplicate(), "same Nats-Msg-Id within the window is dropped");
            assertEquals(first.getSeqno(), again.getSeqno());
            assertEquals(1, jsm.getStreamInfo(STREAM).getStreamState().getMsgCount());

            JetStreamSubscription sub = js.subscribe("harness.>", PullSubscribeOptions.builder().durable("harness").build());
            List<Message> pulled = sub.fetch(10, Duration.ofSeconds(2));
            assertEquals(1, pulled.size());
            assertEquals("hello", new String(pulled.get(0).getData(), StandardCharsets.UTF_8));
            assertEquals("msg-1", pulled.get(0).getHeaders().getFirst("Nats-Msg-Id"));
            pulled.get(0).ackSync(Duration.ofSeconds(5));
        }
    }

    @Test
    @Order(3)
    void postgresSurvivesKillWithDataAndSlot(PostgresServer pg) throws Exception {
        assumeTrue(pg.supportsFaultInjection(), "an external Postgres cannot be killed");
        int port = pg.port();
        pg.kill();
        assertFalse(pg.isRunning());
        pg.start();
        assertEquals(port, pg.port(), "same port after a restart");
        if (pg.logFile().isPresent()) {
            String log = java.nio.file.Files.readString(pg.logFile().get());
            assertTrue(log.contains("not properly shut down") || log.contains("automatic recovery"),
                    "Postgres ran crash recovery");
        }
        try (java.sql.Connection c = pg.connect(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT id, v FROM harness ORDER BY id")) {
                assertTrue(rs.next());
                assertEquals(1, rs.getInt(1));
                assertEquals("c", rs.getString(2));
                assertFalse(rs.next());
            }
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + SLOT + "'")) {
                rs.next();
                assertEquals(1, rs.getInt(1), "the slot survived");
            }
            s.execute("INSERT INTO harness VALUES (3, 'after crash')");
        }
        // The slot survives, but its confirmed position is written to disk only at checkpoints: after
        // a crash it may resend transactions that were confirmed before (at-least-once), never skip one.
        List<ChangeEvent> events = streamUntil(pg, seen -> seen.stream()
                .anyMatch(e -> e instanceof Insert i && i.newRow().equals(Row.of(3, "after crash"))));
        List<Row> inserted = events.stream().filter(Insert.class::isInstance).map(e -> ((Insert) e).newRow()).toList();
        assertEquals(Row.of(3, "after crash"), inserted.get(inserted.size() - 1));
        assertTrue(List.of(Row.of(1, "a"), Row.of(2, "b")).containsAll(inserted.subList(0, inserted.size() - 1)),
                "only already-seen rows are resent");
    }

    @Test
    @Order(4)
    void natsSurvivesKillWithJetStreamData(NatsServer nats) throws Exception {
        assumeTrue(nats.supportsFaultInjection(), "an external nats-server cannot be killed");
        String url = nats.url();
        nats.kill();
        nats.start();
        assertEquals(url, nats.url(), "same port after a restart");
        try (Connection nc = Nats.connect(url)) {
            JetStreamManagement jsm = nc.jetStreamManagement();
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> jsm.getStreamInfo(STREAM).getStreamState().getMsgCount() == 1);
            assertEquals("hello", new String(jsm.getMessage(STREAM, 1).getData(), StandardCharsets.UTF_8));
            // dedup state survives too: the same id is still a duplicate
            PublishAck again = nc.jetStream().publish("harness.a", "hello".getBytes(StandardCharsets.UTF_8),
                    PublishOptions.builder().messageId("msg-1").build());
            assertTrue(again.isDuplicate());
        }
    }

    private static List<ChangeEvent> streamUntilCommits(PostgresServer pg, int commits) throws Exception {
        return streamUntil(pg, seen -> seen.stream().filter(Commit.class::isInstance).count() >= commits);
    }

    /** Streams the slot from its confirmed position until {@code done} holds after a Commit, then confirms what arrived. */
    private static List<ChangeEvent> streamUntil(PostgresServer pg, java.util.function.Predicate<List<ChangeEvent>> done) throws Exception {
        PgOutputDecoder decoder = new PgOutputDecoder();
        List<ChangeEvent> events = new ArrayList<>();
        try (java.sql.Connection replication = pg.replicationConnection()) {
            PGReplicationStream stream = replication.unwrap(PGConnection.class).getReplicationAPI().replicationStream().logical()
                    .withSlotName(SLOT)
                    .withStartPosition(LogSequenceNumber.INVALID_LSN)
                    .withSlotOption("proto_version", "1")
                    .withSlotOption("publication_names", "harness_pub")
                    .withStatusInterval(1, TimeUnit.SECONDS)
                    .start();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
                ByteBuffer message;
                while ((message = stream.readPending()) != null) {
                    events.add(decoder.decode(message));
                }
                return !events.isEmpty() && events.get(events.size() - 1) instanceof Commit && done.test(events);
            });
            Commit last = (Commit) events.get(events.size() - 1);
            LogSequenceNumber end = LogSequenceNumber.valueOf(last.endLsn().value());
            stream.setAppliedLSN(end);
            stream.setFlushedLSN(end);
            stream.forceUpdateStatus();
            stream.close();
        }
        assertInstanceOf(Begin.class, events.get(0));
        return events;
    }
}
