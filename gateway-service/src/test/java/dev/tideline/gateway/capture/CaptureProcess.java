package dev.tideline.gateway.capture;

import dev.tideline.core.wire.BatchLimits;
import dev.tideline.gateway.publish.JetStreamPublisher;
import dev.tideline.gateway.source.postgres.PostgresReplicationSource;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;

/**
 * For {@link LargeTransactionBenchmark}: one change capture alone in a JVM of its own, so that its
 * heap limit and resident memory are the gateway's and nothing else's. Runs until killed; prints
 * {@code spilled <bytes> heap <bytes>} twice a second.
 *
 * <p>Arguments: the shared ones ({@link ProcessArguments}: JDBC URL, user, password, NATS URL, gateway
 * id), spill directory.
 */
public final class CaptureProcess {

    private CaptureProcess() {
    }

    public static void main(String[] args) throws Exception {
        ProcessArguments shared = ProcessArguments.parse(args);
        String id = shared.id();
        ChangeCapture.Settings settings = new ChangeCapture.Settings(id,
                new PostgresReplicationSource.Settings(id + "_slot", id + "_pub", 2, Duration.ofMillis(500), Path.of(args[5])),
                new JetStreamPublisher.Settings(Duration.ofMinutes(2), 16L * 1024 * 1024 * 1024, Duration.ofHours(1), 2_000,
                        64L * 1024 * 1024, Duration.ofSeconds(30)),
                BatchLimits.DEFAULT, Duration.ofMillis(5), Duration.ofSeconds(1), Duration.ofMillis(200), Duration.ofSeconds(5));
        try (ChangeCapture capture = new ChangeCapture(settings, PostgresReplicationSource.jdbc(shared.jdbcUrl(), shared.credentials()),
                ChangeCapture.NatsConnector.of(shared.natsUrl()))) {
            capture.start();
            var memory = ManagementFactory.getMemoryMXBean();
            while (true) {
                System.out.println("spilled " + capture.spilledBytes() + " heap " + memory.getHeapMemoryUsage().getUsed()
                        + " state " + capture.state());
                System.out.flush();
                Thread.sleep(500);
            }
        }
    }
}
