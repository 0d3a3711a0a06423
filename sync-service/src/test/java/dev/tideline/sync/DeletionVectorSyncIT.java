package dev.tideline.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tideline.sync.delta.ChangePlan;
import dev.tideline.sync.delta.DeltaChangeReader;
import dev.tideline.sync.delta.DeltaSource;
import dev.tideline.sync.delta.RowChanges;
import dev.tideline.sync.engine.SyncOutcome;
import dev.tideline.sync.engine.SyncedTableSyncer;
import dev.tideline.sync.model.NullBytePolicy;
import dev.tideline.sync.model.SchedulingPolicy;
import dev.tideline.sync.model.SyncFaults;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.model.TargetTable;
import dev.tideline.sync.testdelta.DeltaTestTable;
import dev.tideline.sync.types.CopyRowEncoder;
import dev.tideline.sync.types.PostgresTypeMapping;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Tables whose updates and deletes are deletion-vector rewrites ({@code remove(path, oldDV)} +
 * {@code add(path, newDV)} of the same file, plus a new file with the new row versions), as
 * apply-service and Spark/Databricks write them. TRIGGERED refreshes must make Postgres equal to
 * the table at every version, and read only the keys of the newly deleted positions of a rewritten
 * file, never the file itself.
 */
@WithPostgres
class DeletionVectorSyncIT {

    private static final Map<String, String> DV_TABLE = Map.of("delta.checkpointInterval", "3", "delta.enableDeletionVectors", "true");

    private static DeltaTestTable dvTable(SyncFixture f, String name) {
        DeltaTestTable table = DeltaTestTable.create(f.engine, f.tablePath(name), SyncFixture.SIMPLE, DV_TABLE);
        table.append(SyncFixture.rows(0, 300, "a"));   // file A: ids 0..299
        table.append(SyncFixture.rows(300, 600, "b")); // file B: ids 300..599
        return table;
    }

