package dev.tideline.gateway.capture;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.TableId;
import dev.tideline.gateway.snapshot.SnapshotSettings;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithNats;
import dev.tideline.testing.WithPostgres;
import io.nats.client.Connection;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Schema changes of a table while its watermark snapshot reads chunks and writers change it: a
 * column added (and filled by updates), a column's type changed with a table rewrite, a column
 * dropped. Chunks read after a change carry the new shape, a rewrite never makes a chunk read an
 * empty table, and the stream, replayed as a consumer that evolves its table by column name
 * (docs/gateway.md), reconstructs the source exactly.
 */
@WithPostgres
@WithNats
class SchemaChangeSnapshotIT {

    private static final Duration CATCH_UP = Duration.ofSeconds(90);
    private static final String DEADLOCK = "40P01";

    @Test
    void addDropAndRetypeColumnsMidSnapshotWithConcurrentWritersReconstructTheSource(PostgresServer pg, NatsServer nats) throws Exception {
        CaptureFixture f = new CaptureFixture("snapddl", pg, nats, 1, 21, false);
        f.transaction(f.insertOrders(6000, 40), f.insertItems(300));
        f.createSlot(); // a user's slot: the watermark snapshot runs while streaming
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Void> writes = writer(f, stop);
        try (SnapshotIT.Gateway g = SnapshotIT.Gateway.start(f, new SnapshotSettings(20, 2, Duration.ofSeconds(30), 10, Duration.ofMillis(500)))) {
            String orders = f.orders.quoted();
            int before = awaitMoreChunks(g, f.orders, 0);
            f.sql("ALTER TABLE " + orders + " ADD COLUMN extra text");
            retryOnDeadlock(() -> f.sql("UPDATE " + orders + " SET extra = 'e' || id WHERE id % 5 = 0"));
            assertFalse(g.done(f.orders), "the column should be added mid-snapshot");
            int afterAdd = awaitMoreChunks(g, f.orders, before);
            f.sql("ALTER TABLE " + orders + " ALTER COLUMN qty TYPE bigint"); // rewrites the table
            assertFalse(g.done(f.orders), "the type should change mid-snapshot");
            int afterRetype = awaitMoreChunks(g, f.orders, afterAdd);
            f.sql("ALTER TABLE " + orders + " DROP COLUMN note");
            assertFalse(g.done(f.orders), "the column should be dropped mid-snapshot (" + afterRetype + " chunks done)");
            await().atMost(CATCH_UP).until(() -> g.done(f.orders, f.items));
            stop.set(true);
            writes.get();
            f.sql("UPDATE " + orders + " SET extra = 'late' WHERE id % 7 = 0"); // streaming goes on with the final shape
            awaitNamedReconstructionEqualsSource(f);
        } finally {
            stop.set(true);
        }
    }

    private interface Sql {
        void run() throws Exception;
    }

