package dev.tideline.sync.service;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.message.RefreshRequest;
import dev.tideline.control.message.TableCommitted;
import dev.tideline.control.secret.SecretBox;
import dev.tideline.control.spec.ConnectionSpec;
import dev.tideline.control.spec.SyncedTableSpec;
import dev.tideline.control.status.SyncedTableState;
import dev.tideline.control.status.SyncedTableStatus;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.core.naming.Subjects;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.TableLocations;
import dev.tideline.sync.engine.SyncOptions;
import dev.tideline.sync.model.SyncFaults;
import dev.tideline.sync.testdelta.DeltaTestTable;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithNats;
import dev.tideline.testing.WithPostgres;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The service loop against real NATS (specs in KV, refresh requests on the control stream, commit
 * events) and a real Postgres: TRIGGERED refresh on request, CONTINUOUS refresh on apply-service's
 * event and by polling, status in KV with Databricks' detailed states, failures reported with the
 * key at fault, deletion leaving the table.
 */
@WithPostgres
@WithNats
class SyncSupervisorIT {

    static final StructType SCHEMA = new StructType().add("id", LongType.LONG, false).add("name", StringType.STRING, true)
            .add("amount", IntegerType.INTEGER, true);
    static final String KEY = "sync-supervisor-test-key-0123456789";

    private Connection nats;
    private ControlPlane control;
    private Path warehouse;
    private Engine engine;
    private String database;
    private SyncSupervisor supervisor;

    @BeforeEach
    void setUp(NatsServer natsServer, PostgresServer pg) throws Exception {
        nats = Nats.connect(natsServer.url());
        control = ControlPlane.open(nats);
        warehouse = Files.createTempDirectory("tideline-sync-service-warehouse");
        engine = DeltaEngines.forWarehouse(warehouse.toUri().toString());
        database = "svc_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        SecretBox box = SecretBox.fromConfiguredKey(KEY);
        control.specs().put(KvKeys.connection("target_pg"), new ConnectionSpec("target_pg", ConnectionSpec.POSTGRESQL,
                Map.of("host", pg.host(), "port", String.valueOf(pg.port()), "user", pg.user(), "sslmode", "disable"),
                box.seal(pg.password(), "target_pg"), null, UUID.randomUUID().toString(), System.currentTimeMillis()));
    }

    @AfterEach
    void tearDown() throws Exception {
        if (supervisor != null) {
            supervisor.close();
        }
        for (String key : control.specs().keys("synced.>")) {
            control.specs().delete(key);
        }
        nats.close();
    }

    private void startSupervisor(Duration poll) {
        supervisor = new SyncSupervisor(control, SecretBox.fromConfiguredKey(KEY), warehouse.toUri().toString(), engine,
                new SyncOptions(4, 0.10), poll, Duration.ofSeconds(2), SyncFaults.NONE);
        supervisor.start();
    }

    private DeltaTestTable table(String name) {
        return DeltaTestTable.create(engine, TableLocations.of(warehouse.toUri().toString(), "main", "src", name), SCHEMA);
    }

    private SyncedTableSpec spec(String table, SyncedTableSpec.SchedulingPolicy policy) {
        return new SyncedTableSpec("pg_catalog." + "public." + table, "instance", database,
                new SyncedTableSpec.Definition("main.src." + table, List.of("id"), null, policy, true, null, null),
                "pipe-" + table, new SyncedTableSpec.Target("target_pg", database, "public", table), UUID.randomUUID().toString(),
                System.currentTimeMillis());
    }

    private SyncedTableStatus status(String name) {
        return control.status().value(KvKeys.syncedTable(name), SyncedTableStatus.class).orElse(null);
    }

