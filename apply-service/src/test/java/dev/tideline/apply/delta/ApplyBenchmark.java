package dev.tideline.apply.delta;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tideline.apply.stream.ApplySettings;
import dev.tideline.apply.stream.FlushPolicy;
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
import java.time.Duration;
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
 * applied by the applier's loop (pull, route, {@link FlushPolicy}, commit, compaction check) with p50/p95/p99 of
 * source commit → visible in Delta and where the time went, under the former fixed 1 s delay and the
 * adaptive policy in the same run (lines starting with {@code BENCHMARK}).
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

        // (c) steady mixed workload: 1,000 tx/s, each 1 update of a random key (+ an insert every 10th), applied by
        // the applier's loop (pull, route, ask the batching policy, commit) under three policies, one after the other
        long seconds = Long.getLong("tideline.benchmark.seconds", 30);
        nextId = n;
        FlushPolicy adaptivePolicy = FlushPolicy.of(ApplySettings.DEFAULT);
        long fetchWait = ApplySettings.DEFAULT.fetchWait().toNanos(); // 250 ms
        // The table changes as the variants run (deletion vectors grow, small files come and go): with
        // -Dtideline.benchmark.reverse=true they run in the opposite order.
        boolean reverse = Boolean.getBoolean("tideline.benchmark.reverse");
        SteadyResult fixed = null;
        SteadyResult adaptive = null;
        SteadyResult shortWait = null;
        SteadyResult early = null;
        for (int v = 0; v < 4; v++) {
            switch (reverse ? 3 - v : v) {
                case 0 -> fixed = steady(writer, n, seconds, FlushPolicy.of(50_000, Duration.ofSeconds(1), Duration.ofSeconds(1)),
                        250_000_000L, false); // before issue 17
                case 1 -> adaptive = steady(writer, n, seconds, adaptivePolicy, fetchWait, false);
                case 2 -> shortWait = steady(writer, n, seconds, adaptivePolicy, 100_000_000L, false);
                default -> early = steady(writer, n, seconds, adaptivePolicy, fetchWait, true); // PipelineApplier.pull
            }
        }

        System.out.printf("%nApplyBenchmark, N=%,d rows, ZSTD, fsync on%n", n);
        System.out.printf("  reference: Kernel plain append   %,10.0f rows/s%n", plainRate);
        System.out.printf("  (a) inserts (keyed apply)        %,10.0f rows/s (%.0f%% of plain append)%n", insertRate, 100 * insertRate / plainRate);
        System.out.printf("  (b) random-key updates           %,10.0f rows/s (%d updates in 4 commits; %d file entries re-added with a"
                + " deletion vector)%n", updateRate, updates, rewritten);
        System.out.printf("  (c) 1,000 tx/s mixed for %d s, source commit → visible in Delta, pulls of up to %d messages:%n",
                seconds, FETCH_SIZE);
        fixed.print("reference: fixed 1 s delay (the former policy), fetch wait 250 ms");
        adaptive.print("adaptive (group commit, min-batch-delay 0), nats.java fetch (waits for a full batch), 250 ms");
        shortWait.print("adaptive, nats.java fetch, 100 ms");
        early.print("adaptive, pull returning when nothing more is pending (no_wait + expires: the code now)");
        System.out.println("  table files at the end: " + writer.fileCount());
    }

    static final int FETCH_SIZE = ApplySettings.DEFAULT.fetchSize();
    long nextId;

    /**
     * The applier's loop against a simulated stream: transaction {@code i} commits in the source at
     * {@code start + i} ms and is in the stream from then on. A pull takes what is there, up to
     * {@link #FETCH_SIZE}; like nats.java's {@code fetch} it returns only when full or after {@code fetchWaitNanos}
     * — or, {@code pullReturnsEarly}, as soon as anything is there (PipelineApplier's no-wait pull with an
     * expiry). Then the
     * policy decides, caught up = the pull came back short, exactly as {@code PipelineApplier} asks it;
     * compaction is checked every {@code compactEvery} commits, as {@code TableApplier} does.
     */
    SteadyResult steady(DeltaTableWriter writer, int n, long seconds, FlushPolicy policy, long fetchWaitNanos, boolean pullReturnsEarly)
            throws InterruptedException {
        int total = (int) (seconds * 1000);
        long[] committed = new long[total];
        long[] routed = new long[total];
        long[] commitStart = new long[total];
        long[] visible = new long[total];
        List<RowOp> ops = new ArrayList<>();
        int first = 0; // first buffered transaction
        int next = 0; // next transaction to pull
        int commits = 0;
        long compactNanos = 0;
        long filesSearched = 0;
        long filesRevectored = 0;
        long t0 = System.nanoTime() + 50_000_000L;
        for (int i = 0; i < total; i++) {
            committed[i] = t0 + i * 1_000_000L;
        }
        while (first < total) {
            long pullStart = System.nanoTime();
            int taken;
            while (true) {
                long now = System.nanoTime();
                int available = (int) Math.min(total, Math.max(0, (now - t0) / 1_000_000L + 1)) - next;
                if (available >= FETCH_SIZE || now - pullStart >= fetchWaitNanos || (pullReturnsEarly && available > 0)
                        || next == total) {
                    taken = Math.min(available, FETCH_SIZE);
                    break;
                }
                Thread.sleep(1);
            }
            long now = System.nanoTime();
            for (int i = next; i < next + taken; i++) {
                routed[i] = now;
                Object[] r = row(random.nextInt(n));
                RowKey k = writer.layout().keyOf(r);
                ops.add(RowOp.upsert(k, k, r, 0));
                if (i % 10 == 0) {
                    Object[] fresh = row(nextId++);
                    RowKey fk = writer.layout().keyOf(fresh);
                    ops.add(RowOp.upsert(fk, fk, fresh, 0));
                }
            }
            next += taken;
            if (next > first && policy.due(next - first, ops.size(), now - routed[first], taken < FETCH_SIZE)) {
                long begin = System.nanoTime();
                CommitOutcome outcome = writer.apply(writer.layout(), ops, Lsn.of(lsn += 16)).orElseThrow();
                long end = System.nanoTime();
                filesSearched += outcome.filesSearched();
                filesRevectored += outcome.filesRemoved();
                for (int i = first; i < next; i++) {
                    commitStart[i] = begin;
                    visible[i] = end;
                }
                commits++;
                first = next;
                ops = new ArrayList<>();
                if (commits % ApplySettings.DEFAULT.compactEvery() == 0) { // as TableApplier does
                    long c = System.nanoTime();
                    writer.compactIfNeeded();
                    compactNanos += System.nanoTime() - c;
                }
            }
        }
        return new SteadyResult(committed, routed, commitStart, visible, commits, compactNanos, (double) filesSearched / commits,
                (double) filesRevectored / commits);
    }

    /** Per transaction: source commit, routed to its table, its Delta commit started, visible (that commit returned). */
    record SteadyResult(long[] committed, long[] routed, long[] commitStart, long[] visible, int commits, long compactNanos,
                        double filesSearchedPerCommit, double filesRevectoredPerCommit) {

        void print(String policy) {
            int n = committed.length;
            long[] total = new long[n];
            long[] pulled = new long[n];
            long[] buffered = new long[n];
            long[] commit = new long[n];
            for (int i = 0; i < n; i++) {
                total[i] = visible[i] - committed[i];
                pulled[i] = routed[i] - committed[i];
                buffered[i] = commitStart[i] - routed[i];
                commit[i] = visible[i] - commitStart[i];
            }
            System.out.printf("BENCHMARK apply.c policy=\"%s\" p50_ms=%d p95_ms=%d p99_ms=%d commits=%d tx_per_commit=%.0f"
                            + " | stages p50/p95 ms: in stream until pulled %d/%d, buffered until commit %d/%d, commit %d/%d;"
                            + " compaction %d ms in total; per commit %.0f files searched, %.0f re-added with a deletion vector%n",
                    policy, pct(total, 50), pct(total, 95), pct(total, 99), commits, (double) n / commits, pct(pulled, 50),
                    pct(pulled, 95), pct(buffered, 50), pct(buffered, 95), pct(commit, 50), pct(commit, 95), compactNanos / 1_000_000,
                    filesSearchedPerCommit, filesRevectoredPerCommit);
        }

        private static long pct(long[] nanos, int p) {
            long[] sorted = nanos.clone();
            java.util.Arrays.sort(sorted);
            return sorted[Math.min(sorted.length - 1, sorted.length * p / 100)] / 1_000_000;
        }
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
