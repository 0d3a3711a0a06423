package dev.tideline.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.TidelineException;
import dev.tideline.sync.delta.DuplicateKeyException;
import dev.tideline.sync.engine.SyncOutcome;
import dev.tideline.sync.model.NullBytePolicy;
import dev.tideline.sync.model.SchedulingPolicy;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.testdelta.DeltaTestTable;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithPostgres;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The synced-table rules of seed 003, each with its error: null bytes, duplicate keys, timeseries keys, read-only, schema changes. */
@WithPostgres
class SyncedTableRulesIT {

    static final StructType NESTED = new StructType()
            .add("id", LongType.LONG, false)
            .add("name", StringType.STRING, true)
            .add("doc", new StructType().add("note", StringType.STRING, true), true);

    @Test
    void nullBytesFailNamingTableColumnAndKeyUnlessStripped(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        DeltaTestTable table = f.createTable("nul", NESTED);
        table.append(List.of(new Object[] {1L, "ok", new Object[] {"fine"}}, new Object[] {5L, "bad\0name", new Object[] {"x"}}));
        SyncedTableDefinition def = f.definition("nul", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        TidelineException top = assertThrows(TidelineException.class, () -> f.syncer(def).sync(false));
        assertTrue(top.getMessage().contains("column 'name'") && top.getMessage().contains(def.name())
                && top.getMessage().contains("(id)=(5)") && top.getMessage().contains("null byte"), top.getMessage());

        DeltaTestTable nested = f.createTable("nul_nested", NESTED);
        nested.append(List.<Object[]>of(new Object[] {9L, "ok", new Object[] {"in\0side"}}));
        SyncedTableDefinition nestedDef = f.definition("nul_nested", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        TidelineException inner = assertThrows(TidelineException.class, () -> f.syncer(nestedDef).sync(false));
        assertTrue(inner.getMessage().contains("column 'doc'") && inner.getMessage().contains("(id)=(9)"), inner.getMessage());

        SyncedTableDefinition strip = new SyncedTableDefinition(def.name(), def.sourceTableName(), def.sourceTablePath(), def.target(),
                def.primaryKey(), Optional.empty(), def.policy(), NullBytePolicy.STRIP, true);
        f.syncer(strip).sync(false);
        assertEquals(List.of("1|ok|{\"note\": \"fine\"}", "5|badname|{\"note\": \"x\"}"), f.postgresRows(def.target().quoted()));
    }

    @Test
    void duplicateKeysFailNamingTheKey(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        DeltaTestTable table = f.createTable("dups", SyncFixture.SIMPLE);
        table.append(List.of(new Object[] {7L, "a", 1}, new Object[] {8L, "b", 1}));
        table.append(List.<Object[]>of(new Object[] {7L, "again", 2}));
        SyncedTableDefinition def = f.definition("dups", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        DuplicateKeyException snapshot = assertThrows(DuplicateKeyException.class, () -> f.syncer(def).sync(false));
        assertTrue(snapshot.getMessage().contains("(id)=(7)") && snapshot.getMessage().contains("main.src.dups"), snapshot.getMessage());
        assertTrue(snapshot.hint().contains("timeseries_key"));

        // incremental: one version adding the same key twice
        DeltaTestTable inc = f.createTable("dups_inc", SyncFixture.SIMPLE);
        inc.append(SyncFixture.rows(0, 100, "r"));
        SyncedTableDefinition incDef = f.definition("dups_inc", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        f.syncer(incDef).sync(false);
        inc.append(List.of(new Object[] {500L, "x", 1}, new Object[] {500L, "y", 2}));
        DuplicateKeyException refresh = assertThrows(DuplicateKeyException.class, () -> f.syncer(incDef).sync(false));
        assertTrue(refresh.getMessage().contains("(id)=(500)"), refresh.getMessage());
        f.assertEqualsRecordedVersion(inc, incDef);
    }

    @Test
    void aNewRowDuplicatingAKeyInAnUntouchedFileFailsTheRefreshNamingTheKey(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        f.snapshotFraction = 100; // keep every refresh incremental on this small table
        DeltaTestTable table = f.createTable("dups_untouched", SyncFixture.SIMPLE);
        table.append(SyncFixture.rows(0, 100, "r"));
        SyncedTableDefinition def = f.definition("dups_untouched", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        f.syncer(def).sync(false);

        // keys that come back after a delete, and keys inserted then updated, are no duplicates
        table.mutate(r -> (Long) r[0] == 42L, r -> null);
        table.append(List.<Object[]>of(new Object[] {42L, "back", 1}, new Object[] {600L, "new", 1}));
        table.mutate(r -> (Long) r[0] == 600L, r -> new Object[] {600L, "updated", 2});
        SyncOutcome outcome = f.syncer(def).sync(false);
        assertEquals(SyncOutcome.Mode.INCREMENTAL, outcome.mode(), outcome.reason());
        f.assertEqualsRecordedVersion(table, def);

        // a new file adds key 7, which a file no version touched still holds: two rows with key 7
        long before = table.version();
        table.append(List.<Object[]>of(new Object[] {700L, "fine", 1}, new Object[] {7L, "duplicate", 1}));
        DuplicateKeyException e = assertThrows(DuplicateKeyException.class, () -> f.syncer(def).sync(false));
        assertTrue(e.getMessage().contains("(id)=(7)") && e.getMessage().contains("main.src.dups_untouched"), e.getMessage());
        assertTrue(e.hint().contains("timeseries_key"), e.hint());
        assertEquals(before, f.syncer(def).syncedState().orElseThrow().deltaVersion(), "nothing of the failed refresh is committed");

        // the same across two versions: the key first rewritten unchanged (copy-on-write of a neighbour), then added again
        DeltaTestTable cow = f.createTable("dups_cow", SyncFixture.SIMPLE);
        cow.append(SyncFixture.rows(0, 10, "r"));
        SyncedTableDefinition cowDef = f.definition("dups_cow", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        f.syncer(cowDef).sync(false);
        cow.mutate(r -> (Long) r[0] == 3L, r -> new Object[] {3L, "changed", 3});
        cow.append(List.<Object[]>of(new Object[] {4L, "again", 4}));
        DuplicateKeyException twoVersions = assertThrows(DuplicateKeyException.class, () -> f.syncer(cowDef).sync(false));
        assertTrue(twoVersions.getMessage().contains("(id)=(4)"), twoVersions.getMessage());
    }

    @Test
    void viewsOnASyncedTableSurviveSnapshotSwapsButMaterializedViewsStopThemNamingThem(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        DeltaTestTable table = f.createTable("viewed", SyncFixture.SIMPLE);
        table.append(SyncFixture.rows(0, 50, "r"));
        SyncedTableDefinition def = f.definition("viewed", SchedulingPolicy.SNAPSHOT, List.of("id"), Optional.empty());
        f.syncer(def).sync(false);
        String t = def.target().quoted();
        try (Connection c = f.connect(); Statement s = c.createStatement()) {
            s.execute("DROP ROLE IF EXISTS reader_views");
            s.execute("CREATE ROLE reader_views");
            s.execute("CREATE VIEW public.small_ids WITH (security_barrier) AS SELECT id, name FROM " + t + " WHERE id < 10");
            s.execute("CREATE VIEW public.small_count AS SELECT count(*) AS n FROM public.small_ids");
            s.execute("GRANT SELECT ON public.small_count TO reader_views");
        }

        table.mutate(r -> (Long) r[0] == 3L, r -> null);
        table.append(SyncFixture.rows(50, 60, "s"));
        assertEquals(SyncOutcome.Mode.SNAPSHOT, f.syncer(def).sync(false).mode());
        f.assertEqualsRecordedVersion(table, def);
        try (Connection c = f.connect(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT n FROM public.small_count")) {
                rs.next();
                assertEquals(9, rs.getLong(1), "the views read the new table");
            }
            try (ResultSet rs = s.executeQuery("SELECT has_table_privilege('reader_views', 'public.small_count', 'SELECT'), "
                    + "(SELECT reloptions::text FROM pg_class WHERE oid = 'public.small_ids'::regclass)")) {
                rs.next();
                assertTrue(rs.getBoolean(1), "view grants survive the swap");
                assertEquals("{security_barrier=true}", rs.getString(2));
            }
            s.execute("CREATE MATERIALIZED VIEW public.frozen AS SELECT * FROM " + t);
        }
        long synced = f.syncer(def).syncedState().orElseThrow().deltaVersion();
        table.append(SyncFixture.rows(60, 70, "u"));
        TidelineException e = assertThrows(TidelineException.class, () -> f.syncer(def).sync(false));
        assertTrue(e.getMessage().contains("public.frozen") && e.getMessage().contains("materialized"), e.getMessage());
        assertTrue(e.hint().contains("DROP MATERIALIZED VIEW public.frozen"), e.hint());
        assertEquals(synced, f.syncer(def).syncedState().orElseThrow().deltaVersion(), "the old table stays in place");
        try (Connection c = f.connect(); Statement s = c.createStatement()) {
            s.execute("DROP MATERIALIZED VIEW public.frozen");
        }
        f.syncer(def).sync(false);
        f.assertEqualsRecordedVersion(table, def);
    }

    @Test
    void anUpdatedRowMissingFromPostgresIsWrittenAgain(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        f.snapshotFraction = 100;
        DeltaTestTable table = f.createTable("missing", SyncFixture.SIMPLE);
        table.append(SyncFixture.rows(0, 20, "r"));
        SyncedTableDefinition def = f.definition("missing", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        f.syncer(def).sync(false);
        try (Connection c = f.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("SET LOCAL tideline.sync_writer = 'on'"); // deliberately past the read-only guard
            s.execute("DELETE FROM " + def.target().quoted() + " WHERE id = 5");
            c.commit();
        }
        table.mutate(r -> (Long) r[0] == 5L || (Long) r[0] == 6L, r -> new Object[] {r[0], "updated", 0});
        SyncOutcome outcome = f.syncer(def).sync(false);
        assertEquals(SyncOutcome.Mode.INCREMENTAL, outcome.mode(), outcome.reason());
        f.assertEqualsRecordedVersion(table, def);
    }

    @Test
    void aNullPrimaryKeyFailsTheSnapshotNamingTheKeyColumns(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        StructType schema = new StructType().add("id", LongType.LONG, true).add("name", StringType.STRING, true);
        DeltaTestTable table = f.createTable("null_key", schema);
        table.append(List.of(new Object[] {1L, "a"}, new Object[] {null, "no key"}));
        SyncedTableDefinition def = f.definition("null_key", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        TidelineException e = assertThrows(TidelineException.class, () -> f.syncer(def).sync(false));
        assertEquals(TidelineException.Kind.NEEDS_OPERATOR, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("primary key (id) is NULL") && e.getMessage().contains("main.src.null_key"), e.getMessage());
    }

    @Test
    void timeseriesKeyKeepsTheLatestRowPerKey(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        f.snapshotFraction = 100; // exercise the incremental path on a tiny table
        StructType schema = new StructType().add("id", LongType.LONG, false).add("ts", LongType.LONG, true).add("v", StringType.STRING, true);
        DeltaTestTable table = f.createTable("ts", schema);
        table.append(List.of(new Object[] {1L, 10L, "old"}, new Object[] {1L, 20L, "new"}, new Object[] {2L, 5L, "only"}));
        SyncedTableDefinition def = f.definition("ts", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.of("ts"));
        f.syncer(def).sync(false);
        assertEquals(List.of("1|20|new", "2|5|only"), f.postgresRows(def.target().quoted()));

        table.append(List.of(new Object[] {1L, 15L, "stale"}, new Object[] {2L, 6L, "newer"}));
        assertEquals(SyncOutcome.Mode.INCREMENTAL, f.syncer(def).sync(false).mode());
        assertEquals(List.of("1|20|new", "2|6|newer"), f.postgresRows(def.target().quoted()));

        // deleting the latest row of key 1 must surface the next-latest one: only a snapshot knows it
        table.mutate(r -> "new".equals(r[2]), r -> null);
        SyncOutcome outcome = f.syncer(def).sync(false);
        assertEquals(SyncOutcome.Mode.SNAPSHOT, outcome.mode(), outcome.reason());
        assertEquals(List.of("1|15|stale", "2|6|newer"), f.postgresRows(def.target().quoted()));
    }

    @Test
    void syncedTablesAreReadOnlyButIndexesGrantsAndDropAreAllowed(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        DeltaTestTable table = f.createTable("ro", SyncFixture.SIMPLE);
        table.append(SyncFixture.rows(0, 50, "r"));
        SyncedTableDefinition def = f.definition("ro", SchedulingPolicy.SNAPSHOT, List.of("id"), Optional.empty());
        f.syncer(def).sync(false);
        String t = def.target().quoted();
        try (Connection c = f.connect(); Statement s = c.createStatement()) {
            s.execute("DROP ROLE IF EXISTS reader_ro");
            s.execute("CREATE ROLE reader_ro LOGIN PASSWORD 'pw'");
            s.execute("GRANT USAGE ON SCHEMA public TO reader_ro");
            s.execute("GRANT SELECT ON " + t + " TO reader_ro");
            // users may create indexes; the sync must keep them
            s.execute("CREATE INDEX ro_name_idx ON " + t + " (name)");
            for (String write : List.of("INSERT INTO " + t + " VALUES (999, 'x', 1)", "UPDATE " + t + " SET amount = 0",
                    "DELETE FROM " + t, "TRUNCATE " + t)) {
                SQLException e = assertThrows(SQLException.class, () -> s.execute(write), write);
                assertTrue(e.getMessage().contains("read-only"), e.getMessage());
                assertEquals("42501", e.getSQLState());
            }
        }
        Properties reader = new Properties();
        reader.setProperty("user", "reader_ro");
        reader.setProperty("password", "pw");
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(f.database), reader); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + t)) {
                rs.next();
                assertEquals(50, rs.getLong(1));
            }
            SQLException denied = assertThrows(SQLException.class, () -> s.execute("INSERT INTO " + t + " VALUES (1000, 'x', 1)"));
            assertEquals("42501", denied.getSQLState(), denied.getMessage());
        }

        table.append(SyncFixture.rows(50, 60, "s"));
        assertEquals(SyncOutcome.Mode.SNAPSHOT, f.syncer(def).sync(false).mode());
        try (Connection c = f.connect(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'ro' ORDER BY 1")) {
                assertTrue(rs.next());
                assertEquals("ro_name_idx", rs.getString(1));
                assertTrue(rs.next());
                assertEquals("ro_pkey", rs.getString(1));
            }
            try (ResultSet rs = s.executeQuery("SELECT has_table_privilege('reader_ro', '" + t + "', 'SELECT')")) {
                rs.next();
                assertTrue(rs.getBoolean(1), "grants survive the snapshot swap");
            }
            // users may drop the table; the next sync recreates it from a snapshot
            s.execute("DROP TABLE " + t);
        }
        SyncOutcome recreated = f.syncer(def).sync(false);
        assertEquals(SyncOutcome.Mode.SNAPSHOT, recreated.mode());
        f.assertEqualsRecordedVersion(table, def);
    }

    @Test
    void additiveSchemaChangesPropagate(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        f.snapshotFraction = 100;
        DeltaTestTable table = f.createTable("evolve", SyncFixture.SIMPLE);
        table.append(SyncFixture.rows(0, 20, "r"));
        SyncedTableDefinition def = f.definition("evolve", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        f.syncer(def).sync(false);
        DeltaTestTable evolved = table.addColumnsByHand(SyncFixture.SIMPLE.add("extra", StringType.STRING, true));
        evolved.append(List.<Object[]>of(new Object[] {100L, "n", 1, "more"}));
        assertEquals(SyncOutcome.Mode.INCREMENTAL, f.syncer(def).sync(false).mode());
        f.assertEqualsRecordedVersion(evolved, def);
        try (Connection c = f.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FILTER (WHERE extra IS NULL), count(extra) FROM public.evolve")) {
            rs.next();
            assertEquals(20, rs.getLong(1), "old rows have no value for the new column");
            assertEquals(1, rs.getLong(2));
        }
    }

    @Test
    void anExistingTableThatIsNotSyncedIsNeverOverwritten(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        DeltaTestTable table = f.createTable("mine", SyncFixture.SIMPLE);
        table.append(SyncFixture.rows(0, 5, "r"));
        SyncedTableDefinition def = f.definition("mine", SchedulingPolicy.SNAPSHOT, List.of("id"), Optional.empty());
        f.target().ensureDatabase(true);
        try (Connection c = f.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE public.mine (x int)");
        }
        TidelineException e = assertThrows(TidelineException.class, () -> f.syncer(def).sync(false));
        assertTrue(e.getMessage().contains("already exists and is not a synced table"), e.getMessage());
    }
}
