package dev.tideline.apply.delta;

import java.util.Map;
import java.time.Duration;
import dev.tideline.testing.SparkSql;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tideline.apply.stream.ApplySettings;
import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.PgType;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import dev.tideline.delta.CloseableIterators;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.TableLocations;
import dev.tideline.delta.kernel.AddedFile;
import dev.tideline.delta.kernel.DeletionVectorRef;
import dev.tideline.delta.kernel.KernelInternals;
import io.delta.kernel.Scan;
import io.delta.kernel.Snapshot;
import io.delta.kernel.TableManager;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.engine.FileReadResult;
import io.delta.kernel.types.BinaryType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.DataFileStatus;
import io.delta.kernel.utils.FileStatus;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Opt-in benchmark of issue 17's ten-million-row target: random-key updates into a 10M-row table, next to
 * Spark + Delta {@code MERGE} of the same updates in the same run, and reads of the table after 1,000 small
 * update commits (lines starting with {@code BENCHMARK}):
 * <pre>
 * ./mvnw -B -o -f spark-interop/spark-sql/pom.xml package -DskipTests      # once: Spark's classpath
 * ./mvnw -B -o -pl apply-service -am test -Dtest=DeletionVectorScaleBenchmark -Dtideline.benchmark=true \
 *     -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * Options: {@code -Dtideline.benchmark.rows} (10,000,000), {@code .updates} (200,000), {@code .update-batches} (4: the
 * updates as apply commits them, 50,000 rows a commit), {@code .small-commits} (1,000), {@code .small-rows} (100 updates
 * a small commit), {@code .spark=false} (leave Spark out).
 *
 * <ol>
 *   <li>A {@code pgbench_accounts}-shaped table of N rows loaded by the writer's full-refresh path (as an initial
 *       snapshot is), in batches of 500,000 rows.</li>
 *   <li>The updates, {@code update-batches} commits of distinct random keys each, applied by
 *       {@link DeltaTableWriter#apply}; then Spark (local[1], {@code spark-interop/spark-sql.sh}) copies the table as it
 *       was before the updates into a table of its own with {@code delta.enableDeletionVectors=true} and runs one
 *       {@code MERGE INTO … WHEN MATCHED THEN UPDATE SET *} per batch over the same rows, timed between two
 *       {@code current_timestamp()} queries in its session. Both tables must end with the same checksum.</li>
 *   <li>{@code small-commits} commits of {@code small-rows} random-key updates, compaction checked every
 *       {@link ApplySettings#compactEvery()} commits as the applier does; at 0, ¼, ½, ¾ and all of them: a full scan of
 *       the table through Kernel as sync-service reads it (deletion vectors applied, strings as bytes), with the table's
 *       files, deletion vectors and deleted rows; at the end Spark scans the same versions ({@code VERSION AS OF}). Each
 *       read runs twice and the faster counts (the machine is shared).</li>
 * </ol>
 * The data lives under {@code target/dv-scale-benchmark} and is deleted at the end.
 */
class DeletionVectorScaleBenchmark {

    static final TableId T = TableId.of("public", "pgbench_accounts");
    static final RelationSchema S = new RelationSchema(1, T, ReplicaIdentity.DEFAULT, List.of(
            new ColumnSchema("aid", PgType.INT8, -1, true), new ColumnSchema("bid", PgType.INT4, -1, false),
            new ColumnSchema("abalance", PgType.INT4, -1, false), new ColumnSchema("filler", PgType.TEXT, -1, false)));
    /** The updates, for Spark's MERGE source: one row per (batch, aid). */
    static final RelationSchema U = new RelationSchema(2, TableId.of("public", "updates"), ReplicaIdentity.DEFAULT, List.of(
            new ColumnSchema("batch", PgType.INT4, -1, true), new ColumnSchema("aid", PgType.INT8, -1, true),
            new ColumnSchema("bid", PgType.INT4, -1, false), new ColumnSchema("abalance", PgType.INT4, -1, false),
            new ColumnSchema("filler", PgType.TEXT, -1, false)));
    static final String FILLER = " ".repeat(84);
    static final ObjectMapper JSON = new ObjectMapper();
    static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    final Random random = new Random(17);
    long lsn = 0x1000;

    @Test
    void tenMillionRows() throws Exception {
        assumeTrue(Boolean.getBoolean("tideline.benchmark"), "opt-in: -Dtideline.benchmark=true");
        int n = Integer.getInteger("tideline.benchmark.rows", 10_000_000);
        int updates = Integer.getInteger("tideline.benchmark.updates", 200_000);
        int batches = Integer.getInteger("tideline.benchmark.update-batches", 4);
        int smallCommits = Integer.getInteger("tideline.benchmark.small-commits", 1000);
        int smallRows = Integer.getInteger("tideline.benchmark.small-rows", 100);
        boolean spark = Boolean.parseBoolean(System.getProperty("tideline.benchmark.spark", "true"));
        assertTrue(!spark || Files.exists(SparkSql.CLASSPATH), "no " + SparkSql.CLASSPATH
                + ": build it first (./mvnw -B -o -f spark-interop/spark-sql/pom.xml package -DskipTests), or -Dtideline.benchmark.spark=false");
        Path dir = Path.of("target", "dv-scale-benchmark").toAbsolutePath();
        deleteRecursively(dir);
        Files.createDirectories(dir);
        String load = loadAverage();
        try {
            run(dir, n, updates, batches, smallCommits, smallRows, spark, load);
        } finally {
            deleteRecursively(dir);
        }
    }

    private void run(Path dir, int n, int updates, int batches, int smallCommits, int smallRows, boolean spark, String loadBefore)
            throws Exception {
        Engine engine = DeltaEngines.forWarehouse(dir.toString(), EngineSettings.defaults());
        String ours = TableLocations.of(dir.toString(), "main", "bench", "accounts");
        DeltaTableWriter writer = DeltaTableWriter.open(engine, ours, "bench/accounts", T, WriterSettings.DEFAULT);
        TableLayout layout = TableLayout.create(S, List.of(), ScdType.SCD_TYPE_1);

        // 1. The table, as an initial snapshot loads it.
        long start = System.nanoTime();
        DeltaTableWriter.Replacement replacement = writer.replace(layout, "bench", Lsn.of(lsn));
        List<DataFileStatus> files = new ArrayList<>();
        for (int from = 0; from < n; from += 500_000) {
            List<Object[]> rows = new ArrayList<>();
            for (long aid = from + 1; aid <= Math.min(n, from + 500_000); aid++) {
                rows.add(new Object[] {aid, (int) ((aid - 1) / 100_000 + 1), 0, FILLER});
            }
            files.addAll(replacement.write(rows));
        }
        replacement.commit(files, n);
        double loadRate = n / seconds(start);
        long loaded = writer.version();
        System.out.printf("BENCHMARK dv10m.load rows=%d rows_per_s=%.0f files=%d%n", n, loadRate, writer.fileCount());

        // 2. Random-key updates, as apply commits them; the same rows for Spark.
        List<List<Object[]>> updateBatches = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            Set<Long> keys = new LinkedHashSet<>(); // distinct within a batch: MERGE refuses two source rows for one target row
            while (keys.size() < updates / batches) {
                keys.add(1L + random.nextInt(n));
            }
            List<Object[]> rows = new ArrayList<>();
            for (long aid : keys) {
                rows.add(new Object[] {aid, (int) ((aid - 1) / 100_000 + 1), random.nextInt(2_000_001) - 1_000_000, FILLER});
            }
            updateBatches.add(rows);
        }
        start = System.nanoTime();
        List<String> perCommit = new ArrayList<>();
        int revectored = 0;
        for (List<Object[]> rows : updateBatches) {
            long c = System.nanoTime();
            CommitOutcome outcome = writer.apply(writer.layout(), upserts(writer, rows), Lsn.of(lsn += 16)).orElseThrow();
            revectored += outcome.filesRemoved();
            perCommit.add(String.valueOf((System.nanoTime() - c) / 1_000_000));
        }
        double oursRate = updates / seconds(start);
        System.out.printf("BENCHMARK dv10m.updates rows=%d commits=%d rows_per_s=%.0f commit_ms=%s files_revectored=%d files=%d%n",
                updates, batches, oursRate, String.join(",", perCommit), revectored, writer.fileCount());
        String updatesTable = null;
        if (spark) {
            updatesTable = TableLocations.of(dir.toString(), "main", "bench", "updates");
            DeltaTableWriter u = DeltaTableWriter.open(engine, updatesTable, "bench/updates", U.table(), WriterSettings.DEFAULT);
            DeltaTableWriter.Replacement r = u.replace(TableLayout.create(U, List.of(), ScdType.SCD_TYPE_1), "updates", Lsn.of(1));
            List<Object[]> rows = new ArrayList<>();
            for (int b = 0; b < batches; b++) {
                for (Object[] row : updateBatches.get(b)) {
                    rows.add(new Object[] {b, row[0], row[1], row[2], row[3]});
                }
            }
            r.commit(r.write(rows), rows.size());
        }
        updateBatches.clear();

        // 3. Small update commits, read at intervals.
        List<ReadPoint> points = new ArrayList<>();
        scan(engine, ours); // warm-up
        int compactions = 0;
        long compactNanos = 0;
        long smallStart = System.nanoTime();
        long smallNanos = 0;
        for (int c = 0; c <= smallCommits; c++) {
            if (c % Math.max(1, smallCommits / 4) == 0 || c == smallCommits) {
                long pause = System.nanoTime();
                ReadPoint p = scan(engine, ours);
                ReadPoint again = scan(engine, ours); // the faster of two: the machine is shared
                long cpu = Math.min(p.cpuMillis, again.cpuMillis);
                p = again.millis < p.millis ? again : p;
                points.add(new ReadPoint(c, p.version, p.millis, cpu, p.rows, p.checksum, p.files, p.filesWithVectors, p.vectorFiles,
                        p.deletedRows, compactions));
                System.out.println("BENCHMARK dv10m.read " + points.get(points.size() - 1));
                smallStart += System.nanoTime() - pause;
                if (c == smallCommits) {
                    break;
                }
            }
            List<Object[]> rows = new ArrayList<>();
            Set<Long> keys = new HashSet<>();
            while (keys.size() < smallRows) {
                keys.add(1L + random.nextInt(n));
            }
            for (long aid : keys) {
                rows.add(new Object[] {aid, (int) ((aid - 1) / 100_000 + 1), random.nextInt(2_000_001) - 1_000_000, FILLER});
            }
            long t = System.nanoTime();
            writer.apply(writer.layout(), upserts(writer, rows), Lsn.of(lsn += 16)).orElseThrow();
            smallNanos += System.nanoTime() - t;
            if ((c + 1) % ApplySettings.DEFAULT.compactEvery() == 0) {
                long k = System.nanoTime();
                if (writer.compactIfNeeded().isPresent()) {
                    compactions++;
                }
                compactNanos += System.nanoTime() - k;
            }
        }
        double smallSeconds = seconds(smallStart);
        System.out.printf("BENCHMARK dv10m.small commits=%d rows_per_commit=%d commits_per_s=%.1f apply_ms_per_commit=%.1f"
                        + " compactions=%d compaction_s=%.1f%n", smallCommits, smallRows, smallCommits / smallSeconds,
                smallNanos / 1e6 / smallCommits, compactions, compactNanos / 1e9);

        // Spark: the reference MERGE, and its reads of our table at the same versions.
        double sparkRate = Double.NaN;
        List<Long> sparkReads = new ArrayList<>();
        String sparkMerge = "";
        if (spark) {
            String copy = TableLocations.of(dir.toString(), "main", "bench", "spark_accounts");
            List<String> sql = new ArrayList<>();
            sql.add("CREATE TABLE delta.`" + copy + "` USING delta TBLPROPERTIES ('delta.enableDeletionVectors' = 'true') AS "
                    + "SELECT * FROM delta.`" + ours + "` VERSION AS OF " + loaded);
            sql.add(NOW);
            for (int b = 0; b < batches; b++) {
                sql.add("MERGE INTO delta.`" + copy + "` t USING (SELECT aid, bid, abalance, filler FROM delta.`" + updatesTable
                        + "` WHERE batch = " + b + ") s ON t.aid = s.aid WHEN MATCHED THEN UPDATE SET *");
                sql.add(NOW);
            }
            sql.add("SELECT count(*) AS n, sum(CAST(abalance AS BIGINT) * aid) AS checksum FROM delta.`" + copy + "`");
            sql.add("DESCRIBE HISTORY delta.`" + copy + "` LIMIT 1");
            // The reads: one warm-up, then each version.
            sql.add(scanSql(ours, points.get(0).version));
            for (ReadPoint p : points) {
                sql.add(NOW);
                sql.add(scanSql(ours, p.version));
                sql.add(NOW);
                sql.add(scanSql(ours, p.version));
                sql.add(NOW);
            }
            List<List<String>> results = sparkSql(sql);
            int i = 1;
            long[] marks = new long[batches + 1];
            marks[0] = JSON.readTree(results.get(i++).get(0)).get("t").asLong();
            List<String> mergeMs = new ArrayList<>();
            for (int b = 0; b < batches; b++) {
                JsonNode merged = JSON.readTree(results.get(i++).get(0));
                assertEquals(updates / batches, merged.get("num_updated_rows").asLong(), merged.toString());
                marks[b + 1] = JSON.readTree(results.get(i++).get(0)).get("t").asLong();
                mergeMs.add(String.valueOf(marks[b + 1] - marks[b]));
            }
            sparkRate = updates / ((marks[batches] - marks[0]) / 1000.0);
            JsonNode check = JSON.readTree(results.get(i++).get(0));
            assertEquals(n, check.get("n").asLong());
            assertEquals(points.get(0).checksum, check.get("checksum").asLong(), "Spark's MERGE and our apply end with the same rows");
            JsonNode metrics = JSON.readTree(results.get(i++).get(0)).get("operationMetrics");
            sparkMerge = "merge_ms=" + String.join(",", mergeMs) + "; last MERGE: " + metrics;
            i++; // warm-up read
            for (ReadPoint p : points) {
                long a = JSON.readTree(results.get(i++).get(0)).get("t").asLong();
                JsonNode read = JSON.readTree(results.get(i++).get(0));
                long b = JSON.readTree(results.get(i++).get(0)).get("t").asLong();
                assertEquals(read.toString(), results.get(i++).get(0));
                long c = JSON.readTree(results.get(i++).get(0)).get("t").asLong();
                assertEquals(p.rows, read.get("n").asLong(), "Spark reads as many rows as Kernel at version " + p.version);
                assertEquals(p.checksum, read.get("checksum").asLong(), "Spark reads the same rows as Kernel at version " + p.version);
                sparkReads.add(Math.min(b - a, c - b)); // the faster of two: the machine is shared
                System.out.printf("BENCHMARK dv10m.spark_read commits=%d version=%d ms=%d,%d%n", p.commits, p.version, b - a, c - b);
            }
        }

        String loadAfter = loadAverage();
        System.out.printf("%nDeletionVectorScaleBenchmark, N=%,d rows (pgbench_accounts shape), load average %s before, %s after%n", n,
                loadBefore, loadAfter);
        System.out.printf("  load (full-refresh path)            %,10.0f rows/s%n", loadRate);
        System.out.printf("  %,d random-key updates in %d commits %,10.0f rows/s%n", updates, batches, oursRate);
        if (spark) {
            System.out.printf("  reference: Spark MERGE, DVs on      %,10.0f rows/s (%s)%n", sparkRate, sparkMerge);
            System.out.printf("  ratio: %.2fx Spark MERGE%n", oursRate / sparkRate);
        }
        System.out.printf("  %d small commits of %d updates: %.1f ms a commit, %d compactions (%.1f s)%n", smallCommits, smallRows,
                smallNanos / 1e6 / smallCommits, compactions, compactNanos / 1e9);
        System.out.println("  commits  version  Kernel scan ms (CPU)  Spark scan ms  files  with DV  DV files  deleted rows");
        for (int k = 0; k < points.size(); k++) {
            ReadPoint p = points.get(k);
            System.out.printf("  %7d  %7d  %8d (%6d)  %13s  %5d  %7d  %8d  %12d%n", p.commits, p.version, p.millis, p.cpuMillis,
                    spark ? String.valueOf(sparkReads.get(k)) : "-", p.files, p.filesWithVectors, p.vectorFiles, p.deletedRows);
        }
    }

    static final String NOW = "SELECT unix_millis(current_timestamp()) AS t";

    /** A full scan: every column of every live row (a metadata-only count would not read the files). */
    static String scanSql(String table, long version) {
        return "SELECT count(*) AS n, sum(CAST(abalance AS BIGINT) * aid) AS checksum, max(filler) AS f, sum(bid) AS b FROM delta.`"
                + table + "` VERSION AS OF " + version;
    }

    List<RowOp> upserts(DeltaTableWriter writer, List<Object[]> rows) {
        List<RowOp> ops = new ArrayList<>(rows.size());
        for (Object[] r : rows) {
            RowKey k = writer.layout().keyOf(r);
            ops.add(RowOp.upsert(k, k, r, 0));
        }
        return ops;
    }

    /**
     * What a read at one point saw: its time (wall clock, and CPU of the reading thread, which hardly depends on the
     * machine's load), the rows and their checksum (sum of aid × abalance), and the table's
     * files, files with a deletion vector, distinct deletion-vector files they reference, rows those vectors delete.
     */
    record ReadPoint(int commits, long version, long millis, long cpuMillis, long rows, long checksum, int files, int filesWithVectors,
                     int vectorFiles, long deletedRows, int compactions) {

        @Override
        public String toString() {
            return String.format("commits=%d version=%d kernel_scan_ms=%d kernel_scan_cpu_ms=%d rows=%d files=%d files_with_dv=%d dv_files=%d"
                    + " deleted_rows=%d compactions=%d", commits, version, millis, cpuMillis, rows, files, filesWithVectors, vectorFiles,
                    deletedRows, compactions);
        }
    }

    /**
     * A full scan of the latest version the way sync-service's {@code DeltaSource}/{@code KernelFiles} read a table:
     * scan files from the log, each file's Parquet batches (strings as bytes) through {@code transformPhysicalData},
     * which applies the deletion vector.
     */
    static ReadPoint scan(Engine engine, String table) throws IOException {
        long start = System.nanoTime();
        long cpuStart = THREADS.getCurrentThreadCpuTime(); // Kernel reads on this thread: its CPU time hardly depends on the load
        Snapshot snapshot = TableManager.loadSnapshot(table).build(engine);
        Scan scan = snapshot.getScanBuilder().build();
        Row scanState = scan.getScanState(engine);
        StructType physical = KernelInternals.physicalReadSchema(scanState);
        if (!KernelInternals.hasColumnMapping(scanState)) { // as KernelFiles does
            StructType binary = new StructType();
            for (StructField f : physical.fields()) {
                binary = binary.add(f.getDataType() instanceof StringType
                        ? new StructField(f.getName(), BinaryType.BINARY, f.isNullable(), f.getMetadata()) : f);
            }
            physical = binary;
        }
        int aid = snapshot.getSchema().indexOf("aid"); // transformPhysicalData returns logical columns
        int abalance = snapshot.getSchema().indexOf("abalance");
        long rows = 0;
        long checksum = 0;
        int files = 0;
        int withVectors = 0;
        long deleted = 0;
        Set<String> vectorFiles = new HashSet<>();
        String root = KernelInternals.tableRoot(scanState);
        try (CloseableIterator<FilteredColumnarBatch> scanFiles = scan.getScanFiles(engine, true)) {
            while (scanFiles.hasNext()) {
                try (CloseableIterator<Row> it = scanFiles.next().getRows()) {
                    while (it.hasNext()) {
                        Row scanFile = it.next();
                        files++;
                        AddedFile add = KernelInternals.addFileOf(scanFile);
                        Optional<DeletionVectorRef> dv = add.getDeletionVector();
                        if (dv.isPresent()) {
                            withVectors++;
                            deleted += dv.get().getCardinality();
                            vectorFiles.add(dv.get().getAbsolutePath(root));
                        }
                        FileStatus status = KernelInternals.fileStatusOf(scanFile);
                        CloseableIterator<ColumnarBatch> data = engine.getParquetHandler()
                                .readParquetFiles(CloseableIterators.singleton(status), physical, Optional.empty())
                                .map(FileReadResult::getData);
                        try (CloseableIterator<FilteredColumnarBatch> batches = Scan.transformPhysicalData(engine, scanState, scanFile, data)) {
                            while (batches.hasNext()) {
                                FilteredColumnarBatch batch = batches.next();
                                ColumnarBatch b = batch.getData();
                                ColumnVector ids = b.getColumnVector(aid);
                                ColumnVector balances = b.getColumnVector(abalance);
                                Optional<ColumnVector> selected = batch.getSelectionVector();
                                for (int r = 0; r < b.getSize(); r++) {
                                    if (selected.isPresent() && (selected.get().isNullAt(r) || !selected.get().getBoolean(r))) {
                                        continue;
                                    }
                                    rows++;
                                    checksum += ids.getLong(r) * balances.getInt(r);
                                }
                            }
                        }
                    }
                }
            }
        }
        return new ReadPoint(0, snapshot.getVersion(), (System.nanoTime() - start) / 1_000_000,
                (THREADS.getCurrentThreadCpuTime() - cpuStart) / 1_000_000, rows, checksum, files, withVectors, vectorFiles.size(), deleted, 0);
    }

    /** Runs statements in {@code spark-sql.sh}; each statement's JSON result lines. */
    static List<List<String>> sparkSql(List<String> statements) throws IOException, InterruptedException {
        return SparkSql.run(statements, Map.of("SPARK_SQL_HEAP", System.getProperty("tideline.benchmark.spark-heap", "2g")),
                Duration.ofMinutes(60));
    }

    static String loadAverage() throws IOException {
        String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
        return parts[0] + " " + parts[1] + " " + parts[2];
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
