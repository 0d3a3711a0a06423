package dev.tideline.gateway.capture;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.TableId;
import dev.tideline.gateway.snapshot.SnapshotSettings;
import dev.tideline.gateway.snapshot.SqlConnector;
import dev.tideline.gateway.snapshot.TableSnapshots;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithNats;
import dev.tideline.testing.WithPostgres;
import io.nats.client.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A schema of many tables snapshotted at once: at most twice the chunk readers run as coordinators (each
 * holds a Postgres connection while it waits for its watermarks), the others wait their turn, and every
 * table still arrives whole. Before, every table got a thread and a connection of its own at once, so a
 * schema of a thousand tables ran the source out of connections.
 */
@WithPostgres
@WithNats
class ManyTableSnapshotsIT {

    private static final int EXTRA_TABLES = 30;

    @Test
    void manyTablesSnapshotWithABoundedNumberOfCoordinators(PostgresServer pg, NatsServer nats) throws Exception {
        CaptureFixture f = new CaptureFixture("many", pg, nats, 1, 23, false);
        List<TableId> tables = new ArrayList<>(List.of(f.orders, f.items));
        for (int i = 0; i < EXTRA_TABLES; i++) {
            TableId t = TableId.of(f.name, "m" + i);
            f.sql("CREATE TABLE " + t.quoted() + " (id bigint PRIMARY KEY, label text)",
                    "INSERT INTO " + t.quoted() + " SELECT g, 'row ' || g || ' of " + i + "' FROM generate_series(1, " + (1 + i * 7) + ") g",
                    "ALTER PUBLICATION " + f.name + "_pub ADD TABLE " + t.quoted());
            tables.add(t);
        }
        f.transaction(f.insertOrders(300, 40), f.insertItems(100));
        f.createSlot();

        SnapshotSettings oneReader = new SnapshotSettings(50, 1, Duration.ofSeconds(30), 10, Duration.ofMillis(500));
        AtomicBoolean sampling = new AtomicBoolean(true);
        AtomicInteger mostCoordinators = new AtomicInteger();
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                int running = (int) Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.getName().startsWith("tideline-snapshot-" + f.name + "-")).count();
                mostCoordinators.accumulateAndGet(running, Math::max);
                Thread.onSpinWait();
            }
        });
        sampler.start();
        try (SnapshotIT.Gateway g = startWith(f, oneReader, tables)) {
            await().atMost(Duration.ofMinutes(3)).until(() -> g.done(tables.toArray(TableId[]::new)));
        } finally {
            sampling.set(false);
            sampler.join();
        }
        assertTrue(mostCoordinators.get() <= 2, "coordinators at once: " + mostCoordinators.get() + ", expected at most 2 × 1 reader");
        assertTrue(mostCoordinators.get() >= 1, "the sampler saw no coordinator");

        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() -> {
            try (Connection client = f.natsClient(); java.sql.Connection c = f.pg.connect()) {
                StreamReconstructor r = StreamReconstructor.read(client, f.name);
                for (TableId table : tables) {
                    SnapshotIT.assertSameRows(table, ChangeStreamReplica.sourceRows(c, table), r.byFirstColumn(table));
                }
            }
        });
    }

    /**
     * Tables the gateway may not read fail again and again while they wait for a grant: they must wait out
     * their backoff without holding a coordinator, or three of them would starve every other table of the
     * two coordinators.
     */
    @Test
    void tablesFailingUntilAGrantDoNotHoldTheCoordinatorsTheOthersNeed(PostgresServer pg, NatsServer nats) throws Exception {
        CaptureFixture f = new CaptureFixture("manyg", pg, nats, 1, 29, false);
        List<TableId> readable = new ArrayList<>(List.of(f.orders, f.items));
        List<TableId> refused = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            TableId t = TableId.of(f.name, "g" + i);
            f.sql("CREATE TABLE " + t.quoted() + " (id bigint PRIMARY KEY, label text)",
                    "INSERT INTO " + t.quoted() + " SELECT g, 'row ' || g FROM generate_series(1, 20) g",
                    "ALTER PUBLICATION " + f.name + "_pub ADD TABLE " + t.quoted());
            (i < 3 ? refused : readable).add(t);
        }
        f.transaction(f.insertOrders(100, 40), f.insertItems(50));
        f.createSlot();
        String role = "manyg_reader";
        f.sql("CREATE ROLE " + role + " LOGIN REPLICATION PASSWORD 'reader-pw'",
                "GRANT USAGE ON SCHEMA " + TableId.quoteIdentifier(f.name) + " TO " + role);
        for (TableId t : readable) {
            f.sql("GRANT SELECT ON " + t.quoted() + " TO " + role);
        }
        SqlConnector asReader = () -> java.sql.DriverManager.getConnection(pg.jdbcUrl(), role, "reader-pw");
        SnapshotSettings oneReader = new SnapshotSettings(50, 1, Duration.ofSeconds(30), 10, Duration.ofMillis(300));
        List<TableId> all = new ArrayList<>(refused);
        all.addAll(readable); // the refused tables first: they take the coordinators before anyone else
        try (SnapshotIT.Gateway g = SnapshotIT.Gateway.start(f, oneReader, asReader)) {
            g.snapshots().start(all);
            await().atMost(Duration.ofMinutes(2)).until(() -> g.done(readable.toArray(TableId[]::new)));
            for (TableId t : refused) {
                TableSnapshots.TableState state = g.snapshots().states().get(t);
                assertTrue(state != null && state.error() != null && state.error().contains("42501"), t + ": " + state);
            }
            for (TableId t : refused) {
                f.sql("GRANT SELECT ON " + t.quoted() + " TO " + role);
            }
            await().atMost(Duration.ofMinutes(2)).until(() -> g.done(all.toArray(TableId[]::new)));
        }
    }

    private static SnapshotIT.Gateway startWith(CaptureFixture f, SnapshotSettings settings, List<TableId> tables) throws Exception {
        SnapshotIT.Gateway g = SnapshotIT.Gateway.start(f, settings);
        g.snapshots().start(tables); // orders and items are running already; the rest queue behind them
        return g;
    }
}
