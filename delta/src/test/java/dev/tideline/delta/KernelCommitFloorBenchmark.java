package dev.tideline.delta;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.delta.kernel.Operation;
import io.delta.kernel.Snapshot;
import io.delta.kernel.TableManager;
import io.delta.kernel.Transaction;
import io.delta.kernel.TransactionCommitResult;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.hook.PostCommitHook;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The least CPU a Delta commit costs through Delta Kernel on this machine: a one-row append (one Parquet file
 * written with its statistics, one transaction with an application id, the post-commit snapshot carried to the
 * next commit, a checkpoint every 10 commits as Kernel asks or every 100 as apply spaces them), with and without the
 * application transaction id apply's exactly-once commits carry; nothing of Tideline's own around it — no
 * change decoding, no key lookups, no deletion vectors, no control plane. Over one table and over many tables in
 * turn (as a schema-level pipeline commits them). It bounds how many commits per second a core can make, which
 * is what many small tables with a little traffic each need (issue 17, docs/benchmarks.md).
 *
 * <pre>./mvnw -B -o -pl delta -am test -Dtest=KernelCommitFloorBenchmark -Dtideline.benchmark=true -Dsurefire.failIfNoSpecifiedTests=false</pre>
 * ({@code -Dtideline.benchmark.tables=N} runs N tables in turn only; {@code .commits} and {@code .warmup} set the counts.)
 */
class KernelCommitFloorBenchmark {

    private static final int WARMUP = Integer.getInteger("tideline.benchmark.warmup", 300);
    private static final int COMMITS = Integer.getInteger("tideline.benchmark.commits", 600);

    @TempDir
    Path dir;

    @Test
    void oneRowCommits() throws Exception {
        assumeTrue(Boolean.getBoolean("tideline.benchmark"), "opt-in: -Dtideline.benchmark=true");
        Engine engine = DeltaEngines.forWarehouse(dir.toString(), EngineSettings.defaults());
        String only = System.getProperty("tideline.benchmark.tables");
        for (int tables : only == null ? new int[] {1, 100} : new int[] {Integer.parseInt(only)}) {
            for (int every : new int[] {10, 100}) {
                for (boolean txnId : new boolean[] {true, false}) {
                    commits(engine, tables, every, txnId, WARMUP, "warm-" + tables + "-" + every + txnId);
                    double[] ms = commits(engine, tables, every, txnId, COMMITS, "run-" + tables + "-" + every + txnId);
                    System.out.printf("%d table(s) in turn, checkpoint every %d, %s: %d one-row commits: %.2f ms CPU per commit on "
                            + "the committing thread, %.2f ms CPU of the whole JVM, %.2f ms wall%n", tables, every,
                            txnId ? "with an application transaction id" : "no transaction id", COMMITS, ms[0], ms[1], ms[2]);
                }
            }
        }
    }

    /**
     * Runs the commit's hooks as apply does — checksums always (so the next commit's checksum builds on this one's),
     * checkpoints every 10 (Kernel's) or 100 commits, here on this thread — and returns the snapshot to go on from.
     */
    private static Snapshot afterHooks(Engine engine, TransactionCommitResult result, int checkpointEvery, String path) throws Exception {
        for (PostCommitHook hook : result.getPostCommitHooks()) {
            if (hook.getType() != PostCommitHook.PostCommitHookType.CHECKPOINT || result.getVersion() % checkpointEvery == 0) {
                hook.threadSafeInvoke(engine);
            }
        }
        return result.getPostCommitSnapshot().orElseGet(() -> TableManager.loadSnapshot(path).build(engine));
    }

    /** {@code count} commits over {@code tables} fresh tables in turn; CPU of the thread, of the JVM, and wall, per commit. */
    private double[] commits(Engine engine, int tables, int checkpointEvery, boolean txnId, int count, String name) throws Exception {
        List<String> paths = new ArrayList<>();
        List<Snapshot> snapshots = new ArrayList<>();
        for (int t = 0; t < tables; t++) {
            String path = dir.resolve(name + "-" + t).toUri().toString();
            TransactionCommitResult created = TableManager.buildCreateTableTransaction(path, KernelTables.SCHEMA, "tideline-benchmark")
                    .build(engine).commit(engine, io.delta.kernel.utils.CloseableIterable.emptyIterable());
            paths.add(path);
            snapshots.add(afterHooks(engine, created, checkpointEvery, path));
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = threads.getCurrentThreadCpuTime();
        long jvm0 = os.getProcessCpuTime();
        long wall0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            int t = i % tables;
            Snapshot snapshot = snapshots.get(t);
            var builder = snapshot.buildUpdateTableTransaction("tideline-benchmark", Operation.WRITE);
            Transaction txn = (txnId ? builder.withTransactionId("bench", i) : builder).build(engine);
            TransactionCommitResult result = txn.commit(engine, KernelTables.appendActions(engine, txn, i, 1));
            snapshots.set(t, afterHooks(engine, result, checkpointEvery, paths.get(t)));
        }
        double n = count;
        return new double[] {(threads.getCurrentThreadCpuTime() - cpu0) / 1e6 / n, (os.getProcessCpuTime() - jvm0) / 1e6 / n,
                (System.nanoTime() - wall0) / 1e6 / n};
    }
}