    private void awaitStatus(String name, SyncedTableState state, long version) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            SyncedTableStatus s = status(name);
            return s != null && s.detailedState() == state && s.lastSyncedVersion() != null && s.lastSyncedVersion() == version;
        });
    }

    /** What apply-service publishes after committing version {@code version} of {@code main.src.<table>}. */
    private void announceCommit(String table, DeltaTestTable delta, long version) {
        control.publish(Subjects.tableCommitted("main", "src", table),
                new TableCommitted("pipe", "main", "src", table, delta.path(), version, "0/1", System.currentTimeMillis()));
    }

    private long count(PostgresServer pg, String table) throws Exception {
        try (var c = pg.connect(database); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM public." + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static List<Object[]> rows(long from, long to) {
        List<Object[]> rows = new ArrayList<>();
        for (long i = from; i < to; i++) {
            rows.add(new Object[] {i, "n" + i, 1});
        }
        return rows;
    }

    @Test
    void triggeredOnRequestContinuousOnEventsFailuresAndDeletion(PostgresServer pg) throws Exception {
        DeltaTestTable triggered = table("trig");
        triggered.append(rows(0, 100));
        DeltaTestTable continuous = table("cont");
        continuous.append(rows(0, 10));
        startSupervisor(Duration.ofHours(1)); // events only: polling would hide a missed event
        SyncedTableSpec trig = spec("trig", SyncedTableSpec.SchedulingPolicy.TRIGGERED);
        SyncedTableSpec cont = spec("cont", SyncedTableSpec.SchedulingPolicy.CONTINUOUS);
        control.specs().put(KvKeys.syncedTable(trig.name()), trig);
        control.specs().put(KvKeys.syncedTable(cont.name()), cont);

        awaitStatus(trig.name(), SyncedTableState.ONLINE_NO_PENDING_UPDATE, triggered.version());
        awaitStatus(cont.name(), SyncedTableState.ONLINE_CONTINUOUS_UPDATE, continuous.version());
        assertEquals(100, count(pg, "trig"));
        assertEquals(100, status(trig.name()).rowsApplied());

        // TRIGGERED: a new version is not synced until a refresh is requested
        triggered.append(rows(100, 105));
        control.send(Subjects.syncedTableRefresh(trig.name()), new RefreshRequest("req-1", false, System.currentTimeMillis()));
        awaitStatus(trig.name(), SyncedTableState.ONLINE_NO_PENDING_UPDATE, triggered.version());
        assertEquals(105, count(pg, "trig"));
        assertEquals(5, status(trig.name()).rowsApplied());
        assertEquals(105, status(trig.name()).totalRowsApplied());

        // CONTINUOUS: apply-service's event starts the refresh
        long v = continuous.append(rows(10, 12));
        announceCommit("cont", continuous, v);
        awaitStatus(cont.name(), SyncedTableState.ONLINE_CONTINUOUS_UPDATE, v);
        assertEquals(12, count(pg, "cont"));

        // a duplicate key fails the refresh, naming the key; the table stays online with the old data
        triggered.append(List.<Object[]>of(new Object[] {200L, "x", 1}, new Object[] {200L, "y", 2}));
        control.send(Subjects.syncedTableRefresh(trig.name()), new RefreshRequest("req-2", false, System.currentTimeMillis()));
        await().atMost(Duration.ofSeconds(60)).until(() -> status(trig.name()).detailedState() == SyncedTableState.ONLINE_PIPELINE_FAILED);
        assertTrue(status(trig.name()).message().contains("(id)=(200)"), status(trig.name()).message());
        assertEquals(105, count(pg, "trig"));

        // deleting the synced table stops syncing and leaves the Postgres table, now writable by its owner
        control.specs().delete(KvKeys.syncedTable(trig.name()));
        await().atMost(Duration.ofSeconds(30)).until(() -> !supervisor.runners().containsKey(trig.name()));
        assertEquals(105, count(pg, "trig"));
        try (var c = pg.connect(database); Statement s = c.createStatement()) {
            s.execute("INSERT INTO public.trig VALUES (1000, 'mine now', 1)");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> status(trig.name()) == null);
    }

    /**
     * Status never lies: once a CONTINUOUS synced table failed (two rows with one key), the new versions
     * that keep arriving re-run its sync, and none of those runs may show it healthy ("refresh running"
     * in an ONLINE state) while it still fails — every status written stays a FAILED one.
     */
    @Test
    void aFailedSyncedTableIsNeverShownHealthyWhileItKeepsFailing(PostgresServer pg) throws Exception {
        DeltaTestTable failing = table("failing");
        failing.append(rows(0, 10));
        startSupervisor(Duration.ofHours(1));
        SyncedTableSpec spec = spec("failing", SyncedTableSpec.SchedulingPolicy.CONTINUOUS);
        control.specs().put(KvKeys.syncedTable(spec.name()), spec);
        awaitStatus(spec.name(), SyncedTableState.ONLINE_CONTINUOUS_UPDATE, failing.version());

        long v = failing.append(List.<Object[]>of(new Object[] {200L, "x", 1}, new Object[] {200L, "y", 2}));
        announceCommit("failing", failing, v);
        await().atMost(Duration.ofSeconds(60)).until(() -> status(spec.name()).detailedState() == SyncedTableState.ONLINE_PIPELINE_FAILED);

        List<SyncedTableState> written = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (AutoCloseable watch = control.status().watch(KvKeys.syncedTable(spec.name()), SyncedTableStatus.class,
                (key, s) -> written.add(s == null ? null : s.detailedState()), (key, e) -> { })) {
            for (int i = 0; i < 3; i++) {
                v = failing.append(rows(20 + i, 21 + i));
                announceCommit("failing", failing, v);
                long version = v;
                await().atMost(Duration.ofSeconds(60)).until(() -> supervisor.runners().get(spec.name()) != null
                        && status(spec.name()).message().contains("(id)=(200)") && failing.version() == version);
                Thread.sleep(1500); // deliberate: nothing but FAILED may be written; the run started by this version reports within its retry delay
            }
        }
        assertTrue(!written.isEmpty(), "the watch saw the status");
        assertTrue(written.stream().allMatch(s -> s == SyncedTableState.ONLINE_PIPELINE_FAILED), written.toString());
        assertEquals(10, count(pg, "failing"));
    }

    @Test
    void continuousPollsTablesWithoutEvents(PostgresServer pg) throws Exception {
        DeltaTestTable spark = table("polled");
        spark.append(rows(0, 10));
        startSupervisor(Duration.ofMillis(300));
        SyncedTableSpec spec = spec("polled", SyncedTableSpec.SchedulingPolicy.CONTINUOUS);
        control.specs().put(KvKeys.syncedTable(spec.name()), spec);
        awaitStatus(spec.name(), SyncedTableState.ONLINE_CONTINUOUS_UPDATE, spark.version());
        for (int i = 1; i <= 3; i++) {
            long v = spark.append(rows(i * 100L, i * 100L + 7));
            awaitStatus(spec.name(), SyncedTableState.ONLINE_CONTINUOUS_UPDATE, v);
        }
        assertEquals(31, count(pg, "polled"));
    }

    @Test
    void aChangedConnectionRestartsTheSyncedTablesUsingIt(PostgresServer pg) throws Exception {
        DeltaTestTable source = table("rotated");
        source.append(rows(0, 10));
        startSupervisor(Duration.ofMillis(300));
        SyncedTableSpec spec = spec("rotated", SyncedTableSpec.SchedulingPolicy.CONTINUOUS);
        control.specs().put(KvKeys.syncedTable(spec.name()), spec);
        awaitStatus(spec.name(), SyncedTableState.ONLINE_CONTINUOUS_UPDATE, source.version());
        SyncRunner before = supervisor.runners().get(spec.name());

        // what PATCH /connections/target_pg writes, e.g. after a password rotation
        SecretBox box = SecretBox.fromConfiguredKey(KEY);
        control.specs().put(KvKeys.connection("target_pg"), new ConnectionSpec("target_pg", ConnectionSpec.POSTGRESQL,
                Map.of("host", pg.host(), "port", String.valueOf(pg.port()), "user", pg.user(), "sslmode", "prefer"),
                box.seal(pg.password(), "target_pg"), null, UUID.randomUUID().toString(), System.currentTimeMillis()));
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            SyncRunner now = supervisor.runners().get(spec.name());
            return now != null && now != before;
        });
        long v = source.append(rows(10, 15));
        awaitStatus(spec.name(), SyncedTableState.ONLINE_CONTINUOUS_UPDATE, v);
        assertEquals(15, count(pg, "rotated"));
    }

    @Test
    void badNamesAndMissingConnectionsAreReported(PostgresServer pg) {
        startSupervisor(Duration.ofHours(1));
        SyncedTableSpec bad = new SyncedTableSpec("cat.public.bad-name", "instance", database,
                new SyncedTableSpec.Definition("main.src.x", List.of("id"), null, SyncedTableSpec.SchedulingPolicy.TRIGGERED, true, null, null),
                "pipe-bad", new SyncedTableSpec.Target("target_pg", database, "public", "bad-name"), "u", 0);
        control.specs().put(KvKeys.syncedTable(bad.name()), bad);
        await().atMost(Duration.ofSeconds(30)).until(() -> status(bad.name()) != null);
        assertEquals(SyncedTableState.OFFLINE_FAILED, status(bad.name()).detailedState());
        assertTrue(status(bad.name()).message().contains("'bad-name'") && status(bad.name()).message().contains("[A-Za-z0-9_]+"),
                status(bad.name()).message());
    }
}
