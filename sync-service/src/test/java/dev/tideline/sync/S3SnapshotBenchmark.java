package dev.tideline.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.S3Settings;
import dev.tideline.sync.delta.DeltaSource;
import dev.tideline.sync.engine.SyncOptions;
import dev.tideline.sync.engine.SyncOutcome;
import dev.tideline.sync.engine.SyncedTableSyncer;
import dev.tideline.sync.model.SchedulingPolicy;
import dev.tideline.sync.model.SyncFaults;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.testdelta.DeltaTestTable;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.S3Server;
import dev.tideline.testing.WithPostgres;
import dev.tideline.testing.WithS3;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Opt-in benchmark: a SNAPSHOT sync of N rows (default 1M, 10 files) from a local warehouse and from an
 * {@code s3://} one (S3Proxy on this machine) into the same Postgres, in one run:
 * <pre>
 * ./mvnw -B -o -pl sync-service -am verify -Dit.test=S3SnapshotBenchmark -Dtideline.benchmark=true -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false
 * </pre>
 * {@code -Dtideline.benchmark.s3-first=true} runs the S3 snapshot first (the first one also warms the JIT).
 */
@WithPostgres
@WithS3
class S3SnapshotBenchmark {

    @Test
    void snapshotFromLocalAndFromS3(PostgresServer pg, S3Server s3) throws Exception {
        assumeTrue(Boolean.getBoolean("tideline.benchmark"), "opt-in: -Dtideline.benchmark=true");
        int rows = Integer.getInteger("tideline.benchmark.rows", 1_000_000);
        String bucket = s3.warehouse("bench");
        List<SyncFixture> fixtures = new ArrayList<>(List.of(new SyncFixture(pg), new SyncFixture(pg, bucket, DeltaEngines.forWarehouse(bucket,
                EngineSettings.defaults(), S3Settings.compatible(s3.endpoint())))));
        if (Boolean.getBoolean("tideline.benchmark.s3-first")) {
            java.util.Collections.reverse(fixtures); // the first snapshot of the JVM also warms the JIT: swap to see the order's share
        }
        List<String> report = new ArrayList<>();
        for (SyncFixture f : fixtures) {
            DeltaTestTable table = f.createTable("bench", SyncFixture.SIMPLE);
            for (int i = 0; i < 10; i++) {
                table.append(SyncFixture.rows((long) i * rows / 10, (long) (i + 1) * rows / 10, "v"));
            }
            SyncedTableDefinition def = f.definition("bench", SchedulingPolicy.SNAPSHOT, List.of("id"), Optional.empty());
            SyncedTableSyncer syncer = new SyncedTableSyncer(def, f.target(), new DeltaSource(f.engine, def.sourceTablePath(),
                    def.sourceTableName()), new SyncOptions(4, 0.1), SyncFaults.NONE);
            long t0 = System.nanoTime();
            SyncOutcome outcome = syncer.sync(false);
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertEquals(rows, outcome.rowsApplied());
            report.add(String.format("  %-44s %,d rows in %.2f s = %,.0f rows/s", f.warehouseUri.startsWith("s3") ? "S3 (S3Proxy on 127.0.0.1)" : "local",
                    rows, seconds, rows / seconds));
        }
        System.out.printf("%nS3SnapshotBenchmark: SNAPSHOT sync into Postgres, 4 connections%n");
        report.forEach(System.out::println);
    }
}
