package dev.tideline.apply.delta;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import dev.tideline.delta.kernel.KernelInternals;
import io.delta.kernel.DataWriteContext;
import io.delta.kernel.Operation;
import io.delta.kernel.Transaction;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterable;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.DataFileStatus;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opt-in benchmark of the Delta apply path (no NATS: the writer alone), each figure printed next to
 * Kernel's plain append rate measured in the same run:
 * <pre>
 * ./mvnw -B -o -pl apply-service test -Dtest=ApplyBenchmark -Dtideline.benchmark=true [-Dtideline.benchmark.rows=1000000]
 * </pre>
 * (a) inserts of N rows in 10 commits; (b) N/10 updates of random existing keys in 4 commits;
 * (c) a steady mixed workload of 1,000 transactions/s for {@code tideline.benchmark.seconds} (default 30),
 * committed once a second, compaction checked after each commit, with p50/p95/p99 of source commit →
 * visible in Delta.
 */
class ApplyBenchmark {

    static final TableId T = TableId.of("public", "bench");
    static final RelationSchema S = new RelationSchema(1, T, ReplicaIdentity.DEFAULT, List.of(
            new ColumnSchema("id", PgType.INT8, -1, true), new ColumnSchema("name", PgType.TEXT, -1, false),
            new ColumnSchema("amount", PgType.NUMERIC, ((12 << 16) | 2) + 4, false),
            new ColumnSchema("at", PgType.TIMESTAMPTZ, -1, false)));

    @TempDir
    Path warehouse;

    final Random random = new Random(7);
    long lsn = 0x1000;

    Object[] row(long id) {
        return new Object[] {id, "name-" + random.nextInt(1_000_000), new BigDecimal(random.nextInt(100_000_000)).movePointLeft(2),
                1_700_000_000_000_000L + random.nextInt(1_000_000_000)};
    }

