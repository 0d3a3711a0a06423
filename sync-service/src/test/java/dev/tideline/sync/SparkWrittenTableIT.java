package dev.tideline.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tideline.delta.TableLocations;
import dev.tideline.sync.delta.DeltaSource;
import dev.tideline.sync.engine.SyncOptions;
import dev.tideline.sync.engine.SyncOutcome;
import dev.tideline.sync.engine.SyncedTableSyncer;
import dev.tideline.sync.model.NullBytePolicy;
import dev.tideline.sync.model.SchedulingPolicy;
import dev.tideline.sync.model.SyncFaults;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.model.TargetTable;
import dev.tideline.sync.testdelta.DeltaTestTable;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tables written by Apache Spark + Delta Lake (golden tables of delta-io/delta): partitioned, deletion
 * vectors, a Parquet checkpoint, with and without column mapping. Its commits are released
 * into a live table directory one refresh at a time, as if Spark were writing it now; after each
 * TRIGGERED refresh Postgres must equal the table at that version (Kernel's own scan is the oracle).
 */
@WithPostgres
class SparkWrittenTableIT {

    @ParameterizedTest
    @ValueSource(strings = {"dv-partitioned-with-checkpoint", "dv-with-columnmapping"})
    void triggeredRefreshesFollowDeletionVectorsAcrossACheckpoint(String goldenTable, PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        Path golden = Path.of(SparkWrittenTableIT.class.getClassLoader().getResource("golden/" + goldenTable).toURI());
        DeltaTestTable oracle = DeltaTestTable.open(f.engine, TableLocations.normalizeWarehouse(golden.toString()));
        Path live = f.warehouse.resolve("spark/dv_table");
        copyDataFiles(golden, live);
        release(golden, live, 0);

        String path = TableLocations.normalizeWarehouse(live.toString());
        SyncedTableDefinition def = new SyncedTableDefinition("synced.public.dv_table", "spark.default.dv_table", path,
                new TargetTable(f.database, "public", "dv_table"), List.of("col1"), Optional.empty(), SchedulingPolicy.TRIGGERED,
                NullBytePolicy.FAIL, true);
        // every refresh here deletes 1 row of ~40: raise the 10% rule so the incremental path is what runs
        SyncedTableSyncer syncer = new SyncedTableSyncer(def, f.target(), new DeltaSource(f.engine, path, def.sourceTableName()),
                new SyncOptions(4, 100), SyncFaults.NONE);

        assertEquals(SyncOutcome.Mode.SNAPSHOT, syncer.sync(false).mode());
        assertEquals(SyncFixture.deltaRows(oracle, 0), f.postgresRows(def.target().quoted()));
        assertEquals(50, f.postgresRows(def.target().quoted()).size());

        int released = 0;
        for (int upTo : new int[] {1, 2, 3, 4, 5, 6, 7, 9, 12, 13, 15}) {
            for (int v = released + 1; v <= upTo; v++) {
                release(golden, live, v);
            }
            released = upTo;
            SyncOutcome outcome = syncer.sync(false);
            assertEquals(SyncOutcome.Mode.INCREMENTAL, outcome.mode(), "refresh to " + upTo + ": " + outcome.reason());
            assertEquals(upTo, outcome.toVersion());
            assertEquals(SyncFixture.deltaRows(oracle, upTo), f.postgresRows(def.target().quoted()), "at version " + upTo);
        }
        assertEquals(35, f.postgresRows(def.target().quoted()).size(), "15 single-row deletes of 50 rows");

        // a full refresh of the final state (snapshot with deletion vectors, from the checkpoint) gives the same rows
        assertEquals(SyncOutcome.Mode.SNAPSHOT, syncer.sync(true).mode());
        assertEquals(SyncFixture.deltaRows(oracle, 15), f.postgresRows(def.target().quoted()));
    }

    /** Parquet data files and deletion vector files: present before any commit names them, as with a real writer. */
    private static void copyDataFiles(Path golden, Path live) throws IOException {
        try (Stream<Path> files = Files.walk(golden)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path rel = golden.relativize(p);
                if (Files.isRegularFile(p) && !rel.startsWith("_delta_log")) {
                    Files.createDirectories(live.resolve(rel).getParent());
                    Files.copy(p, live.resolve(rel), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** Publishes commit {@code version} (and the checkpoint written with it). */
    private static void release(Path golden, Path live, int version) throws IOException {
        Path log = live.resolve("_delta_log");
        Files.createDirectories(log);
        String commit = String.format("%020d", version);
        Files.copy(golden.resolve("_delta_log").resolve(commit + ".json"), log.resolve(commit + ".json"));
        Path checkpoint = golden.resolve("_delta_log").resolve(commit + ".checkpoint.parquet");
        if (Files.exists(checkpoint)) {
            Files.copy(checkpoint, log.resolve(commit + ".checkpoint.parquet"));
            Files.copy(golden.resolve("_delta_log/_last_checkpoint"), log.resolve("_last_checkpoint"), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
