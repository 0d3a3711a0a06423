package dev.tideline.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Opt-in benchmark (not a timed test) of bounded memory end to end, on the stack {@code deploy/local/up.sh}
 * starts with every service at {@code -Xmx512m} (override with {@code -Dtideline.benchmark.java-opts}):
 * a pgbench database of {@code -Dtideline.benchmark.scale} × 100,000 accounts (200: 20 million) is
 * <ol>
 *   <li>snapshotted into Delta and synced into the target Postgres (a CONTINUOUS synced table of
 *       {@code pgbench_accounts}), next to {@code COPY} of the same table from source to target in the same
 *       run as the reference;</li>
 *   <li>then updated by <em>one</em> transaction touching every account, which must pass through the gateway
 *       (spilled while Postgres streams it), apply (one staged Delta commit) and sync, next to the
 *       {@code UPDATE} itself in the source as the reference.</li>
 * </ol>
 * Prints the time and rows/s of each, and the peak resident memory ({@code VmHWM}) of every service.
 * Run alone: {@code ./mvnw -B -o -pl api-service,apply-service,sync-service,gateway-service,e2e -am verify
 * -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=LargeDataBenchmark -Dfailsafe.failIfNoSpecifiedTests=false
 * -Dtideline.benchmark=true -Dtideline.benchmark.scale=200}.
 */
class LargeDataBenchmark {

    @Test
    void benchmark() throws Exception {
        assumeTrue(Boolean.getBoolean("tideline.benchmark"), "opt-in: -Dtideline.benchmark=true");
        int scale = Integer.getInteger("tideline.benchmark.scale", 200);
        long accounts = scale * 100_000L;
        String javaOpts = System.getProperty("tideline.benchmark.java-opts", "-Xmx512m -XX:+ExitOnOutOfMemoryError");
        StringBuilder report = new StringBuilder(String.format("%n==== large data benchmark: %,d accounts, services at %s ====%n",
                accounts, javaOpts));
        try (PgbenchWorkload bench = PgbenchWorkload.onANewStack("LargeDataBenchmark", Map.of("TIDELINE_JAVA_OPTS", javaOpts))) {
            long t0 = System.nanoTime();
            bench.initialiseTheSource(scale);
            report.append(String.format("pgbench -i -s %d: %.1f s%n", scale, seconds(t0)));

            // Reference: the same table copied from source to target by COPY, in this run.
            long copyStart = System.nanoTime();
            Sql.run(bench.targetUrl().replace("/bench_synced?", "/postgres?"), "CREATE DATABASE bench_copy");
            String copyUrl = bench.targetUrl().replace("/bench_synced?", "/bench_copy?");
            Sql.run(copyUrl, "CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84))");
            long copied = Sql.copy(bench.sourceUrl(), "COPY pgbench_accounts TO STDOUT", copyUrl, "COPY pgbench_accounts FROM STDIN");
            double copySeconds = seconds(copyStart);

            long snapshotStart = System.nanoTime();
            bench.createThePipelines();
            bench.createTheSyncedTable();
            awaitTargetEqualsSource(bench, accounts);
            double snapshotSeconds = seconds(snapshotStart);
            report.append(String.format("snapshot source → Delta → synced table: %.1f s = %,.0f rows/s; COPY source → target %.1f s = %,.0f rows/s"
                    + " (%,d rows); ratio %.2f%n", snapshotSeconds, accounts / snapshotSeconds, copySeconds, copied / copySeconds, copied,
                    copySeconds / snapshotSeconds));
            report.append(memory(bench.stack())).append('\n');

            long updateStart = System.nanoTime();
            Sql.run(bench.sourceUrl(), "UPDATE pgbench_accounts SET abalance = abalance + 1");
            double updateSeconds = seconds(updateStart);
            awaitTargetEqualsSource(bench, accounts);
            double endToEndSeconds = seconds(updateStart);
            report.append(String.format("one UPDATE of %,d rows: in the source %.1f s; source → Delta → synced table visible %.1f s after it began"
                    + " (%.1f s after its commit) = %,.0f rows/s%n", accounts, updateSeconds, endToEndSeconds, endToEndSeconds - updateSeconds,
                    accounts / endToEndSeconds));
            report.append(memory(bench.stack())).append('\n');
        }
        System.out.println(report);
    }

    /** The synced table has every account with the source's balances (count and sum compared). */
    private static void awaitTargetEqualsSource(PgbenchWorkload bench, long accounts) {
        String query = "SELECT count(*), coalesce(sum(abalance), 0) FROM pgbench_accounts";
        Awaitility.await().atMost(Duration.ofHours(2)).pollInterval(Duration.ofSeconds(2)).ignoreExceptions().until(() -> {
            List<String> source = Sql.query(bench.sourceUrl(), query).get(0);
            List<String> target = Sql.query(bench.targetUrl(), query.replace("pgbench_accounts", "public.pgbench_accounts")).get(0);
            return Long.parseLong(source.get(0)) == accounts && source.equals(target);
        });
    }

    private static String memory(LocalStack stack) throws Exception {
        StringBuilder line = new StringBuilder("peak RSS so far:");
        for (String part : List.of("gateway", "apply", "sync", "api", "nats")) {
            line.append(String.format(" %s %d MiB", part, stack.peakResidentKiB(part) / 1024));
        }
        return line.toString();
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
