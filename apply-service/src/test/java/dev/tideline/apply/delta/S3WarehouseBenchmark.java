package dev.tideline.apply.delta;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tideline.core.Lsn;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.S3Settings;
import dev.tideline.delta.WarehouseLocation;
import dev.tideline.testing.S3Server;
import dev.tideline.testing.WithS3;
import io.delta.kernel.engine.Engine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opt-in benchmark of the apply writer on a local warehouse and on an {@code s3://} one (S3Proxy on this machine,
 * filesystem backend) in the same run:
 * <pre>
 * ./mvnw -B -o -pl apply-service -am verify -Dtest=S3WarehouseBenchmark -Dtideline.benchmark=true -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=NONE -Dfailsafe.failIfNoSpecifiedTests=false
 * </pre>
 * Per warehouse: (a) Delta commit latency, p50/p95 of 100 commits of 100 keyed upserts each; (b) N inserts (default
 * 1M) in 10 commits; (c) N/10 updates of random existing keys in 4 commits.
 */
@WithS3
class S3WarehouseBenchmark {

    @TempDir
    Path local;

    @Test
    void localVersusS3(S3Server s3) throws Exception {
        assumeTrue(Boolean.getBoolean("tideline.benchmark"), "opt-in: -Dtideline.benchmark=true");
        int n = Integer.getInteger("tideline.benchmark.rows", 1_000_000);
        String[] warehouses = {local.toString(), s3.warehouse("bench")};
        List<String> report = new ArrayList<>();
        for (String warehouse : warehouses) {
            Engine engine = DeltaEngines.forWarehouse(warehouse, EngineSettings.defaults(),
                    S3Settings.compatible(s3.endpoint()));
            report.add(run(engine, WarehouseLocation.of(warehouse), n));
        }
        System.out.printf("%nS3WarehouseBenchmark, N=%,d rows, ZSTD, local fsync on, S3 = S3Proxy 4.1.0 filesystem-nio2 on 127.0.0.1%n", n);
        System.out.println("  warehouse | commit p50 | commit p95 | (b) inserts rows/s | (c) random-key updates rows/s");
        report.forEach(System.out::println);
    }

    private static String run(Engine engine, WarehouseLocation warehouse, int n) throws Exception {
        ApplyBenchmark rows = new ApplyBenchmark();
        DeltaTableWriter writer = DeltaTableWriter.open(engine, warehouse.table("c", "s", "bench"), "b/bench", ApplyBenchmark.T,
                WriterSettings.DEFAULT);
        writer.create(TableLayout.create(ApplyBenchmark.S, List.of(), ScdType.SCD_TYPE_1));

        // (a) commit latency: small keyed batches, each one Delta commit (log read, data file, commit file)
        List<Long> latencies = new ArrayList<>();
        long key = 0;
        for (int c = 0; c < 100; c++) {
            List<RowOp> ops = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                Object[] r = rows.row(key++);
                RowKey k = writer.layout().keyOf(r);
                ops.add(RowOp.upsert(k, k, r, 0));
            }
            long t = System.nanoTime();
            writer.apply(writer.layout(), ops, Lsn.of(rows.lsn += 16)).orElseThrow();
            latencies.add((System.nanoTime() - t) / 1_000_000);
        }
        latencies.sort(Long::compare);

        DeltaTableWriter big = DeltaTableWriter.open(engine, warehouse.table("c", "s", "big"), "b/big", ApplyBenchmark.T,
                WriterSettings.DEFAULT);
        big.create(TableLayout.create(ApplyBenchmark.S, List.of(), ScdType.SCD_TYPE_1));
        // (b) N inserts in 10 commits
        long start = System.nanoTime();
        for (int c = 0; c < 10; c++) {
            List<RowOp> ops = new ArrayList<>();
            for (long i = (long) c * n / 10; i < (long) (c + 1) * n / 10; i++) {
                Object[] r = rows.row(i);
                RowKey k = big.layout().keyOf(r);
                ops.add(RowOp.upsert(k, k, r, 0));
            }
            big.apply(big.layout(), ops, Lsn.of(rows.lsn += 16)).orElseThrow();
        }
        double insertRate = n / seconds(start);

        // (c) N/10 random-key updates in 4 commits
        int updates = n / 10;
        start = System.nanoTime();
        for (int c = 0; c < 4; c++) {
            List<RowOp> ops = new ArrayList<>();
            for (int i = 0; i < updates / 4; i++) {
                Object[] r = rows.row(rows.random.nextInt(n));
                RowKey k = big.layout().keyOf(r);
                ops.add(RowOp.upsert(k, k, r, 0));
            }
            big.apply(big.layout(), ops, Lsn.of(rows.lsn += 16)).orElseThrow();
        }
        double updateRate = updates / seconds(start);
        return String.format("  %-9s | %7d ms | %7d ms | %,18.0f | %,29.0f", warehouse.kind(), latencies.get(latencies.size() / 2),
                latencies.get(latencies.size() * 95 / 100), insertRate, updateRate);
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