    @Test
    void applyThroughput() throws Exception {
        assumeTrue(Boolean.getBoolean("tideline.benchmark"), "opt-in: -Dtideline.benchmark=true");
        int n = Integer.getInteger("tideline.benchmark.rows", 1_000_000);
        Engine engine = DeltaEngines.forWarehouse(warehouse.toString(), EngineSettings.defaults());

        // Reference: Kernel's plain append (no key handling), N rows in 10 commits.
        DeltaTableWriter plain = DeltaTableWriter.open(engine, TableLocations.of(warehouse.toString(), "c", "s", "plain"), "b/plain", T,
                WriterSettings.DEFAULT);
        plain.create(TableLayout.create(S, List.of(), ScdType.SCD_TYPE_1));
        long start = System.nanoTime();
        for (int c = 0; c < 10; c++) {
            List<Object[]> rows = new ArrayList<>();
            for (long i = (long) c * n / 10; i < (long) (c + 1) * n / 10; i++) {
                rows.add(row(i));
            }
            plainAppend(engine, plain, rows);
        }
        double plainRate = n / seconds(start);

        DeltaTableWriter writer = DeltaTableWriter.open(engine, TableLocations.of(warehouse.toString(), "c", "s", "bench"), "b/bench", T,
                WriterSettings.DEFAULT);
        writer.create(TableLayout.create(S, List.of(), ScdType.SCD_TYPE_1));
        // (a) inserts
        start = System.nanoTime();
        for (int c = 0; c < 10; c++) {
            List<RowOp> ops = new ArrayList<>();
            for (long i = (long) c * n / 10; i < (long) (c + 1) * n / 10; i++) {
                Object[] r = row(i);
                RowKey k = writer.layout().keyOf(r);
                ops.add(RowOp.upsert(k, k, r, 0));
            }
            writer.apply(writer.layout(), ops, Lsn.of(lsn += 16)).orElseThrow();
        }
        double insertRate = n / seconds(start);

        // (b) random-key updates
        int updates = n / 10;
        start = System.nanoTime();
        int rewritten = 0;
        for (int c = 0; c < 4; c++) {
            List<RowOp> ops = new ArrayList<>();
            for (int i = 0; i < updates / 4; i++) {
                Object[] r = row(random.nextInt(n));
                RowKey k = writer.layout().keyOf(r);
                ops.add(RowOp.upsert(k, k, r, 0));
            }
            rewritten += writer.apply(writer.layout(), ops, Lsn.of(lsn += 16)).orElseThrow().filesRemoved();
        }
        double updateRate = updates / seconds(start);

        // (c) steady mixed workload: 1,000 tx/s, each 1 update of a random key (+ an insert or a delete every 10th)
        List<Long> latencies = new ArrayList<>();
        long nextId = n;
        long seconds = Long.getLong("tideline.benchmark.seconds", 30);
        long t0 = System.nanoTime();
        for (int s = 0; s < seconds; s++) {
            List<RowOp> ops = new ArrayList<>();
            long[] txTimes = new long[1000];
            long secondStart = t0 + s * 1_000_000_000L;
            while (System.nanoTime() < secondStart + 1_000_000_000L) {
                Thread.sleep(5); // the second's transactions "commit" in the source meanwhile
            }
            for (int tx = 0; tx < 1000; tx++) {
                txTimes[tx] = secondStart + tx * 1_000_000L;
                Object[] r = row(random.nextInt(n));
                RowKey k = writer.layout().keyOf(r);
                ops.add(RowOp.upsert(k, k, r, 0));
                if (tx % 10 == 0) {
                    Object[] fresh = row(nextId++);
                    RowKey fk = writer.layout().keyOf(fresh);
                    ops.add(RowOp.upsert(fk, fk, fresh, 0));
                }
            }
            writer.apply(writer.layout(), ops, Lsn.of(lsn += 16)).orElseThrow();
            long visible = System.nanoTime();
            for (long t : txTimes) {
                latencies.add((visible - t) / 1_000_000);
            }
            writer.compactIfNeeded();
        }
        latencies.sort(Long::compare);
        long p50 = latencies.get(latencies.size() / 2);
        long p95 = latencies.get(latencies.size() * 95 / 100);
        long p99 = latencies.get(latencies.size() * 99 / 100);

        System.out.printf("%nApplyBenchmark, N=%,d rows, ZSTD, fsync on%n", n);
        System.out.printf("  reference: Kernel plain append   %,10.0f rows/s%n", plainRate);
        System.out.printf("  (a) inserts (keyed apply)        %,10.0f rows/s (%.0f%% of plain append)%n", insertRate, 100 * insertRate / plainRate);
        System.out.printf("  (b) random-key updates           %,10.0f rows/s (%d updates in 4 commits; %d file entries re-added with a"
                + " deletion vector)%n", updateRate, updates, rewritten);
        System.out.printf("  (c) 1,000 tx/s mixed, 1 s batches: commit→visible p50 %d ms, p95 %d ms, p99 %d ms over %d tx%n", p50, p95,
                p99, latencies.size());
        System.out.println("  table files at the end: " + writer.fileCount());
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** The plain Kernel append path: transaction, Parquet files from column vectors, append actions, commit. */
    private static void plainAppend(Engine engine, DeltaTableWriter table, List<Object[]> rows) throws Exception {
        Transaction txn = table.snapshot().buildUpdateTableTransaction("bench", Operation.WRITE).build(engine);
        Row state = txn.getTransactionState(engine);
        StructType physical = KernelInternals.physicalSchema(state);
        DataWriteContext ctx = Transaction.getWriteContext(engine, state, Map.of());
        List<FilteredColumnarBatch> batches = new ArrayList<>();
        for (int i = 0; i < rows.size(); i += 8192) {
            batches.add(new FilteredColumnarBatch(new RowBatch(physical, rows.subList(i, Math.min(rows.size(), i + 8192))),
                    Optional.empty()));
        }
        List<DataFileStatus> files = new ArrayList<>();
        try (CloseableIterator<DataFileStatus> it = engine.getParquetHandler().writeParquetFiles(ctx.getTargetDirectory(),
                CloseableIterators.of(batches.iterator()), ctx.getStatisticsColumns())) {
            it.forEachRemaining(files::add);
        }
        List<Row> actions = new ArrayList<>();
        Transaction.generateAppendActions(engine, state, CloseableIterators.of(files.iterator()), ctx).forEachRemaining(actions::add);
        txn.commit(engine, CloseableIterable.inMemoryIterable(CloseableIterators.of(actions.iterator())));
        table.reload();
    }
}
