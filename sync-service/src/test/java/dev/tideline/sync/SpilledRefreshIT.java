package dev.tideline.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.sync.delta.FoldLimits;
import dev.tideline.sync.engine.SyncOutcome;
import dev.tideline.sync.model.SchedulingPolicy;
import dev.tideline.sync.model.SyncFaults;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.testdelta.DeltaTestTable;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A refresh whose changed rows exceed the fold budget is folded in key-hash partitions on disk and
 * still ends with Postgres equal to the Delta table, applied in ONE Postgres transaction together
 * with the synced version; a refresh stopped before its commit (exception, Postgres killed, the sync
 * process killed) leaves the previous version, and the next one completes it and cleans up the spill.
 */
@WithPostgres
class SpilledRefreshIT {

    /** About 100 of the test's changed rows (each counted at ~240 bytes of heap) fit in memory; 4 partitions, split again as needed. */
    private static final long TINY_BUDGET = 24_000;

    @Test
    void aRefreshPastTheFoldBudgetEqualsTheTableInOneTransaction(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        f.snapshotFraction = 100; // this test is about the incremental path, not the 10% rule
        Path spill = Files.createTempDirectory("tideline-spill-test");
        DeltaTestTable table = tableWithHistory(f, "spilled");
        SyncedTableDefinition def = f.definition("spilled", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        assertEquals(SyncOutcome.Mode.SNAPSHOT, f.syncer(def).sync(false).mode());
        long start = f.syncedVersion(def.name());
        changeEveryWay(table);

        f.fold = new FoldLimits(TINY_BUDGET, 4, spill);
        SyncOutcome outcome = f.syncer(def).sync(false);

        assertEquals(SyncOutcome.Mode.INCREMENTAL, outcome.mode(), outcome.reason());
        assertTrue(outcome.reason().contains("partitions on disk"), outcome.reason());
        assertEquals(start, outcome.fromVersion());
        assertEquals(table.version(), outcome.toVersion());
        assertEquals(table.version(), f.syncedVersion(def.name()));
        f.assertEqualsRecordedVersion(table, def);
        assertOneTransaction(f, def, changedIds(table, start, table.version()));
        assertNoSpillLeft(spill);
    }

    /**
     * A refresh of one commit is classified as its files are read and its updates copied meanwhile; when
     * the rows waiting for their other side pass the fold budget (here: 400 inserts, which wait for the
     * end), that transaction is rolled back and the same refresh goes through the fold on disk.
     */
    @Test
    void aOneCommitRefreshIsReadAndAppliedAtOnceAndFoldedOnDiskPastTheBudget(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        f.snapshotFraction = 100;
        Path spill = Files.createTempDirectory("tideline-spill-test");
        DeltaTestTable table = tableWithHistory(f, "streamed");
        SyncedTableDefinition def = f.definition("streamed", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        assertEquals(SyncOutcome.Mode.SNAPSHOT, f.syncer(def).sync(false).mode());

        long start = f.syncedVersion(def.name());
        table.mutate(r -> (Long) r[0] % 3 == 0, r -> new Object[] {r[0], "streamed", round(r)}); // every file rewritten, a third changed
        SyncOutcome streamed = f.syncer(def).sync(false);
        assertEquals(SyncOutcome.Mode.INCREMENTAL, streamed.mode(), streamed.reason());
        assertTrue(streamed.reason().contains("read and applied at once"), streamed.reason());
        assertEquals(667, streamed.rowsApplied());
        f.assertEqualsRecordedVersion(table, def);
        assertOneTransaction(f, def, changedIds(table, start, table.version()));

        start = f.syncedVersion(def.name());
        table.append(SyncFixture.rows(3000, 3400, "new-"));
        f.fold = new FoldLimits(TINY_BUDGET, 4, spill);
        SyncOutcome folded = f.syncer(def).sync(false);
        assertEquals(SyncOutcome.Mode.INCREMENTAL, folded.mode(), folded.reason());
        assertTrue(folded.reason().contains("partitions on disk"), folded.reason());
        assertEquals(400, folded.rowsApplied());
        f.assertEqualsRecordedVersion(table, def);
        assertOneTransaction(f, def, changedIds(table, start, table.version()));
        assertNoSpillLeft(spill);
    }

    @Test
    void aSpilledRefreshStoppedBeforeCommitIsCompletedByTheNext(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        f.snapshotFraction = 100;
        Path spill = Files.createTempDirectory("tideline-spill-test");
        DeltaTestTable table = tableWithHistory(f, "spill_fault");
        SyncedTableDefinition def = f.definition("spill_fault", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        f.syncer(def).sync(false);
        long recorded = f.syncedVersion(def.name());
        changeEveryWay(table);
        f.fold = new FoldLimits(TINY_BUDGET, 4, spill);

        var throwing = f.syncer(def, once(SyncFaults.REFRESH_BEFORE_COMMIT, () -> {
            throw new IllegalStateException("injected before commit");
        }));
        assertThrows(IllegalStateException.class, () -> throwing.sync(false));
        assertEquals(recorded, f.syncedVersion(def.name()));
        f.assertEqualsRecordedVersion(table, def);
        assertNoSpillLeft(spill);

        var killing = f.syncer(def, once(SyncFaults.REFRESH_BEFORE_COMMIT, pg::kill));
        assertThrows(RuntimeException.class, () -> killing.sync(false));
        pg.start();
        assertEquals(recorded, f.syncedVersion(def.name()));
        f.assertEqualsRecordedVersion(table, def);
        assertNoSpillLeft(spill);

        // kill -9 of the sync process while its spilled refresh waits to commit: its spill directory stays behind
        SyncProcessKillIT.runAndKill(f, table, "spill_fault", SyncFaults.REFRESH_BEFORE_COMMIT, false,
                List.of(String.valueOf(TINY_BUDGET), "4", spill.toString()));
        assertEquals(recorded, f.syncedVersion(def.name()));
        f.assertEqualsRecordedVersion(table, def);
        assertEquals(1, spillDirectories(spill), "the killed process left its spill directory");

        SyncOutcome outcome = f.syncer(def).sync(false);
        assertEquals(SyncOutcome.Mode.INCREMENTAL, outcome.mode(), outcome.reason());
        assertTrue(outcome.reason().contains("partitions on disk"), outcome.reason());
        assertEquals(table.version(), f.syncedVersion(def.name()));
        f.assertEqualsRecordedVersion(table, def);
        assertOneTransaction(f, def, changedIds(table, recorded, table.version()));
        assertNoSpillLeft(spill); // the next spilling refresh deleted the abandoned directory, and its own
    }

    /** 2,000 rows in 4 files. */
    private static DeltaTestTable tableWithHistory(SyncFixture f, String name) {
        DeltaTestTable table = f.createTable(name, SyncFixture.SIMPLE);
        for (int i = 0; i < 4; i++) {
            table.append(SyncFixture.rows(i * 500L, (i + 1) * 500L, "v0-"));
        }
        return table;
    }

    /**
     * Several commits, far over 100 changed rows: inserts, one key set updated in three commits, deletes,
     * keys changed and changed back, deleted keys inserted again, keys inserted and deleted within the range.
     */
    private static void changeEveryWay(DeltaTestTable table) {
        table.append(SyncFixture.rows(2000, 2300, "new-"));
        for (int round = 1; round <= 3; round++) {
            String name = "u" + round;
            table.mutate(r -> (Long) r[0] % 7 == 0, r -> new Object[] {r[0], name, round(r)});
        }
        table.mutate(r -> (Long) r[0] % 11 == 0 && (Long) r[0] % 7 != 0, r -> null);
        table.mutate(r -> (Long) r[0] % 13 == 1, r -> new Object[] {r[0], "flip", -1});
        table.mutate(r -> (Long) r[0] % 13 == 1, r -> new Object[] {r[0], "v0-" + r[0], (int) ((Long) r[0] % 100)}); // back as it was
        table.append(List.of(new Object[] {11L, "back-11", 1}, new Object[] {22L, "back-22", 2}, new Object[] {5000L, "brief", 0}));
        table.mutate(r -> (Long) r[0] == 5000L || (Long) r[0] == 2001L, r -> null);
    }

    private static int round(Object[] r) {
        return r[2] == null ? 0 : (Integer) r[2] + 1;
    }

    /** Keys whose row differs between two versions (new, changed or gone). */
    private static Set<Long> changedIds(DeltaTestTable table, long from, long to) {
        Map<Long, List<Object>> before = byId(table.rowsAt(from));
        Map<Long, List<Object>> after = byId(table.rowsAt(to));
        Set<Long> changed = new HashSet<>();
        after.forEach((id, row) -> {
            if (!Objects.equals(before.get(id), row)) {
                changed.add(id);
            }
        });
        return changed;
    }

    private static Map<Long, List<Object>> byId(List<Object[]> rows) {
        Map<Long, List<Object>> out = new HashMap<>();
        for (Object[] r : rows) {
            out.put((Long) r[0], List.of(r).stream().map(v -> v == null ? "null" : v).toList());
        }
        return out;
    }

    /** Every changed row that Postgres holds was written by the transaction that wrote the bookkeeping row's version. */
    private static void assertOneTransaction(SyncFixture f, SyncedTableDefinition def, Set<Long> changed) throws SQLException {
        assertTrue(changed.size() > 300, "the refresh changed more rows than the budget holds: " + changed.size());
        try (Connection c = f.connect()) {
            String bookkeeping;
            try (PreparedStatement ps = c.prepareStatement("SELECT xmin::text FROM tideline.synced_tables WHERE synced_table_name = ?")) {
                ps.setString(1, def.name());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    bookkeeping = rs.getString(1);
                }
            }
            Array ids = c.createArrayOf("bigint", new ArrayList<>(changed).toArray());
            try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT xmin::text FROM " + def.target().quoted() + " WHERE id = ANY(?)")) {
                ps.setArray(1, ids);
                List<String> xmins = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        xmins.add(rs.getString(1));
                    }
                }
                assertEquals(List.of(bookkeeping), xmins, "the changed rows and the synced version were committed together");
            }
        }
    }

    private static long spillDirectories(Path root) throws Exception {
        if (!Files.exists(root)) {
            return 0;
        }
        try (Stream<Path> children = Files.list(root)) {
            return children.filter(p -> p.getFileName().toString().startsWith("refresh-")).count();
        }
    }

    private static void assertNoSpillLeft(Path root) throws Exception {
        assertEquals(0, spillDirectories(root), "spill directories left under " + root);
    }

    /** Fires once at {@code point}. */
    private static SyncFaults once(String point, Runnable action) {
        AtomicBoolean fired = new AtomicBoolean();
        return p -> {
            if (p.equals(point) && fired.compareAndSet(false, true)) {
                action.run();
            }
        };
    }
}
