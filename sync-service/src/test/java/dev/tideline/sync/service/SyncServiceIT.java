package dev.tideline.sync.service;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.secret.SecretBox;
import dev.tideline.control.spec.ConnectionSpec;
import dev.tideline.control.spec.SyncedTableSpec;
import dev.tideline.control.status.SyncedTableState;
import dev.tideline.control.status.SyncedTableStatus;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.TableLocations;
import dev.tideline.sync.testdelta.DeltaTestTable;
import dev.tideline.testing.InjectTestServer;
import dev.tideline.testing.NatsTestResource;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.PostgresTestResource;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * The Quarkus application as deployed: configuration (warehouse, NATS, secrets key) → SyncService →
 * supervisor; a CONTINUOUS synced table put in KV comes online in Postgres and follows new versions.
 */
@QuarkusTest
@TestProfile(SyncServiceIT.Enabled.class)
@QuarkusTestResource(NatsTestResource.class)
@QuarkusTestResource(PostgresTestResource.class)
class SyncServiceIT {

    static final String KEY = "quarkus-test-secrets-key-0123456789";
    /** Fixed (not a temp dir): the profile and the test may be loaded by different class loaders. */
    static final Path WAREHOUSE = Path.of("target", "sync-service-it-warehouse").toAbsolutePath();

    /** Sync on, with a short polling interval; everything else from application.properties. */
    public static class Enabled implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tideline.sync.enabled", "true", "tideline.secrets.key", KEY, "tideline.warehouse", WAREHOUSE.toString(),
                    "tideline.sync.poll-interval", "300ms");
        }
    }

    @InjectTestServer
    PostgresServer pg;

    private static void deleteRecursively(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (var paths = Files.walk(dir)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @Test
    void aContinuousSyncedTableComesOnlineAndFollowsTheTable() throws Exception {
        deleteRecursively(WAREHOUSE);
        Files.createDirectories(WAREHOUSE);
        var engine = DeltaEngines.forWarehouse(WAREHOUSE.toString());
        DeltaTestTable table = DeltaTestTable.create(engine, TableLocations.of(WAREHOUSE.toString(), "main", "src", "events"),
                SyncSupervisorIT.SCHEMA);
        table.append(rows(0, 25));
        String url = ConfigProvider.getConfig().getValue("tideline.nats.url", String.class);
        try (Connection nats = Nats.connect(url)) {
            ControlPlane control = ControlPlane.open(nats);
            SecretBox box = SecretBox.fromConfiguredKey(KEY);
            control.specs().put(KvKeys.connection("lakebase"), new ConnectionSpec("lakebase", ConnectionSpec.POSTGRESQL,
                    Map.of("host", pg.host(), "port", String.valueOf(pg.port()), "user", pg.user(), "sslmode", "disable"),
                    box.seal(pg.password(), "lakebase"), null, "id", 0));
            SyncedTableSpec spec = new SyncedTableSpec("appdb.public.events", "instance", "appdb",
                    new SyncedTableSpec.Definition("main.src.events", List.of("id"), null, SyncedTableSpec.SchedulingPolicy.CONTINUOUS,
                            true, null, null),
                    "pipe-events", new SyncedTableSpec.Target("lakebase", "appdb", "public", "events"), "uid", 0);
            control.specs().put(KvKeys.syncedTable(spec.name()), spec);
            await().atMost(Duration.ofSeconds(90)).until(() -> online(control, spec.name(), table.version()));
            long v = table.append(rows(25, 30));
            await().atMost(Duration.ofSeconds(30)).until(() -> online(control, spec.name(), v));
            try (var c = pg.connect("appdb"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM public.events")) {
                rs.next();
                assertEquals(30, rs.getLong(1));
            }
            String metrics = io.restassured.RestAssured.given().get("/q/metrics").then().statusCode(200).extract().asString();
            org.junit.jupiter.api.Assertions.assertTrue(metrics.contains("tideline_sync_last_synced_version{synced_table=\"appdb.public.events\"} " + v),
                    "last synced version exported");
            control.specs().delete(KvKeys.syncedTable(spec.name()));
        }
    }

    private static boolean online(ControlPlane control, String name, long version) {
        SyncedTableStatus s = control.status().value(KvKeys.syncedTable(name), SyncedTableStatus.class).orElse(null);
        return s != null && s.detailedState() == SyncedTableState.ONLINE_CONTINUOUS_UPDATE && s.lastSyncedVersion() != null
                && s.lastSyncedVersion() == version;
    }

    private static List<Object[]> rows(long from, long to) {
        List<Object[]> rows = new ArrayList<>();
        for (long i = from; i < to; i++) {
            rows.add(new Object[] {i, "e" + i, 1});
        }
        return rows;
    }
}
