package dev.tideline.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tideline.sync.engine.SyncOutcome;
import dev.tideline.sync.model.SchedulingPolicy;
import dev.tideline.sync.model.SyncFaults;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.testdelta.DeltaTestTable;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithPostgres;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A sync stopped anywhere — an exception inside the sync, or the target Postgres SIGKILLed in the
 * middle of a COPY or just before COMMIT — leaves Postgres equal to the Delta table at the version
 * recorded in the target's bookkeeping; the next sync then catches up to the newest version.
 */
@WithPostgres
class FaultInjectionIT {

    /** Fires once at {@code point}: runs {@code action} (throw, or kill Postgres). */
    private static SyncFaults once(String point, Runnable action) {
        AtomicBoolean fired = new AtomicBoolean();
        return p -> {
            if (p.equals(point) && fired.compareAndSet(false, true)) {
                action.run();
            }
        };
    }

    private static DeltaTestTable tableWithFiles(SyncFixture f, String name, int files) {
        DeltaTestTable table = f.createTable(name, SyncFixture.SIMPLE);
        for (int i = 0; i < files; i++) {
            table.append(SyncFixture.rows(i * 200L, (i + 1) * 200L, "v1-"));
        }
        return table;
    }

    @Test
    void exceptionBeforeSwapCommitKeepsTheOldSnapshot(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        DeltaTestTable table = tableWithFiles(f, "swap_fault", 4);
        SyncedTableDefinition def = f.definition("swap_fault", SchedulingPolicy.SNAPSHOT, List.of("id"), Optional.empty());
        f.syncer(def).sync(false);
        long recorded = f.syncedVersion(def.name());
        table.mutate(r -> (Long) r[0] % 2 == 0, r -> null);

        for (String point : List.of(SyncFaults.SNAPSHOT_FILE_COPIED, SyncFaults.SNAPSHOT_BEFORE_SWAP, SyncFaults.SNAPSHOT_BEFORE_COMMIT)) {
            var faulty = f.syncer(def, once(point, () -> {
                throw new IllegalStateException("injected at " + point);
            }));
            assertThrows(RuntimeException.class, () -> faulty.sync(false), point);
            assertEquals(recorded, f.syncedVersion(def.name()), point);
            f.assertEqualsRecordedVersion(table, def);
        }
        assertEquals(SyncOutcome.Mode.SNAPSHOT, f.syncer(def).sync(false).mode());
        assertEquals(table.version(), f.syncedVersion(def.name()));
        f.assertEqualsRecordedVersion(table, def);
    }

    @Test
    void postgresKilledMidSnapshotCopy(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        DeltaTestTable table = tableWithFiles(f, "kill_copy", 6);
        SyncedTableDefinition def = f.definition("kill_copy", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        f.syncer(def).sync(false);
        long recorded = f.syncedVersion(def.name());
        table.mutate(r -> (Long) r[0] < 50, r -> new Object[] {r[0], "v2", 2});

        var killing = f.syncer(def, once(SyncFaults.SNAPSHOT_FILE_COPIED, pg::kill));
        assertThrows(RuntimeException.class, () -> killing.sync(true));
        pg.start();
        assertEquals(recorded, f.syncedVersion(def.name()));
        f.assertEqualsRecordedVersion(table, def);

        assertEquals(SyncOutcome.Mode.SNAPSHOT, f.syncer(def).sync(true).mode());
        assertEquals(table.version(), f.syncedVersion(def.name()));
        f.assertEqualsRecordedVersion(table, def);
    }

    @Test
    void refreshStoppedBeforeCommitIsRedoneFromTheRecordedVersion(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        DeltaTestTable table = tableWithFiles(f, "refresh_fault", 5);
        SyncedTableDefinition def = f.definition("refresh_fault", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        f.syncer(def).sync(false);
        long recorded = f.syncedVersion(def.name());

        table.append(SyncFixture.rows(1000, 1020, "new-"));
        table.mutate(r -> (Long) r[0] == 3L || (Long) r[0] == 1005L, r -> null);
        table.mutate(r -> (Long) r[0] == 7L, r -> new Object[] {r[0], "changed", 99});

        var throwing = f.syncer(def, once(SyncFaults.REFRESH_BEFORE_COMMIT, () -> {
            throw new IllegalStateException("injected before commit");
        }));
        assertThrows(IllegalStateException.class, () -> throwing.sync(false));
        assertEquals(recorded, f.syncedVersion(def.name()));
        f.assertEqualsRecordedVersion(table, def);

        var killing = f.syncer(def, once(SyncFaults.REFRESH_BEFORE_COMMIT, pg::kill));
        assertThrows(RuntimeException.class, () -> killing.sync(false));
        pg.start();
        assertEquals(recorded, f.syncedVersion(def.name()));
        f.assertEqualsRecordedVersion(table, def);

        SyncOutcome outcome = f.syncer(def).sync(false);
        assertEquals(SyncOutcome.Mode.INCREMENTAL, outcome.mode(), outcome.reason());
        assertEquals(table.version(), f.syncedVersion(def.name()));
        f.assertEqualsRecordedVersion(table, def);
    }
}
