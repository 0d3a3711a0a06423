package dev.tideline.gateway.capture;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tideline.core.Lsn;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithNats;
import dev.tideline.testing.WithPostgres;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Opt-in benchmark (not a timed test): one source transaction updating N rows (20 million by
 * default), captured by a gateway JVM limited to {@code -Xmx512m} (the deployment docs' container
 * size), with pgoutput protocol 2 so that Postgres streams the open transaction and the gateway
 * must hold it until the commit. Run with
 * {@code ./mvnw -B -o -pl gateway-service -am verify -Dtest=LargeTransactionBenchmark -Dtideline.benchmark=true -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=none -Dfailsafe.failIfNoSpecifiedTests=false}
 * ({@code -Dtideline.benchmark.rows=N}). Prints the gateway's commit → slot confirmed time (with
 * streaming, most of the decoding overlaps the UPDATE itself, so the time from its start is
 * printed too), its peak resident memory ({@code VmHWM}), peak heap used and peak spill, next to
 * {@code pg_recvlogical} decoding the same WAL to /dev/null afterwards in the same run.
 */
@WithPostgres
@WithNats
class LargeTransactionBenchmark {

    @Test
    void benchmark(PostgresServer pg, NatsServer nats, @org.junit.jupiter.api.io.TempDir Path spill) throws Exception {
        assumeTrue(Boolean.getBoolean("tideline.benchmark"), "opt-in: -Dtideline.benchmark=true");
        int rows = Integer.getInteger("tideline.benchmark.rows", 20_000_000);
        CaptureFixture f = new CaptureFixture("large", pg, nats, 2, 7, false);
        f.sql("CREATE TABLE large.big (id bigint PRIMARY KEY, qty int, note text, amount numeric(12,2))",
                "ALTER PUBLICATION large_pub ADD TABLE large.big");
        long loadStart = System.nanoTime();
        f.sql("INSERT INTO large.big SELECT g, g % 1000, 'note ' || g, (g % 100000) / 100.0 FROM generate_series(1, " + rows + ") g");
        double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
        f.createSlot();
        f.sql("SELECT pg_create_logical_replication_slot('large_ref', 'pgoutput')");

        Process gateway = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), CaptureProcess.class.getName(),
                pg.jdbcUrl(), pg.user(), pg.password() == null ? "" : pg.password(), nats.url(), f.name, spill.toString())
                .redirectErrorStream(true).start();
        AtomicLong peakSpill = new AtomicLong();
        AtomicLong peakHeap = new AtomicLong();
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(gateway.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    String[] words = line.split(" ");
                    if (words.length >= 4 && words[0].equals("spilled")) {
                        peakSpill.accumulateAndGet(Long.parseLong(words[1]), Math::max);
                        peakHeap.accumulateAndGet(Long.parseLong(words[3]), Math::max);
                    } else if (!line.isBlank()) {
                        System.out.println("[gateway] " + line);
                    }
                }
            } catch (Exception ignored) {
                // the process was destroyed
            }
        });
        reader.start();
        try {
            long updateStart = System.nanoTime();
            f.sql("UPDATE large.big SET qty = qty + 1, note = note || '+'");
            long committed = System.nanoTime();
            Lsn end = f.currentWalLsn();
            while (f.confirmedFlushLsn().isBefore(end)) {
                if (!gateway.isAlive()) {
                    throw new IllegalStateException("the gateway JVM died (exit " + gateway.exitValue() + ")");
                }
                Thread.sleep(20);
            }
            double gatewaySeconds = (System.nanoTime() - committed) / 1e9;
            double totalSeconds = (System.nanoTime() - updateStart) / 1e9;
            long peakRss = peakResidentKiB(gateway.pid());
            double refSeconds = CaptureBenchmark.pgRecvLogical(pg, "large_ref", "large_pub", end);
            System.out.printf("%n==== large transaction benchmark (%d rows in one UPDATE) ====%n"
                            + "gateway -Xmx512m, pgoutput 2: commit → slot confirmed %.1f s (start of the UPDATE → confirmed %.1f s);"
                            + " pg_recvlogical decoding the same WAL afterwards %.1f s = %.0f rows/s%n"
                            + "gateway memory: peak RSS %d MiB, peak heap used %d MiB, peak spill %d MiB%n"
                            + "(load of the table %.1f s, the UPDATE itself %.1f s)%n",
                    rows, gatewaySeconds, totalSeconds, refSeconds, rows / refSeconds,
                    peakRss / 1024, peakHeap.get() >> 20, peakSpill.get() >> 20, loadSeconds, (committed - updateStart) / 1e9);
        } finally {
            gateway.destroy();
            gateway.waitFor();
        }
    }

    /** {@code VmHWM} of a live process: its peak resident set size. */
    private static long peakResidentKiB(long pid) throws Exception {
        List<String> status = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"));
        for (String line : status) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmHWM in /proc/" + pid + "/status");
    }
}