    @Test
    void triggeredRefreshesEqualTheTableAtEveryDeletionVectorVersion(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        f.snapshotFraction = 0.5; // the row rule stays on; the changes below are far below it
        DeltaTestTable table = dvTable(f, "dv_steps");
        SyncedTableDefinition eachVersion = f.definition("dv_steps", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        SyncedTableSyncer syncer = f.syncer(eachVersion);
        assertEquals(SyncOutcome.Mode.SNAPSHOT, syncer.sync(false).mode());
        f.assertEqualsRecordedVersion(table, eachVersion);
        SyncedTableDefinition atOnceDef = new SyncedTableDefinition("synced.public.dv_once", eachVersion.sourceTableName(),
                eachVersion.sourceTablePath(), new TargetTable(f.database, "public", "dv_once"), List.of("id"), Optional.empty(),
                SchedulingPolicy.TRIGGERED, NullBytePolicy.FAIL, true);
        SyncedTableSyncer atOnce = f.syncer(atOnceDef);
        assertEquals(SyncOutcome.Mode.SNAPSHOT, atOnce.sync(false).mode());

        // each step: one commit, then a refresh to it that must be incremental and exact
        List<Runnable> steps = List.of(
                // updates of two rows of file A: DV {10, 20} on A, new file with the new versions
                () -> table.mutateWithDeletionVectors(r -> (Long) r[0] == 10L || (Long) r[0] == 20L, r -> new Object[] {r[0], "u1", 1}),
                // a delete from file A: its vector grows to {10, 20, 30}
                () -> table.mutateWithDeletionVectors(r -> (Long) r[0] == 30L, r -> null),
                // deletes in file B and an update in A in one commit (two rewrites, one DV file)
                () -> table.mutateWithDeletionVectors(r -> (Long) r[0] == 400L || (Long) r[0] == 401L || (Long) r[0] == 50L,
                        r -> (Long) r[0] == 50L ? new Object[] {r[0], "u2", 2} : null),
                // the deleted key 30 comes back in a plain append
                () -> table.append(List.<Object[]>of(new Object[] {30L, "again", 3})),
                // a row updated twice: 10 now lives in the file written by the first step, which gets its own vector
                () -> table.mutateWithDeletionVectors(r -> (Long) r[0] == 10L, r -> new Object[] {r[0], "u3", 4}),
                // file A's vector grows a third time; the update writes identical values (still an update)
                () -> table.mutateWithDeletionVectors(r -> (Long) r[0] == 60L, r -> r),
                // a vector that shrinks (401 restored): not a superset, read whole
                () -> table.undeleteWithDeletionVectors(r -> (Long) r[0] == 401L),
                // copy-on-write of a file with a vector: different paths, read whole
                () -> table.mutate(r -> (Long) r[0] == 500L, r -> null));
        for (Runnable step : steps) {
            step.run();
            SyncOutcome outcome = syncer.sync(false);
            assertEquals(SyncOutcome.Mode.INCREMENTAL, outcome.mode(), outcome.reason());
            assertEquals(table.version(), outcome.toVersion());
            f.assertEqualsRecordedVersion(table, eachVersion);
        }

        // the same history folded into one refresh, into a second target table snapshotted before it
        SyncOutcome folded = atOnce.sync(false);
        assertEquals(SyncOutcome.Mode.INCREMENTAL, folded.mode(), folded.reason());
        f.assertEqualsRecordedVersion(table, atOnceDef);
    }

    @Test
    void aDeletionVectorRewriteReadsOnlyTheKeysOfNewlyDeletedRows(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        DeltaTestTable table = dvTable(f, "dv_count");
        long start = table.version();
        table.mutateWithDeletionVectors(r -> (Long) r[0] == 10L || (Long) r[0] == 20L, r -> new Object[] {r[0], "u", 1});
        table.mutateWithDeletionVectors(r -> (Long) r[0] == 30L || (Long) r[0] == 310L, r -> null);
        SyncedTableDefinition def = f.definition("dv_count", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        DeltaSource source = new DeltaSource(f.engine, def.sourceTablePath(), def.sourceTableName());
        DeltaChangeReader reader = new DeltaChangeReader(source);
        ChangePlan plan = reader.plan(start, source.latest());
        CopyRowEncoder encoder = new CopyRowEncoder(def.name(), PostgresTypeMapping.map("t", SyncFixture.SIMPLE), List.of("id"), null,
                NullBytePolicy.FAIL);
        RowChanges changes = reader.read(plan, encoder, false);
        // version 1: keys 10, 20 from file A's rewrite + 2 rows of the new file; version 2: keys 30 and 310.
        // Reading the rewritten files whole would be 300 + 298 rows for the first version alone.
        assertEquals(6, changes.rowsRead());
        assertEquals(2, changes.updates().size());
        assertEquals(2, changes.deletes().size());
        // the 10% rule counts only the new file's bytes, not the two rewritten files
        long newFileBytes = plan.versions().get(0).added().stream().filter(a -> a.deletionVector() == null).mapToLong(ChangePlan.FileAction::size)
                .sum();
        assertEquals(newFileBytes, plan.bytesToRead());
    }

    @Test
    void postgresKilledMidRefreshOfDeletionVectorChangesCatchesUp(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        DeltaTestTable table = dvTable(f, "dv_kill");
        SyncedTableDefinition def = f.definition("dv_kill", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        f.syncer(def).sync(false);
        long recorded = f.syncedVersion(def.name());
        table.mutateWithDeletionVectors(r -> (Long) r[0] % 50 == 7, r -> (Long) r[0] % 100 == 7 ? null : new Object[] {r[0], "k", 5});
        table.mutateWithDeletionVectors(r -> (Long) r[0] % 50 == 8, r -> null);

        AtomicBoolean fired = new AtomicBoolean();
        var killing = f.syncer(def, p -> {
            if (p.equals(SyncFaults.REFRESH_BEFORE_COMMIT) && fired.compareAndSet(false, true)) {
                pg.kill();
            }
        });
        assertThrows(RuntimeException.class, () -> killing.sync(false));
        pg.start();
        assertEquals(recorded, f.syncedVersion(def.name()));
        f.assertEqualsRecordedVersion(table, def);

        SyncOutcome outcome = f.syncer(def).sync(false);
        assertEquals(SyncOutcome.Mode.INCREMENTAL, outcome.mode(), outcome.reason());
        assertEquals(table.version(), f.syncedVersion(def.name()));
        f.assertEqualsRecordedVersion(table, def);
    }

    /** Guards the test helper itself: its commits really are same-path rewrites with vectors in a DV file. */
    @Test
    void theHelperWritesSamePathRewritesWithDeletionVectorFiles(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        DeltaTestTable table = dvTable(f, "dv_shape");
        long v = table.mutateWithDeletionVectors(r -> (Long) r[0] == 1L, r -> null);
        Path root = Path.of(java.net.URI.create(table.path()));
        String log = Files.readString(root.resolve("_delta_log").resolve(String.format("%020d.json", v)));
        assertEquals(1, count(log, "\"remove\""), log);
        assertEquals(1, count(log, "\"add\""), log);
        assertEquals(1, count(log, "\"storageType\":\"u\""), log);
        try (var files = Files.list(root)) {
            assertEquals(1, files.filter(p -> p.getFileName().toString().startsWith("deletion_vector_")).count());
        }
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
