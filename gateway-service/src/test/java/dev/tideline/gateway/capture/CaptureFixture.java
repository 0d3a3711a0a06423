package dev.tideline.gateway.capture;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.wire.BatchLimits;
import dev.tideline.gateway.publish.JetStreamPublisher;
import dev.tideline.gateway.source.postgres.PostgresReplicationSource;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.PostgresServer;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Random;

/** A source schema with a publication and slot, a capture over it, and a workload; one per test. */
final class CaptureFixture {

    final String name;
    final TableId orders;
    final TableId items;
    final TableId unpublished;
    final PostgresServer pg;
    final NatsServer nats;
    final int protocolVersion;
    private final Random random;

    CaptureFixture(String name, PostgresServer pg, NatsServer nats, int protocolVersion, long seed) throws SQLException {
        this(name, pg, nats, protocolVersion, seed, true);
    }

    /** @param createSlot whether to create the slot now (else call {@link #createSlot()} after loading data) */
    CaptureFixture(String name, PostgresServer pg, NatsServer nats, int protocolVersion, long seed, boolean createSlot) throws SQLException {
        this.name = name;
        this.pg = pg;
        this.nats = nats;
        this.protocolVersion = protocolVersion;
        this.random = new Random(seed);
        orders = TableId.of(name, "Orders");
        items = TableId.of(name, "items");
        unpublished = TableId.of(name, "audit");
        sql("CREATE SCHEMA " + name,
                "CREATE SEQUENCE " + name + ".ids",
                "CREATE TABLE " + orders.quoted() + " (id bigint PRIMARY KEY, qty int, note text, amount numeric(12,2))",
                "CREATE TABLE " + items.quoted() + " (id bigint PRIMARY KEY, label text)",
                "CREATE TABLE " + unpublished.quoted() + " (id bigserial PRIMARY KEY, payload text)",
                "CREATE PUBLICATION " + name + "_pub FOR TABLE " + orders.quoted() + ", " + items.quoted());
        if (createSlot) {
            createSlot();
        }
    }

    /** Creates the slot as a user would, before the gateway runs (so no exported snapshot exists). */
    void createSlot() throws SQLException {
        sql("SELECT pg_create_logical_replication_slot('" + name + "_slot', 'pgoutput')");
    }

    ChangeCapture.Settings settings(Duration confirmInterval) {
        return new ChangeCapture.Settings(name,
                new PostgresReplicationSource.Settings(name + "_slot", name + "_pub", protocolVersion, Duration.ofMillis(500)),
                new JetStreamPublisher.Settings(Duration.ofMinutes(2), 256L * 1024 * 1024, Duration.ofHours(1), 500, 8L * 1024 * 1024,
                        Duration.ofSeconds(3)),
                new BatchLimits(4096, 16384), confirmInterval, Duration.ofMillis(500), Duration.ofMillis(100), Duration.ofSeconds(1));
    }

    ChangeCapture capture() {
        return capture(Duration.ofMillis(50));
    }

    /** Starts a capture and waits until it streams. */
    ChangeCapture capture(Duration confirmInterval) {
        ChangeCapture.Settings settings = new ChangeCapture.Settings(name,
                new PostgresReplicationSource.Settings(name + "_slot", name + "_pub", protocolVersion, Duration.ofMillis(500)),
                new JetStreamPublisher.Settings(Duration.ofMinutes(2), 256L * 1024 * 1024, Duration.ofHours(1), 500, 8L * 1024 * 1024,
                        Duration.ofSeconds(3)),
                new BatchLimits(4096, 16384), confirmInterval, Duration.ofMillis(500), Duration.ofMillis(100), Duration.ofSeconds(1));
        ChangeCapture capture = new ChangeCapture(settings, pg::replicationConnection, ChangeCapture.NatsConnector.of(nats.url()));
        capture.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> capture.state() == ChangeCapture.State.STREAMING);
        return capture;
    }

    void sql(String... statements) throws SQLException {
        try (java.sql.Connection c = pg.connect(); Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }

    /** Several statements in one transaction. */
    void transaction(String... statements) throws SQLException {
        try (java.sql.Connection c = pg.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            for (String statement : statements) {
                s.execute(statement);
            }
            c.commit();
        }
    }

    String insertOrders(int n, int noteLength) {
        return "INSERT INTO " + orders.quoted() + " SELECT nextval('" + name + ".ids'), (random() * 1000)::int, repeat(md5(g::text), "
                + Math.max(1, noteLength / 32) + "), round((random() * 10000)::numeric, 2) FROM generate_series(1, " + n + ") g";
    }

    String insertItems(int n) {
        return "INSERT INTO " + items.quoted() + " SELECT nextval('" + name + ".ids'), 'item ' || g FROM generate_series(1, " + n + ") g";
    }

    private String pick(TableId table, int n) {
        return "(SELECT id FROM " + table.quoted() + " ORDER BY random() LIMIT " + n + ")";
    }

    /** Random transactions: inserts, updates (some changing the key), deletes, often on both tables. */
    void randomWorkload(int transactions) throws SQLException {
        try (java.sql.Connection c = pg.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            for (int t = 0; t < transactions; t++) {
                int statements = 1 + random.nextInt(4);
                for (int i = 0; i < statements; i++) {
                    switch (random.nextInt(6)) {
                        case 0, 1 -> s.execute(insertOrders(1 + random.nextInt(20), 40));
                        case 2 -> s.execute(insertItems(1 + random.nextInt(10)));
                        case 3 -> s.execute("UPDATE " + orders.quoted() + " SET qty = qty + 1, amount = amount * 2 WHERE id IN " + pick(orders, 5));
                        case 4 -> s.execute("UPDATE " + orders.quoted() + " SET id = nextval('" + name + ".ids') WHERE id IN " + pick(orders, 2));
                        default -> s.execute("DELETE FROM " + (random.nextBoolean() ? orders : items).quoted() + " WHERE id IN "
                                + pick(random.nextBoolean() ? orders : items, 3));
                    }
                }
                c.commit();
            }
        }
    }

    Connection natsClient() throws Exception {
        return Nats.connect(nats.url());
    }

    /** Waits until the stream, replayed, equals both source tables, and returns the replica. */
    ChangeStreamReplica awaitReplicaEqualsSource(Duration timeout) {
        ChangeStreamReplica[] last = new ChangeStreamReplica[1];
        await().atMost(timeout).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() -> {
            try (Connection client = natsClient(); java.sql.Connection c = pg.connect()) {
                ChangeStreamReplica replica = ChangeStreamReplica.read(client, name);
                for (TableId table : List.of(orders, items)) {
                    assertEquals(ChangeStreamReplica.sourceRows(c, table), replica.table(table), "rows of " + table);
                }
                last[0] = replica;
            }
        });
        return last[0];
    }

    Lsn confirmedFlushLsn() throws SQLException {
        try (java.sql.Connection c = pg.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '" + name + "_slot'")) {
            rs.next();
            return Lsn.parse(rs.getString(1));
        }
    }

    Lsn currentWalLsn() throws SQLException {
        try (java.sql.Connection c = pg.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return Lsn.parse(rs.getString(1));
        }
    }
}
