package dev.tideline.gateway.capture;

import dev.tideline.core.TableId;
import dev.tideline.core.wire.BatchLimits;
import dev.tideline.gateway.publish.JetStreamPublisher;
import dev.tideline.gateway.run.GatewayRunner;
import dev.tideline.gateway.snapshot.SnapshotProgressStore;
import dev.tideline.gateway.snapshot.SnapshotSettings;
import dev.tideline.gateway.snapshot.SnapshotWindows;
import dev.tideline.gateway.snapshot.TableSnapshots;
import dev.tideline.gateway.source.postgres.PostgresReplicationSource;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * For {@link SnapshotScaleBenchmark}: a gateway's capture and snapshot of one table alone in a JVM of
 * its own, so that its heap limit and resident memory are the gateway's and nothing else's. Starts
 * the capture on the existing slot, snapshots the table once (watermarks), prints
 * {@code sample <heap used bytes> <VmRSS KiB>} every 100 ms while it runs and, at the end,
 * {@code done <rows> <chunks> <chunk phase s> <planning s> <begin s> <done s> <peak heap used bytes> <VmHWM KiB> <peak heap after GC bytes>},
 * then exits. Heap "used" counts garbage not yet collected (G1 lets it grow to the limit); after GC
 * is the sum over the heap's pools of what the last collection left, sampled.
 *
 * <p>Arguments: the shared ones ({@link ProcessArguments}: JDBC URL, user, password, NATS URL, gateway id),
 * table as {@code schema.name},
 * parallelism, chunk bytes (as configured: lowered on a small heap as the service does, and printed as
 * {@code chunk-bytes <bytes>}), rows per chunk, stream max bytes.
 */
public final class SnapshotProcess {

    private SnapshotProcess() {
    }

    public static void main(String[] args) throws Exception {
        ProcessArguments shared = ProcessArguments.parse(args);
        String id = shared.id();
        String[] name = args[5].split("\\.");
        TableId table = TableId.of(name[0], name[1]);
        int parallelism = Integer.parseInt(args[6]);
        // As the service sizes them: the configured chunk bytes, lowered on a small heap.
        long chunkBytes = GatewayRunner.chunkBytesFor(Long.parseLong(args[7]), parallelism, Runtime.getRuntime().maxMemory());
        System.out.println("chunk-bytes " + chunkBytes);
        SnapshotSettings snapshot = new SnapshotSettings(Integer.parseInt(args[8]), parallelism, Duration.ofMinutes(5), 5,
                Duration.ofSeconds(1)).withChunkBytes(chunkBytes);
        ChangeCapture.Settings settings = new ChangeCapture.Settings(id,
                new PostgresReplicationSource.Settings(id + "_slot", id + "_pub", 1, Duration.ofMillis(500)),
                // The service's in-flight window (2,000 messages, 64 MiB); the stream's size as the benchmark asks.
                new JetStreamPublisher.Settings(Duration.ofMinutes(2), Long.parseLong(args[9]), Duration.ofHours(1), 2_000,
                        64L * 1024 * 1024, Duration.ofSeconds(30)),
                BatchLimits.DEFAULT, Duration.ofMillis(5), Duration.ofSeconds(1), Duration.ofMillis(200), Duration.ofSeconds(5));
        SnapshotWindows windows = new SnapshotWindows(id, BatchLimits.DEFAULT);
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        AtomicLong peakHeap = new AtomicLong();
        AtomicLong peakLive = new AtomicLong();
        List<java.lang.management.MemoryPoolMXBean> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == java.lang.management.MemoryType.HEAP && p.getCollectionUsage() != null).toList();
        Thread sampler = new Thread(() -> {
            try {
                while (true) {
                    long used = memory.getHeapMemoryUsage().getUsed();
                    peakHeap.accumulateAndGet(used, Math::max);
                    // What the last collection left of each pool: the live data, without the garbage "used" counts too.
                    peakLive.accumulateAndGet(heapPools.stream().mapToLong(p -> p.getCollectionUsage().getUsed()).sum(), Math::max);
                    System.out.println("sample " + used + " " + status("VmRSS:"));
                    Thread.sleep(100);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                System.out.println("sampler failed: " + e);
            }
        }, "memory-sampler");
        sampler.setDaemon(true);
        try (ChangeCapture capture = new ChangeCapture(settings, PostgresReplicationSource.jdbc(shared.jdbcUrl(), shared.credentials()),
                ChangeCapture.NatsConnector.of(shared.natsUrl()), windows, p -> false);
             Connection client = Nats.connect(shared.natsUrl())) {
            capture.start();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (capture.state() != ChangeCapture.State.STREAMING) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the capture did not start streaming: " + capture.state());
                }
                Thread.sleep(20);
            }
            sampler.start();
            try (TableSnapshots snapshots = new TableSnapshots(id,
                    () -> DriverManager.getConnection(shared.jdbcUrl(), shared.credentials()), windows,
                    new SnapshotProgressStore(client, id), snapshot)) {
                snapshots.start(List.of(table));
                TableSnapshots.TableState state;
                String lastError = null;
                while ((state = snapshots.states().get(table)) == null || state.phases() == null) {
                    if (state != null && state.error() != null && !state.error().equals(lastError)) {
                        lastError = state.error();
                        System.out.println("error " + lastError);
                    }
                    Thread.sleep(50);
                }
                sampler.interrupt();
                System.out.printf("done %d %d %.3f %.3f %.3f %.3f %d %d %d%n", state.progress().rows(), state.progress().chunks().size(),
                        state.phases().chunks().toNanos() / 1e9, state.phases().planning().toNanos() / 1e9,
                        state.phases().begin().toNanos() / 1e9, state.phases().done().toNanos() / 1e9,
                        peakHeap.get(), status("VmHWM:"), peakLive.get());
                System.out.flush();
            }
        }
        System.exit(0);
    }

    /** A {@code /proc/self/status} field in KiB. */
    private static long status(String field) throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
