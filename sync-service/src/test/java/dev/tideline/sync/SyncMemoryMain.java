package dev.tideline.sync;

import dev.tideline.delta.DeltaEngines;
import dev.tideline.sync.delta.DeltaSource;
import dev.tideline.sync.delta.FoldLimits;
import dev.tideline.sync.engine.SyncOptions;
import dev.tideline.sync.engine.SyncOutcome;
import dev.tideline.sync.engine.SyncedTableSyncer;
import dev.tideline.sync.model.NullBytePolicy;
import dev.tideline.sync.model.SchedulingPolicy;
import dev.tideline.sync.model.SyncFaults;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.model.TargetTable;
import dev.tideline.sync.postgres.PostgresTarget;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * One sync in a JVM of its own, for {@link SyncMemoryBenchmark}: run it with {@code -Xmx512m}; it
 * prints {@code RESULT <mode> <rows> <seconds> <peak heap used> <peak heap after GC> <peak RSS KiB>
 * <peak spill bytes> <reason>}, or dies of OutOfMemoryError.
 *
 * <p>Arguments: host port user password database warehouse tablePath table fullRefresh foldMemoryBytes spillRoot
 */
public final class SyncMemoryMain {

    private SyncMemoryMain() {
    }

    public static void main(String[] args) throws Exception {
        PostgresTarget target = new PostgresTarget(args[0], Integer.parseInt(args[1]), args[2], args[3], args[4]);
        var engine = DeltaEngines.forWarehouse(args[5]);
        String path = args[6];
        String table = args[7];
        boolean full = Boolean.parseBoolean(args[8]);
        long foldMemory = Long.parseLong(args[9]);
        Path spillRoot = Path.of(args[10]);
        SyncedTableDefinition def = new SyncedTableDefinition("synced.public." + table, "main.src." + table, path,
                new TargetTable(args[4], "public", table), List.of("id"), Optional.empty(), SchedulingPolicy.TRIGGERED, NullBytePolicy.FAIL, true);
        // The 10% rule out of the way: the benchmark measures the incremental path on a commit that changes every row.
        SyncOptions options = new SyncOptions(2, 1000).withFold(new FoldLimits(foldMemory, FoldLimits.DEFAULT_PARTITIONS, spillRoot));
        SyncedTableSyncer syncer = new SyncedTableSyncer(def, target, new DeltaSource(engine, path, def.sourceTableName()), options,
                SyncFaults.NONE);

        AtomicLong peakUsed = new AtomicLong();
        AtomicLong peakAfterGc = new AtomicLong();
        AtomicLong peakSpill = new AtomicLong();
        Thread sampler = new Thread(() -> {
            var memory = ManagementFactory.getMemoryMXBean();
            long n = 0;
            while (!Thread.currentThread().isInterrupted()) {
                peakUsed.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                peakAfterGc.accumulateAndGet(afterLastGc(), Math::max);
                if (n++ % 20 == 0) {
                    peakSpill.accumulateAndGet(size(spillRoot), Math::max);
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "memory-sampler");
        sampler.setDaemon(true);
        sampler.start();
        long t0 = System.nanoTime();
        SyncOutcome outcome = syncer.sync(full);
        double seconds = (System.nanoTime() - t0) / 1e9;
        sampler.interrupt();
        System.out.printf("RESULT %s %d %.3f %d %d %d %d %s%n", outcome.mode(), outcome.rowsApplied(), seconds, peakUsed.get(),
                peakAfterGc.get(), peakResidentKiB(), peakSpill.get(), outcome.reason().replace('\n', ' '));
        System.out.flush();
    }

    /**
     * The heap the collectors left in use after their last collection, over all heap pools: sampled
     * over time, its peak approximates the live data a sync held, without the garbage that a sampled
     * "used" includes.
     */
    private static long afterLastGc() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
                sum += pool.getCollectionUsage().getUsed();
            }
        }
        return sum;
    }

    private static long peakResidentKiB() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static long size(Path root) {
        if (!Files.exists(root)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (Exception e) {
                    return 0; // deleted meanwhile
                }
            }).sum();
        } catch (Exception e) {
            return 0;
        }
    }
}
