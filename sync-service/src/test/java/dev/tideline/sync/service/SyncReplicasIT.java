package dev.tideline.sync.service;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.lease.LeaseSettings;
import dev.tideline.control.secret.SecretBox;
import dev.tideline.control.spec.ConnectionSpec;
import dev.tideline.control.spec.SyncedTableSpec;
import dev.tideline.control.status.SyncedTableState;
import dev.tideline.control.status.SyncedTableStatus;
import dev.tideline.core.naming.KvKeys;
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
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Two replicas of sync-service on one NATS: they split the synced tables (each table synced by exactly one),
 * and when one replica dies without a goodbye (its NATS connection cut, so it cannot renew or release its
 * leases) the other takes its tables over after the lease ttl and keeps Postgres equal to Delta.
 */
@WithPostgres
@WithNats
class SyncReplicasIT {

    private static final String KEY = "sync-replicas-test-key-0123456789";
    private static final Duration TTL = Duration.ofSeconds(3);
    private static final List<String> TABLES = List.of("r_a", "r_b", "r_c", "r_d");

    @Test
    void replicasSplitTheTablesAndTheSurvivorTakesOverACrashedOnesTables(NatsServer natsServer, PostgresServer pg) throws Exception {
        Path warehouse = Files.createTempDirectory("tideline-sync-replicas");
        Engine engine = DeltaEngines.forWarehouse(warehouse.toUri().toString());
        String database = "rep_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        Connection ncA = Nats.connect(natsServer.url());
        try (Connection ncB = Nats.connect(natsServer.url()); Connection admin = Nats.connect(natsServer.url())) {
            ControlPlane control = ControlPlane.open(admin);
            SecretBox box = SecretBox.fromConfiguredKey(KEY);
            control.specs().put(KvKeys.connection("target_pg"), new ConnectionSpec("target_pg", ConnectionSpec.POSTGRESQL,
                    Map.of("host", pg.host(), "port", String.valueOf(pg.port()), "user", pg.user(), "sslmode", "disable"),
                    box.seal(pg.password(), "target_pg"), null, UUID.randomUUID().toString(), System.currentTimeMillis()));
            List<DeltaTestTable> tables = new ArrayList<>();
            for (String t : TABLES) {
                DeltaTestTable table = DeltaTestTable.create(engine, TableLocations.of(warehouse.toUri().toString(), "main", "src", t),
                        SyncSupervisorIT.SCHEMA);
                table.append(rows(0, 50));
                tables.add(table);
                SyncedTableSpec spec = new SyncedTableSpec("pg_catalog.public." + t, "instance", database,
                        new SyncedTableSpec.Definition("main.src." + t, List.of("id"), null, SyncedTableSpec.SchedulingPolicy.CONTINUOUS,
                                true, null, null),
                        "pipe-" + t, new SyncedTableSpec.Target("target_pg", database, "public", t), UUID.randomUUID().toString(),
                        System.currentTimeMillis());
                control.specs().put(KvKeys.syncedTable(spec.name()), spec);
            }

            SyncSupervisor a = replica(ncA, "replica-a", warehouse, engine);
            SyncSupervisor b = replica(ncB, "replica-b", warehouse, engine);
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> a.runners().size() == 2 && b.runners().size() == 2);
                Set<String> both = new HashSet<>(a.runners().keySet());
                both.retainAll(b.runners().keySet());
                assertTrue(both.isEmpty(), "synced by both replicas: " + both);
                awaitInSync(control, pg, database, tables, 50);

                ncA.close(); // replica a dies: no renewals, no goodbye
                for (DeltaTestTable table : tables) {
                    table.append(rows(50, 80));
                }
                await().atMost(TTL.multipliedBy(6)).until(() -> b.runners().size() == TABLES.size());
                assertTrue(a.runners().isEmpty(), "the cut-off replica stopped its runners when it could not renew");
                awaitInSync(control, pg, database, tables, 80);
            } finally {
                a.close();
                b.close();
            }
        }
    }

    private static SyncSupervisor replica(Connection nc, String member, Path warehouse, Engine engine) {
        SyncSupervisor s = new SyncSupervisor(ControlPlane.open(nc), SecretBox.fromConfiguredKey(KEY), warehouse.toUri().toString(),
                engine, new SyncOptions(2, 0.10), Duration.ofMillis(300), Duration.ofSeconds(2), SyncFaults.NONE, SyncMetrics.NONE,
                new LeaseSettings(member, TTL));
        s.start();
        return s;
    }

    /** Every table's rows reached Postgres and its status names the table's newest Delta version. */
    private static void awaitInSync(ControlPlane control, PostgresServer pg, String database, List<DeltaTestTable> tables, long rows) throws Exception {
        for (int i = 0; i < tables.size(); i++) {
            String name = "pg_catalog.public." + TABLES.get(i);
            long version = tables.get(i).version();
            String table = TABLES.get(i);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
                SyncedTableStatus s = control.status().value(KvKeys.syncedTable(name), SyncedTableStatus.class).orElse(null);
                return s != null && s.detailedState() == SyncedTableState.ONLINE_CONTINUOUS_UPDATE && s.lastSyncedVersion() != null
                        && s.lastSyncedVersion() == version;
            });
            assertEquals(rows, count(pg, database, table), table);
        }
    }

    private static long count(PostgresServer pg, String database, String table) throws Exception {
        try (var c = pg.connect(database); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*), count(DISTINCT id) FROM public." + table)) {
            rs.next();
            assertEquals(rs.getLong(1), rs.getLong(2), "duplicate keys in " + table);
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
}
