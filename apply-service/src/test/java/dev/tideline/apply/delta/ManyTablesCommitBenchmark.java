package dev.tideline.apply.delta;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.TableLocations;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.utils.DataFileStatus;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What one small Delta commit costs apply's writer in the many-tables shape of issue 17, without NATS, Postgres or
 * the rest of the pipeline: N small {@code pgbench_accounts}-shaped tables (100 rows each, loaded as a snapshot loads
 * them), then one-row commits through {@link DeltaTableWriter#apply}, the tables in turn — updates of an existing key
 * (a deletion vector for the file holding it, the file re-added with it, a new data file) and, for comparison,
 * inserts of new keys (a new data file only). CPU per commit of the committing thread and of the whole JVM (checkpoints
 * run on their own executor), after warm-up commits. Each measurement runs twice, on two sets of the same tables:
 * change files written by parquet-mr through Kernel (the reference) and as {@link PlainParquetFile}s. The floor under
 * both is {@code KernelCommitFloorBenchmark} (a bare Kernel append: ~2.3 ms of JVM CPU in the same shape).
 *
 * <pre>./mvnw -B -o -pl apply-service -am test -Dtest=ManyTablesCommitBenchmark -Dtideline.benchmark=true -Dsurefire.failIfNoSpecifiedTests=false</pre>
 * Options: {@code -Dtideline.benchmark.tables} (1,000), {@code .commits} (3,000), {@code .warmup} (2,000), {@code .hot} (0: with
 * N &gt; 0, the first N tables hold 100,000 rows and tables are drawn from Zipf(1), hot ones first, as
 * {@code ManyTablesBenchmark} draws them), {@code .checkpoint-min-age} (the default, 600 s) and {@code .checkpoint-max-commits} (100): the
 * writers' {@link CheckpointSpacing}. Compaction is checked every {@code compactEvery} commits of a table, as the applier does.
 */
class ManyTablesCommitBenchmark {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private static final int ROWS = 100;
    private static final int HOT_ROWS = 100_000;

    @TempDir
    Path dir;

    private final Random random = new Random(17);
    private long lsn = 0x1000;
    private final CheckpointSpacing spacing = new CheckpointSpacing(
            java.time.Duration.ofSeconds(Integer.getInteger("tideline.benchmark.checkpoint-min-age", (int) CheckpointSpacing.DEFAULT.minAge().toSeconds())),
            Integer.getInteger("tideline.benchmark.checkpoint-max-commits", 100));
    private final java.util.Map<DeltaTableWriter, Integer> commitsOf = new java.util.HashMap<>();

    @Test
    void oneRowCommitsOverManyTables() throws Exception {
        assumeTrue(Boolean.getBoolean("tideline.benchmark"), "opt-in: -Dtideline.benchmark=true");
        int tables = Integer.getInteger("tideline.benchmark.tables", 1000);
        int commits = Integer.getInteger("tideline.benchmark.commits", 3000);
        int warmup = Integer.getInteger("tideline.benchmark.warmup", 2000);
        Engine engine = DeltaEngines.forWarehouse(dir.toString(), EngineSettings.defaults());
        int hot = Integer.getInteger("tideline.benchmark.hot", 0);
        // Two sets of the same tables: change files through parquet-mr (the reference) and as PlainParquetFiles.
        int[] plainMaxRows = {0, PlainParquetFile.DEFAULT_MAX_ROWS};
        List<List<DeltaTableWriter>> variants = new ArrayList<>();
        int[] rows = new int[tables];
        for (int plain : plainMaxRows) {
            List<DeltaTableWriter> writers = new ArrayList<>();
            for (int t = 0; t < tables; t++) {
                rows[t] = t < hot ? HOT_ROWS : ROWS;
                writers.add(loaded(engine, t, rows[t], plain));
            }
            variants.add(writers);
        }
        // Tables drawn in turn, or (with hot tables) from Zipf(1), hot ones first, as ManyTablesBenchmark draws them.
        double[] cumulative = new double[tables];
        double total = 0;
        for (int t = 0; t < tables; t++) {
            cumulative[t] = total += 1 / (t + 1.0);
        }
        java.util.function.IntUnaryOperator pick = hot == 0 ? i -> i % tables : i -> {
            int at = java.util.Arrays.binarySearch(cumulative, random.nextDouble() * cumulative[tables - 1]);
            return Math.min(tables - 1, at < 0 ? -at - 1 : at);
        };
        for (int round = 0; round < 2; round++) {
            for (boolean update : new boolean[] {true, false}) {
                for (int v = 0; v < variants.size(); v++) {
                    List<DeltaTableWriter> writers = variants.get(v);
                    run(writers, rows, pick, warmup, update);
                    double[] ms = run(writers, rows, pick, commits, update);
                    // (counted per commit: compaction as the applier runs it, every compactEvery commits of a table)
                    System.out.printf("BENCHMARK many-tables %d tables (%d hot of %,d rows), %s, %d one-row %s, change files %s: "
                                    + "%.2f ms CPU per commit on the committing thread, %.2f ms CPU of the whole JVM, %.2f ms wall%n",
                            tables, hot, HOT_ROWS, hot == 0 ? "in turn" : "Zipf(1)", commits,
                            update ? "updates (deletion vector + re-added file + new file)" : "inserts of new keys (new file only)",
                            plainMaxRows[v] == 0 ? "by parquet-mr (reference)" : "plain", ms[0], ms[1], ms[2]);
                }
            }
        }
        System.gc();
        Runtime rt = Runtime.getRuntime();
        System.out.printf("BENCHMARK many-tables heap after a full GC with %d writers open: %.1f MiB%n", tables * variants.size(),
                (rt.totalMemory() - rt.freeMemory()) / 1048576.0);
    }

    private DeltaTableWriter loaded(Engine engine, int t, int count, int plainMaxRows) throws Exception {
        TableId id = TableId.of("public", "accounts_" + t);
        String schema = "bench_" + plainMaxRows;
        DeltaTableWriter writer = DeltaTableWriter.open(engine, TableLocations.of(dir.toString(), "main", schema, "accounts_" + t),
                schema + "/accounts_" + t, id, WriterSettings.DEFAULT.withCheckpointSpacing(spacing).withPlainFileMaxRows(plainMaxRows));
        TableLayout layout = TableLayout.create(DeletionVectorScaleBenchmark.S, List.of(), ScdType.SCD_TYPE_1);
        DeltaTableWriter.Replacement replacement = writer.replace(layout, "bench", Lsn.of(lsn += 16));
        List<Object[]> rows = new ArrayList<>();
        for (long aid = 1; aid <= count; aid++) {
            rows.add(new Object[] {aid, 1, 0, DeletionVectorScaleBenchmark.FILLER});
        }
        List<DataFileStatus> files = replacement.write(rows);
        replacement.commit(files, count);
        return writer;
    }

    /** {@code count} one-row commits over the writers in turn; CPU of this thread, of the JVM, and wall, per commit in ms. */
    private double[] run(List<DeltaTableWriter> writers, int[] rows, java.util.function.IntUnaryOperator pick, int count, boolean update) {
        long cpu0 = THREADS.getCurrentThreadCpuTime();
        long jvm0 = OS.getProcessCpuTime();
        long wall0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            int t = pick.applyAsInt(i);
            DeltaTableWriter writer = writers.get(t);
            long aid = update ? 1 + random.nextInt(rows[t]) : HOT_ROWS + 1 + lsn;
            Object[] row = {aid, 1, random.nextInt(1_000_000), DeletionVectorScaleBenchmark.FILLER};
            RowKey key = writer.layout().keyOf(row);
            writer.apply(writer.layout(), List.of(RowOp.upsert(key, key, row, 0)), Lsn.of(lsn += 16)).orElseThrow();
            if (commitsOf.merge(writer, 1, Integer::sum) % dev.tideline.apply.stream.ApplySettings.DEFAULT.compactEvery() == 0) {
                writer.compactIfNeeded();
            }
        }
        double n = count;
        return new double[] {(THREADS.getCurrentThreadCpuTime() - cpu0) / 1e6 / n, (OS.getProcessCpuTime() - jvm0) / 1e6 / n,
                (System.nanoTime() - wall0) / 1e6 / n};
    }
}
