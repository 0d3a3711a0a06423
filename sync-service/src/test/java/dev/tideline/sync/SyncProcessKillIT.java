package dev.tideline.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.sync.engine.SyncOutcome;
import dev.tideline.sync.model.SchedulingPolicy;
import dev.tideline.sync.model.SyncFaults;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.testdelta.DeltaTestTable;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithPostgres;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of the sync process itself — in the middle of a snapshot's COPY, inside the swap
 * transaction, and inside a refresh's transaction: Postgres still equals the Delta table at the
 * recorded version, readers are not left blocked, and the next sync (in a new process) catches up.
 */
@WithPostgres
class SyncProcessKillIT {

    @Test
    void killedSyncProcessesLeaveTheRecordedVersion(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        DeltaTestTable table = f.createTable("killed", SyncFixture.SIMPLE);
        for (int i = 0; i < 6; i++) {
            table.append(SyncFixture.rows(i * 300L, (i + 1) * 300L, "v1-"));
        }
        SyncedTableDefinition def = f.definition("killed", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        f.syncer(def).sync(false);
        long recorded = f.syncedVersion(def.name());

        table.mutate(r -> (Long) r[0] % 3 == 0, r -> new Object[] {r[0], "v2", 2});
        table.append(SyncFixture.rows(5000, 5100, "new-"));
        table.mutate(r -> (Long) r[0] == 7L, r -> null);

        for (var kill : List.of(new Object[] {SyncFaults.SNAPSHOT_FILE_COPIED, true}, new Object[] {SyncFaults.SNAPSHOT_BEFORE_COMMIT, true},
                new Object[] {SyncFaults.REFRESH_BEFORE_COMMIT, false})) {
            runAndKill(f, table, (String) kill[0], (Boolean) kill[1]);
            assertEquals(recorded, f.syncedVersion(def.name()), "after kill -9 at " + kill[0]);
            f.assertEqualsRecordedVersion(table, def);
            try (Connection c = f.connect(); Statement s = c.createStatement()) {
                s.execute("SET statement_timeout = '5s'"); // a reader must not wait for the dead sync's locks
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + def.target().quoted())) {
                    rs.next();
                    assertEquals(1800, rs.getLong(1));
                }
            }
        }

        f.snapshotFraction = 100; // the child refreshed incrementally; so must the catch-up
        SyncOutcome caughtUp = f.syncer(def).sync(false);
        assertEquals(SyncOutcome.Mode.INCREMENTAL, caughtUp.mode(), caughtUp.reason());
        assertEquals(table.version(), f.syncedVersion(def.name()));
        f.assertEqualsRecordedVersion(table, def);
    }

    private static void runAndKill(SyncFixture f, DeltaTestTable table, String point, boolean fullRefresh) throws Exception {
        runAndKill(f, table, "killed", point, fullRefresh, List.of());
    }

    /**
     * Runs one sync of {@code name} in a process of its own ({@link SyncProcessMain}, {@code extra} its optional
     * arguments) and kills it with SIGKILL once it pauses at {@code point}.
     */
    static void runAndKill(SyncFixture f, DeltaTestTable table, String name, String point, boolean fullRefresh, List<String> extra)
            throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(SyncProcessMain.class.getName());
        command.addAll(List.of(f.pg.host(), String.valueOf(f.pg.port()), f.pg.user(), f.pg.password(), f.database,
                f.warehouse.toUri().toString(), table.path(), name, point, String.valueOf(fullRefresh)));
        command.addAll(extra);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        CompletableFuture<Boolean> paused = CompletableFuture.supplyAsync(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    if (line.startsWith("PAUSED at " + point)) {
                        return true;
                    }
                    if (line.startsWith("FINISHED")) {
                        return false;
                    }
                }
                return false;
            } catch (java.io.IOException e) {
                return false;
            }
        });
        try {
            assertTrue(paused.get(120, TimeUnit.SECONDS), "the sync process reached " + point);
        } finally {
            process.destroyForcibly(); // SIGKILL: no shutdown hooks, no rollback from the client side
            assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        }
    }
}
