package dev.tideline.sync;

import java.time.Duration;
import dev.tideline.testing.SparkSql;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.S3Settings;
import dev.tideline.sync.engine.SyncOutcome;
import dev.tideline.sync.engine.SyncedTableSyncer;
import dev.tideline.sync.model.SchedulingPolicy;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.testdelta.DeltaTestTable;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.S3Server;
import dev.tideline.testing.WithPostgres;
import dev.tideline.testing.WithS3;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Apache Spark 3.5 + Delta Lake 3.3 write a Delta table with deletion vectors into a bucket on a real S3 server
 * (S3Proxy, through Hadoop's {@code s3a://}), and sync-service reads it from {@code s3://} into a real Postgres: the
 * snapshot, then an incremental refresh of Spark's UPDATE (to NULLs), DELETE (deletion vectors) and INSERT. Postgres
 * equals Spark's own read of the table, and Kernel's, each time.
 *
 * <p>Spark runs as a child JVM ({@code spark-interop/spark-sql.sh}) with the S3 server's environment. Opt-in (Spark
 * is large), like apply-service's Spark cross-checks:
 * <pre>./mvnw -B -f spark-interop/spark-sql/pom.xml package
 *./mvnw -B -pl sync-service -am verify -Pspark -Dtest=NoSuch -Dsurefire.failIfNoSpecifiedTests=false \
 *    -Dit.test=SparkWritesS3TableIT -Dfailsafe.failIfNoSpecifiedTests=false</pre>
 * The class is disabled without {@code tideline.spark=true} (set by {@code -Pspark}), so the default build starts no
 * server for it.
 */
@EnabledIfSystemProperty(named = "tideline.spark", matches = "true")
@WithPostgres
@WithS3
class SparkWritesS3TableIT {

    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void syncReadsASparkTableFromABucket(PostgresServer pg, S3Server s3) throws Exception {
        assertTrue(Files.isRegularFile(SparkSql.CLASSPATH), "build the Spark runner first: ./mvnw -B -f spark-interop/spark-sql/pom.xml package");
        String warehouse = s3.warehouse("sync");
        SyncFixture f = new SyncFixture(pg, warehouse, DeltaEngines.forWarehouse(warehouse, EngineSettings.defaults(),
                S3Settings.compatible(s3.endpoint())));
        f.snapshotFraction = 1.0; // a few rows of 200 change: the refresh must be the incremental path
        String path = f.tablePath("orders");
        assertTrue(path.startsWith("s3://"), path);
        String s3a = "s3a://" + path.substring("s3://".length());
        String rows = "SELECT concat_ws('|', id, coalesce(name, 'null'), coalesce(CAST(qty AS STRING), 'null')) AS r FROM delta.`"
                + s3a + "`";

        List<List<String>> first = sparkSql(s3, List.of(
                "CREATE TABLE delta.`" + s3a + "` (id BIGINT, name STRING, qty INT) USING delta "
                        + "TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')",
                "INSERT INTO delta.`" + s3a + "` SELECT id, concat('n', id), CAST(id % 100 AS INT) FROM range(0, 200)",
                rows));
        SyncedTableDefinition def = f.definition("orders", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        SyncedTableSyncer syncer = f.syncer(def);
        SyncOutcome snapshot = syncer.sync(false);
        assertEquals(SyncOutcome.Mode.SNAPSHOT, snapshot.mode());
        assertEquals(200, snapshot.rowsApplied());
        assertEquals(sorted(text(first.get(2))), f.postgresRows(def.target().quoted()), "Postgres equals Spark's read at version 1");

        List<List<String>> second = sparkSql(s3, List.of(
                "UPDATE delta.`" + s3a + "` SET name = concat('u', id), qty = NULL WHERE id % 10 = 3",
                "DELETE FROM delta.`" + s3a + "` WHERE id < 20 OR id = 150",
                "INSERT INTO delta.`" + s3a + "` VALUES (1000, 'late', 1), (1001, NULL, NULL)",
                rows,
                "DESCRIBE DETAIL delta.`" + s3a + "`"));
        assertTrue(second.get(4).get(0).contains("deletionVectors"), second.get(4).toString());
        Path log = s3.bucketDirectory(S3Server.BUCKET).resolve("sync/main/src/orders/_delta_log");
        assertTrue(logMentions(log, "\"deletionVector\":{"), "Spark wrote deletion vectors into the bucket");

        SyncOutcome refresh = syncer.sync(false);
        assertEquals(SyncOutcome.Mode.INCREMENTAL, refresh.mode(), refresh.reason());
        assertEquals(4, refresh.toVersion(), "create + insert, update, delete, insert");
        List<String> expected = sorted(text(second.get(3)));
        assertEquals(200 - 21 + 2, expected.size());
        assertEquals(expected, f.postgresRows(def.target().quoted()), "Postgres equals Spark's read at version 4");
        f.assertEqualsRecordedVersion(DeltaTestTable.open(f.engine, path), def);
        assertEquals(SyncOutcome.Mode.NONE, syncer.sync(false).mode());
    }

    static boolean logMentions(Path log, String text) throws IOException {
        try (Stream<Path> files = Files.list(log)) {
            for (Path file : files.filter(p -> p.getFileName().toString().endsWith(".json")).toList()) {
                if (Files.readString(file).contains(text)) {
                    return true;
                }
            }
        }
        return false;
    }

    static List<String> text(List<String> jsonLines) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : jsonLines) {
            out.add(JSON.readTree(line).get("r").asText());
        }
        return out;
    }

    static List<String> sorted(List<String> rows) {
        List<String> out = new ArrayList<>(rows);
        out.sort(Comparator.naturalOrder());
        return out;
    }

    /** Runs statements in {@code spark-sql.sh} with the S3 server's environment; each statement's JSON result lines. */
    static List<List<String>> sparkSql(S3Server s3, List<String> statements) throws IOException, InterruptedException {
        return SparkSql.run(statements, s3.environment(), Duration.ofMinutes(10));
    }
}