    /** The test's bulk UPDATE races the random writer; a deadlock victim is simply run again. */
    private static void retryOnDeadlock(Sql statement) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                statement.run();
                return;
            } catch (SQLException e) {
                if (!DEADLOCK.equals(e.getSQLState()) || attempt == 5) {
                    throw e;
                }
            }
        }
    }

    /** Waits until more than {@code than} chunks of the table are done; returns how many are. */
    private static int awaitMoreChunks(SnapshotIT.Gateway g, TableId table, int than) {
        await().atMost(CATCH_UP).pollInterval(Duration.ofMillis(5)).until(() -> g.chunksDone(table) > than + 1);
        return g.chunksDone(table);
    }

    /** Inserts, updates (keys too) and deletes naming only the columns every shape of the test has. */
    private static CompletableFuture<Void> writer(CaptureFixture f, AtomicBoolean stop) {
        Random random = new Random(5);
        String orders = f.orders.quoted();
        return CompletableFuture.runAsync(() -> {
            try (java.sql.Connection c = f.pg.connect(); Statement s = c.createStatement()) {
                c.setAutoCommit(false);
                while (!stop.get()) {
                    try {
                        writeOnce(s, random, orders, f.name);
                        c.commit();
                    } catch (SQLException e) {
                        if (!DEADLOCK.equals(e.getSQLState())) {
                            throw e;
                        }
                        c.rollback(); // random rows against the test's own bulk UPDATEs: Postgres picked this side; go on
                    }
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static void writeOnce(Statement s, Random random, String orders, String name) throws SQLException {
        String ids = name + ".ids";
        switch (random.nextInt(4)) {
            case 0 -> s.execute("INSERT INTO " + orders + " (id, qty, amount) SELECT nextval('" + ids + "'), "
                    + "(random() * 1000)::int, round((random() * 10000)::numeric, 2) FROM generate_series(1, 5)");
            case 1 -> s.execute("UPDATE " + orders + " SET qty = qty + 1, amount = amount * 2 WHERE id IN (SELECT id FROM "
                    + orders + " ORDER BY random() LIMIT 5)");
            case 2 -> s.execute("UPDATE " + orders + " SET id = nextval('" + ids + "') WHERE id IN (SELECT id FROM "
                    + orders + " ORDER BY random() LIMIT 2)");
            default -> s.execute("DELETE FROM " + orders + " WHERE id IN (SELECT id FROM " + orders + " ORDER BY random() LIMIT 3)");
        }
    }

    private static void awaitNamedReconstructionEqualsSource(CaptureFixture f) {
        await().atMost(CATCH_UP).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() -> {
            try (Connection client = f.natsClient(); java.sql.Connection c = f.pg.connect()) {
                StreamReconstructor r = StreamReconstructor.read(client, f.name);
                for (TableId table : List.of(f.orders, f.items)) {
                    assertSameNamedRows(table, sourceRowsNamed(c, table), r.byFirstColumnNamed(table));
                    assertTrue(r.snapshotsDone.getOrDefault(table, 0) >= 1, "SNAPSHOT_DONE of " + table);
                }
            }
        });
    }

    /** The source's rows keyed by their first column, each by column name, integers widened to long. */
    private static Map<Object, Map<String, Object>> sourceRowsNamed(java.sql.Connection pg, TableId table) throws SQLException {
        Map<Object, Map<String, Object>> rows = new HashMap<>();
        try (Statement s = pg.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM " + table.quoted())) {
            ResultSetMetaData md = rs.getMetaData();
            while (rs.next()) {
                Map<String, Object> row = new HashMap<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    row.put(md.getColumnName(i), normal(rs.getObject(i)));
                }
                rows.put(normal(rs.getObject(1)), row);
            }
        }
        return rows;
    }

    /**
     * Every source row has a reconstructed row with equal values in the source's columns; a column
     * the reconstructed row lacks (added after it was last written) counts as NULL, columns the
     * source no longer has (dropped) are ignored. A value written before {@code qty} became bigint is
     * an Integer, after it a Long: both compare as long.
     */
    private static void assertSameNamedRows(TableId table, Map<Object, Map<String, Object>> source, Map<Object, Map<String, Object>> stream) {
        List<String> diffs = new ArrayList<>();
        for (Map.Entry<Object, Map<String, Object>> e : source.entrySet()) {
            Map<String, Object> replica = stream.get(e.getKey());
            if (replica == null) {
                diffs.add(e.getKey() + ": missing from the stream");
                continue;
            }
            for (Map.Entry<String, Object> column : e.getValue().entrySet()) {
                Object actual = normal(replica.get(column.getKey()));
                if (!java.util.Objects.equals(column.getValue(), actual)) {
                    diffs.add(e.getKey() + "." + column.getKey() + ": source " + column.getValue() + " stream " + actual);
                }
            }
        }
        for (Object key : stream.keySet()) {
            if (!source.containsKey(key)) {
                diffs.add(key + ": not in the source");
            }
        }
        assertTrue(diffs.isEmpty(), table + ": " + diffs.size() + " differences (source " + source.size() + " rows, stream " + stream.size()
                + "), e.g. " + diffs.subList(0, Math.min(5, diffs.size())));
    }

    private static Object normal(Object value) {
        if (value instanceof Integer || value instanceof Short || value instanceof Long) {
            return ((Number) value).longValue();
        }
        if (value instanceof BigDecimal d) {
            return d.stripTrailingZeros();
        }
        return value;
    }
}
