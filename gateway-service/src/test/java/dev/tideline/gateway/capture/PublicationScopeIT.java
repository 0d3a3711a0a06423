package dev.tideline.gateway.capture;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.TableId;
import dev.tideline.core.wire.BatchLimits;
import dev.tideline.gateway.snapshot.SnapshotProgress;
import dev.tideline.gateway.snapshot.SnapshotProgressStore;
import dev.tideline.gateway.snapshot.SnapshotSettings;
import dev.tideline.gateway.snapshot.SnapshotWindows;
import dev.tideline.gateway.snapshot.TableSnapshots;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithNats;
import dev.tideline.testing.WithPostgres;
import io.nats.client.Connection;
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
 * Publications that do not publish whole tables (Postgres 15): a column list, a row filter (with
 * updates moving rows into and out of it) and a partitioned table published through its root. The
 * watermark snapshot reads exactly what the stream maintains — the listed columns in the stream's
 * order, the filtered rows, the root's rows under the root's name — so snapshot and stream,
 * consumed as docs/gateway.md prescribes, equal the published view of the source, with writers
 * running all along.
 */
@WithPostgres
@WithNats
class PublicationScopeIT {

    private static final Duration CATCH_UP = Duration.ofSeconds(90);

    @Test
    void columnListsRowFiltersAndPartitionRootsAreSnapshottedAsTheyArePublished(PostgresServer pg, NatsServer nats) throws Exception {
        CaptureFixture f = new CaptureFixture("pubscope", pg, nats, 1, 31, false);
        TableId wide = TableId.of(f.name, "wide");
        TableId filtered = TableId.of(f.name, "filtered");
        TableId events = TableId.of(f.name, "events");
        String pub = f.name + "_pub";
        f.sql("CREATE TABLE " + wide.quoted() + " (id bigint PRIMARY KEY, a int, secret text, b text)",
                "CREATE TABLE " + filtered.quoted() + " (id bigint PRIMARY KEY, region text, v int)",
                "ALTER TABLE " + filtered.quoted() + " REPLICA IDENTITY FULL", // a row filter on updates needs its columns in the identity
                "CREATE TABLE " + events.quoted() + " (id bigint, day int, v text, PRIMARY KEY (id, day)) PARTITION BY RANGE (day)",
                "CREATE TABLE " + f.name + ".events_1 PARTITION OF " + events.quoted() + " FOR VALUES FROM (0) TO (100)",
                "CREATE TABLE " + f.name + ".events_2 PARTITION OF " + events.quoted() + " FOR VALUES FROM (100) TO (200)",
                "ALTER PUBLICATION " + pub + " ADD TABLE " + wide.quoted() + " (b, id, a), " + filtered.quoted()
                        + " WHERE (region = 'eu'), " + events.quoted(),
                "ALTER PUBLICATION " + pub + " SET (publish_via_partition_root = true)");
        f.transaction("INSERT INTO " + wide.quoted() + " SELECT g, g % 100, 'secret ' || g, 'b ' || g FROM generate_series(1, 1500) g",
                "INSERT INTO " + filtered.quoted() + " SELECT g, CASE WHEN g % 3 = 0 THEN 'eu' ELSE 'us' END, g FROM generate_series(1, 1500) g",
                "INSERT INTO " + events.quoted() + " SELECT g, g % 200, 'e ' || g FROM generate_series(1, 1500) g");
        f.createSlot();
        List<TableId> tables = List.of(wide, filtered, events);
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Void> writes = writer(f, wide, filtered, events, stop);
        SnapshotWindows windows = new SnapshotWindows(f.name, new BatchLimits(4096, 16384));
        try (ChangeCapture capture = new ChangeCapture(f.settings(Duration.ofMillis(50)), f.pg::replicationConnection,
                ChangeCapture.NatsConnector.of(f.nats.url()), windows, prefix -> false); Connection client = f.natsClient();
             TableSnapshots snapshots = new TableSnapshots(f.name, f.pg::connect, windows, new SnapshotProgressStore(client, f.name),
                     new SnapshotSettings(100, 2, Duration.ofSeconds(30), 10, Duration.ofMillis(500)).withPublication(pub))) {
            capture.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> capture.state() == ChangeCapture.State.STREAMING);
            snapshots.start(tables);
            await().atMost(CATCH_UP).until(() -> tables.stream().allMatch(t -> snapshots.states().get(t) != null
                    && snapshots.states().get(t).progress() != null && SnapshotProgress.DONE.equals(snapshots.states().get(t).progress().state())));
            stop.set(true);
            writes.get();
            f.sql("UPDATE " + filtered.quoted() + " SET region = 'eu' WHERE id % 10 = 1"); // rows entering the filter arrive as inserts
            await().atMost(CATCH_UP).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() -> {
                try (java.sql.Connection c = f.pg.connect()) {
                    StreamReconstructor r = StreamReconstructor.read(client, f.name);
                    SnapshotIT.assertSameRows(wide, rows(c, "SELECT id, a, b FROM " + wide.quoted()), r.byFirstColumn(wide));
                    SnapshotIT.assertSameRows(filtered, rows(c, "SELECT * FROM " + filtered.quoted() + " WHERE region = 'eu'"),
                            r.byFirstColumn(filtered));
                    SnapshotIT.assertSameRows(events, rows(c, "SELECT * FROM " + events.quoted()), r.byFirstColumn(events));
                    for (TableId t : tables) {
                        assertEquals(1, r.snapshotsDone.getOrDefault(t, 0), "SNAPSHOT_DONE of " + t);
                    }
                }
            });
        } finally {
            stop.set(true);
        }
    }

    /** Inserts, updates (moving rows into and out of the filter, and across partitions) and deletes. */
    private static CompletableFuture<Void> writer(CaptureFixture f, TableId wide, TableId filtered, TableId events, AtomicBoolean stop) {
        Random random = new Random(3);
        return CompletableFuture.runAsync(() -> {
            long next = 100_000;
            try (java.sql.Connection c = f.pg.connect(); Statement s = c.createStatement()) {
                while (!stop.get()) {
                    long id = next++;
                    long any = 1 + random.nextInt(1500);
                    switch (random.nextInt(6)) {
                        case 0 -> s.execute("INSERT INTO " + wide.quoted() + " VALUES (" + id + ", 1, 'hidden', 'new')");
                        case 1 -> s.execute("UPDATE " + wide.quoted() + " SET a = a + 1, secret = 'changed' WHERE id = " + any);
                        case 2 -> s.execute("INSERT INTO " + filtered.quoted() + " VALUES (" + id + ", '" + (random.nextBoolean() ? "eu" : "us")
                                + "', 1)");
                        case 3 -> s.execute("UPDATE " + filtered.quoted() + " SET region = CASE WHEN region = 'eu' THEN 'us' ELSE 'eu' END, "
                                + "v = v + 1 WHERE id = " + any);
                        case 4 -> s.execute("UPDATE " + events.quoted() + " SET day = (day + 100) % 200, v = 'moved' WHERE id = " + any);
                        default -> s.execute("DELETE FROM " + (random.nextBoolean() ? wide : events).quoted() + " WHERE id = " + any);
                    }
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static Map<Object, List<Object>> rows(java.sql.Connection c, String query) throws SQLException {
        Map<Object, List<Object>> rows = new HashMap<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
            ResultSetMetaData md = rs.getMetaData();
            while (rs.next()) {
                List<Object> values = new ArrayList<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    values.add(rs.getObject(i));
                }
                rows.put(values.get(0), values);
            }
        }
        return rows;
    }
}
