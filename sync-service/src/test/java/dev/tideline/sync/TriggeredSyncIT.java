package dev.tideline.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.sync.engine.SyncOutcome;
import dev.tideline.sync.engine.SyncedTableSyncer;
import dev.tideline.sync.model.SchedulingPolicy;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.testdelta.DeltaTestTable;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithPostgres;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** SNAPSHOT and TRIGGERED sync of Kernel-written tables (appends and copy-on-write updates/deletes) into a real Postgres. */
@WithPostgres
class TriggeredSyncIT {

    /**
     * A copy-on-write rewrite of a file for one changed row: the removed file is read by key only and
     * the target compares (MERGE): the unchanged neighbours keep their row versions, one row counts.
     */
    @Test
    void aRewrittenFilesUnchangedRowsAreNotWrittenAgain(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        f.snapshotFraction = 100;
        DeltaTestTable table = f.createTable("neighbours", SyncFixture.SIMPLE);
        table.append(SyncFixture.rows(0, 50, "a"));
        SyncedTableDefinition def = f.definition("neighbours", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        SyncedTableSyncer syncer = f.syncer(def);
        syncer.sync(false);
        String versions = "SELECT string_agg(id || ':' || xmin, ',' ORDER BY id) FROM " + def.target().quoted() + " WHERE id <> 7";
        String before = queryString(f, versions);

        table.mutate(r -> (Long) r[0] == 7L, r -> new Object[] {r[0], "changed", 7});
        SyncOutcome outcome = syncer.sync(false);
        assertEquals(SyncOutcome.Mode.INCREMENTAL, outcome.mode(), outcome.reason());
        assertEquals(1, outcome.rowsApplied(), outcome.reason());
        f.assertEqualsRecordedVersion(table, def);
        assertEquals(before, queryString(f, versions), "the 49 unchanged rows were not updated");
    }

    private static String queryString(SyncFixture f, String sql) throws Exception {
        try (var c = f.connect(); var s = c.createStatement(); var rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void triggeredRefreshesEqualTheTableEachTime(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        DeltaTestTable table = f.createTable("orders", SyncFixture.SIMPLE);
        table.append(SyncFixture.rows(0, 500, "a"));
        table.append(SyncFixture.rows(500, 1000, "b"));
        SyncedTableDefinition def = f.definition("orders", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        SyncedTableSyncer syncer = f.syncer(def);

        SyncOutcome first = syncer.sync(false);
        assertEquals(SyncOutcome.Mode.SNAPSHOT, first.mode());
        assertEquals(1000, first.rowsApplied());
        f.assertEqualsRecordedVersion(table, def);
        assertEquals(table.version(), f.syncedVersion(def.name()));

        // a small append: incremental
        table.append(SyncFixture.rows(1000, 1010, "c"));
        SyncOutcome second = syncer.sync(false);
        assertEquals(SyncOutcome.Mode.INCREMENTAL, second.mode(), second.reason());
        assertEquals(10, second.rowsApplied());
        f.assertEqualsRecordedVersion(table, def);

        // an update and a delete in two commits, refreshed together
        table.append(SyncFixture.rows(1010, 1011, "d"));
        table.mutate(r -> (Long) r[0] == 1005L, r -> new Object[] {r[0], "updated", 7});
        table.mutate(r -> (Long) r[0] == 1001L || (Long) r[0] == 1010L, r -> null);
        SyncOutcome third = syncer.sync(false);
        assertEquals(SyncOutcome.Mode.INCREMENTAL, third.mode(), third.reason());
        f.assertEqualsRecordedVersion(table, def);
        assertEquals(table.version(), third.toVersion());

        // nothing new
        assertEquals(SyncOutcome.Mode.NONE, syncer.sync(false).mode());

        // a change touching most of the table falls back to a snapshot (the 10% rule)
        table.mutate(r -> (Long) r[0] < 900, r -> new Object[] {r[0], r[1], -1});
        SyncOutcome big = syncer.sync(false);
        assertEquals(SyncOutcome.Mode.SNAPSHOT, big.mode(), big.reason());
        f.assertEqualsRecordedVersion(table, def);
    }

    /**
     * A TRIGGERED table is created with free space on its pages (fillfactor 90), so a refresh's UPDATE
     * keeps each row on its page (HOT: no new index entry). With the pages packed full (fillfactor
     * 100) every updated row below would move to another page.
     */
    @Test
    void refreshUpdatesStayOnTheirPages(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        DeltaTestTable table = f.createTable("hot", SyncFixture.SIMPLE);
        table.append(SyncFixture.rows(0, 3000, "a"));
        SyncedTableDefinition def = f.definition("hot", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        SyncedTableSyncer syncer = f.syncer(def);
        assertEquals(SyncOutcome.Mode.SNAPSHOT, syncer.sync(false).mode());
        assertEquals("{fillfactor=90}", reloptions(f, "hot"));
        List<Long> ids = List.of(0L, 700L, 1400L, 2100L);
        List<Integer> pagesBefore = pages(f, "hot", ids);
        assertTrue(pagesBefore.stream().distinct().count() > 1, "the rows are spread over pages: " + pagesBefore);

        table.mutate(r -> ids.contains((Long) r[0]), r -> new Object[] {r[0], "updated-" + r[0], 7});
        SyncOutcome refresh = syncer.sync(false);
        assertEquals(SyncOutcome.Mode.INCREMENTAL, refresh.mode(), refresh.reason());
        f.assertEqualsRecordedVersion(table, def);
        assertEquals(pagesBefore, pages(f, "hot", ids), "each updated row stays on its page");
    }

    private static String reloptions(SyncFixture f, String table) throws Exception {
        try (var c = f.connect(); var s = c.createStatement();
                var rs = s.executeQuery("SELECT reloptions::text FROM pg_class WHERE oid = 'public." + table + "'::regclass")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** The heap page of each row, by id. */
    private static List<Integer> pages(SyncFixture f, String table, List<Long> ids) throws Exception {
        List<Integer> pages = new java.util.ArrayList<>();
        try (var c = f.connect(); var ps = c.prepareStatement("SELECT (ctid::text::point)[0]::int FROM public." + table + " WHERE id = ?")) {
            for (long id : ids) {
                ps.setLong(1, id);
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    pages.add(rs.getInt(1));
                }
            }
        }
        return pages;
    }

    @Test
    void vacuumedHistoryFallsBackToASnapshot(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        f.snapshotFraction = 100;
        DeltaTestTable table = f.createTable("vacuumed", SyncFixture.SIMPLE);
        table.append(SyncFixture.rows(0, 100, "a"));
        SyncedTableDefinition def = f.definition("vacuumed", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        f.syncer(def).sync(false);
        java.util.Set<java.nio.file.Path> before;
        try (var files = java.nio.file.Files.list(java.nio.file.Path.of(java.net.URI.create(table.path())))) {
            before = files.filter(p -> p.toString().endsWith(".parquet")).collect(java.util.stream.Collectors.toSet());
        }
        table.mutate(r -> (Long) r[0] == 5L, r -> null);
        for (java.nio.file.Path removed : before) {
            java.nio.file.Files.delete(removed); // what VACUUM does to files no live version needs
        }
        SyncOutcome outcome = f.syncer(def).sync(false);
        assertEquals(SyncOutcome.Mode.SNAPSHOT, outcome.mode());
        assertTrue(outcome.reason().contains("no longer exists"), outcome.reason());
        f.assertEqualsRecordedVersion(table, def);
    }

    @Test
    void snapshotPolicyReplacesTheTableEachRefresh(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        DeltaTestTable table = f.createTable("snap", SyncFixture.SIMPLE);
        table.append(SyncFixture.rows(0, 100, "a"));
        SyncedTableDefinition def = f.definition("snap", SchedulingPolicy.SNAPSHOT, List.of("id"), Optional.empty());
        SyncedTableSyncer syncer = f.syncer(def);
        assertEquals(SyncOutcome.Mode.SNAPSHOT, syncer.sync(false).mode());
        assertEquals(null, reloptions(f, "snap"), "a table only ever replaced whole is packed full");
        table.mutate(r -> (Long) r[0] < 10, r -> null);
        SyncOutcome second = syncer.sync(false);
        assertEquals(SyncOutcome.Mode.SNAPSHOT, second.mode());
        assertEquals(90, second.rowsApplied());
        f.assertEqualsRecordedVersion(table, def);
    }
}
