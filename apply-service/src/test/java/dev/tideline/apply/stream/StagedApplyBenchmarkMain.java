package dev.tideline.apply.stream;

import dev.tideline.apply.delta.ScdType;
import dev.tideline.apply.delta.WriterSettings;
import dev.tideline.core.Lsn;
import dev.tideline.core.TidelineException;
import dev.tideline.core.sink.SinkCommit;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One apply-service pipeline applier in a JVM of its own (the benchmark starts it with
 * {@code -Xmx512m}), at the service's default settings: applies everything staged, then prints one
 * {@code BENCHMARK} line — rows applied, seconds, rows/s, peak heap used (sampled every 20 ms, and the sum
 * of the heap pools' peaks) and peak RSS ({@code VmHWM}) — and exits.
 *
 * <p>Arguments: natsUrl gateway pipeline warehouse label.
 */
public final class StagedApplyBenchmarkMain {

    private StagedApplyBenchmarkMain() {
    }

    public static void main(String[] args) throws Exception {
        // The test class path brings JBoss LogManager with Quarkus's start-up handler but no Quarkus to
        // configure it: every logger at DEBUG, and Parquet then logs each value it writes (and the handler
        // keeps the records). The service runs at INFO.
        org.jboss.logmanager.LogContext.getLogContext().getLogger("").setLevel(java.util.logging.Level.INFO);
        String label = args[4];
        AtomicLong sampledPeak = new AtomicLong();
        AtomicLong liveAfterGc = new AtomicLong();
        Thread sampler = new Thread(() -> {
            Runtime rt = Runtime.getRuntime();
            while (true) {
                sampledPeak.accumulateAndGet(rt.totalMemory() - rt.freeMemory(), Math::max);
                // What the last collection left of each heap pool: the live set (plus what it could not free).
                long afterGc = 0;
                for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                    if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
                        afterGc += pool.getCollectionUsage().getUsed();
                    }
                }
                liveAfterGc.accumulateAndGet(afterGc, Math::max);
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        Connection nats = Nats.connect(new Options.Builder().server(args[0]).maxReconnects(-1).build());
        AtomicLong rows = new AtomicLong();
        AtomicLong commits = new AtomicLong();
        ApplyListener listener = new ApplyListener() {
            @Override
            public void committed(TableTarget target, String location, Lsn appliedLsn, long rowChanges, SinkCommit outcome) {
                rows.addAndGet(rowChanges);
                commits.incrementAndGet();
            }

            @Override
            public void failed(TableTarget target, TidelineException error) {
                System.out.println("FAILED " + error.getMessage());
            }
        };
        long start = System.nanoTime();
        PipelineApplier applier = new PipelineApplier(nats, args[1], args[2], routes(), DeltaEngines.forWarehouse(args[3],
                EngineSettings.defaults()), args[3], ApplySettings.DEFAULT, WriterSettings.DEFAULT, listener);
        applier.start();
        applier.runUntilCaughtUp(Duration.ofMinutes(60));
        double seconds = (System.nanoTime() - start) / 1e9;
        applier.close();
        nats.close();
        long gcMillis = 0;
        long gcs = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            gcMillis += Math.max(0, gc.getCollectionTime());
            gcs += Math.max(0, gc.getCollectionCount());
        }
        double cpu = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
        System.out.printf("BENCHMARK %s: %d row changes in %d commits, %.1f s, %.0f rows/s; heap max %d MiB, peak used %d MiB "
                        + "(sampled, garbage included), peak left after a GC %d MiB, peak RSS %s; CPU %.1f s, GC %d in %.1f s%n", label,
                rows.get(), commits.get(), seconds, rows.get() / seconds, Runtime.getRuntime().maxMemory() >> 20, sampledPeak.get() >> 20,
                liveAfterGc.get() >> 20, vmHwm(), cpu, gcs, gcMillis / 1e3);
        System.out.flush();
        System.exit(0);
    }

    static TableRouter routes() {
        return TableRoutes.of(new TableTarget(StagedApplyBenchmarkIT.TABLE, "main", "bench", "accounts", ScdType.SCD_TYPE_1, List.of()));
    }

    private static String vmHwm() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return line.substring(6).trim();
                }
            }
        } catch (Exception e) {
            // not Linux
        }
        return "n/a";
    }
}
