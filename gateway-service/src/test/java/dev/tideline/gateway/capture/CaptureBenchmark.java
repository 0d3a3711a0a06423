package dev.tideline.gateway.capture;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.naming.Subjects;
import dev.tideline.core.wire.BatchLimits;
import dev.tideline.core.wire.ChangeBatch;
import dev.tideline.core.wire.WireCodec;
import dev.tideline.gateway.publish.JetStreamPublisher;
import dev.tideline.gateway.snapshot.SnapshotProgressStore;
import dev.tideline.gateway.snapshot.SnapshotSettings;
import dev.tideline.gateway.snapshot.SnapshotWindows;
import dev.tideline.gateway.source.postgres.PostgresReplicationSource;
import dev.tideline.gateway.snapshot.TableSnapshots;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithNats;
import dev.tideline.testing.WithPostgres;
import io.nats.client.Connection;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.DeliverPolicy;
import java.io.OutputStream;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/**
 * Opt-in benchmark (not a timed test): run with
 * {@code ./mvnw -B -o -pl gateway-service test -Dtest=CaptureBenchmark -Dtideline.benchmark=true -Dsurefire.failIfNoSpecifiedTests=false}
 * ({@code -Dtideline.benchmark.rows=N} to change the 1M rows). Prints each number next to its
 * reference measured in the same run on the same data:
 * <ol>
 *   <li>one transaction of N rows, commit → slot confirmed behind the last JetStream acknowledgement,
 *       next to {@code pg_recvlogical} decoding the same WAL (pgoutput, same publication) to /dev/null;</li>
 *   <li>commit → JetStream delivery latency p50/p99 at a steady 1,000 single-row transactions/s;</li>
 *   <li>snapshot rows/s of the N-row table, next to {@code COPY (SELECT …) TO STDOUT} of it.</li>
 * </ol>
 */
@WithPostgres
@WithNats
class CaptureBenchmark {

    @Test
    void benchmark(PostgresServer pg, NatsServer nats) throws Exception {
        assumeTrue(Boolean.getBoolean("tideline.benchmark"), "opt-in: -Dtideline.benchmark=true");
        int rows = Integer.getInteger("tideline.benchmark.rows", 1_000_000);
        CaptureFixture f = new CaptureFixture("bench", pg, nats, 1, 41);
        TableId table = TableId.of("bench", "big");
        f.sql("CREATE TABLE bench.big (id bigint PRIMARY KEY, qty int, note text, amount numeric(12,2))",
                "ALTER PUBLICATION bench_pub ADD TABLE bench.big",
                "SELECT pg_create_logical_replication_slot('bench_ref', 'pgoutput')");
        SnapshotWindows windows = new SnapshotWindows(f.name, BatchLimits.DEFAULT);
        ChangeCapture.Settings settings = new ChangeCapture.Settings(f.name,
                new PostgresReplicationSource.Settings(f.name + "_slot", f.name + "_pub", 1, Duration.ofMillis(500)),
                new JetStreamPublisher.Settings(Duration.ofMinutes(2), 8L * 1024 * 1024 * 1024, Duration.ofHours(1), 2_000, 64L * 1024 * 1024,
                        Duration.ofSeconds(30)),
                BatchLimits.DEFAULT, Duration.ofMillis(5), Duration.ofSeconds(1), Duration.ofMillis(200), Duration.ofSeconds(5));
        StringBuilder report = new StringBuilder("\n==== gateway benchmark (" + rows + " rows) ====\n");
        try (ChangeCapture capture = new ChangeCapture(settings, pg::replicationConnection, ChangeCapture.NatsConnector.of(nats.url()), windows,
                p -> false); Connection client = f.natsClient()) {
            capture.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> capture.state() == ChangeCapture.State.STREAMING);

            // 1. One big transaction.
            long t0 = System.nanoTime();
            f.sql("INSERT INTO bench.big SELECT g, g % 1000, 'note ' || g, (g % 100000) / 100.0 FROM generate_series(1, " + rows + ") g");
            long committed = System.nanoTime();
            Lsn end = f.currentWalLsn();
            while (capture.confirmedLsn().isBefore(end)) {
                Thread.sleep(2);
            }
            double gatewaySeconds = (System.nanoTime() - committed) / 1e9;
            double refSeconds = pgRecvLogical(pg, "bench_ref", "bench_pub", end);
            report.append(String.format("1M-row transaction: gateway commit→last ack %.2f s = %.0f rows/s; pg_recvlogical same WAL %.2f s = %.0f rows/s;"
                            + " ratio %.2f (insert itself took %.2f s)%n", gatewaySeconds, rows / gatewaySeconds, refSeconds, rows / refSeconds,
                    refSeconds / gatewaySeconds, (committed - t0) / 1e9));

            // 2. Latency at a steady 1,000 transactions/s.
            List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
            JetStreamSubscription sub = client.jetStream().subscribe(Subjects.changes(f.name, f.items),
                    PushSubscribeOptions.builder().ordered(true).configuration(
                            io.nats.client.api.ConsumerConfiguration.builder().deliverPolicy(DeliverPolicy.New).build()).build());
            Thread receiver = new Thread(() -> {
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        Message m = sub.nextMessage(Duration.ofMillis(500));
                        if (m == null) {
                            continue;
                        }
                        long now = System.currentTimeMillis() * 1000 + (System.nanoTime() / 1000) % 1000;
                        Map<String, String> headers = new HashMap<>();
                        m.getHeaders().keySet().forEach(k -> headers.put(k, m.getHeaders().getFirst(k)));
                        if (WireCodec.decode(headers, m.getData()) instanceof ChangeBatch.Rows r) {
                            Instant commit = r.commitTime();
                            latencies.add(now - (commit.getEpochSecond() * 1_000_000 + commit.getNano() / 1000));
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            receiver.start();
            int seconds = 10;
            try (java.sql.Connection c = pg.connect(); Statement s = c.createStatement()) {
                long start = System.nanoTime();
                for (int i = 0; i < seconds * 1000; i++) {
                    long due = start + i * 1_000_000L;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    s.execute("INSERT INTO " + f.items.quoted() + " VALUES (" + (10_000_000 + i) + ", 'x')");
                }
                double achieved = seconds * 1000 / ((System.nanoTime() - start) / 1e9);
                await().atMost(Duration.ofSeconds(60)).until(() -> latencies.size() >= seconds * 1000);
                receiver.interrupt();
                List<Long> sorted = new ArrayList<>(latencies);
                Collections.sort(sorted);
                report.append(String.format("steady load %.0f tx/s: commit→JetStream delivery p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d transactions)%n",
                        achieved, sorted.get(sorted.size() / 2) / 1000.0, sorted.get((int) (sorted.size() * 0.99)) / 1000.0,
                        sorted.get(sorted.size() - 1) / 1000.0, sorted.size()));
            }
            sub.unsubscribe();

            // 3. Snapshot of the big table next to COPY.
            f.sql("ANALYZE bench.big");
            long copyStart = System.nanoTime();
            long copied;
            try (java.sql.Connection c = pg.connect()) {
                copied = c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY (SELECT * FROM bench.big) TO STDOUT", OutputStream.nullOutputStream());
            }
            double copySeconds = (System.nanoTime() - copyStart) / 1e9;
            // Where a snapshot's time goes: planning, and reading + decoding the rows on one connection.
            double planSeconds;
            double fetchSeconds;
            try (java.sql.Connection c = pg.connect(); Statement s = c.createStatement()) {
                long p0 = System.nanoTime();
                try (ResultSet rs = s.executeQuery("SELECT s.id::text FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM bench.big) s "
                        + "WHERE s.rn % 50000 = 1 AND s.rn > 1 ORDER BY s.id")) {
                    while (rs.next()) {
                        rs.getString(1);
                    }
                }
                planSeconds = (System.nanoTime() - p0) / 1e9;
                c.setAutoCommit(false);
                s.setFetchSize(2000);
                long f0 = System.nanoTime();
                try (ResultSet rs = s.executeQuery("SELECT format('%s', id), format('%s', qty), format('%s', note), format('%s', amount) FROM bench.big")) {
                    while (rs.next()) {
                        dev.tideline.core.value.PgTextValues.decode(20, -1, rs.getString(1));
                        dev.tideline.core.value.PgTextValues.decode(23, -1, rs.getString(2));
                        dev.tideline.core.value.PgTextValues.decode(25, -1, rs.getString(3));
                        dev.tideline.core.value.PgTextValues.decode(1700, 786438, rs.getString(4));
                    }
                }
                fetchSeconds = (System.nanoTime() - f0) / 1e9;
                c.commit();
            }
            report.append(String.format("  breakdown: chunk planning query %.2f s; one connection fetching + decoding all rows %.2f s = %.0f rows/s%n",
                    planSeconds, fetchSeconds, rows / fetchSeconds));
            int parallelism = Integer.getInteger("tideline.benchmark.parallelism", 2);
            try (TableSnapshots snapshots = new TableSnapshots(f.name, pg::connect, windows, new SnapshotProgressStore(client, f.name),
                    new SnapshotSettings(50_000, parallelism, Duration.ofMinutes(5), 5, Duration.ofSeconds(1)))) {
                long snapStart = System.nanoTime();
                snapshots.start(List.of(table));
                await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(20)).until(() -> snapshots.states().get(table) != null
                        && "DONE".equals(snapshots.states().get(table).progress().state()));
                double snapSeconds = (System.nanoTime() - snapStart) / 1e9;
                long snapRows = snapshots.states().get(table).progress().rows();
                report.append(String.format("snapshot (%d readers): %d rows in %.2f s = %.0f rows/s; COPY (SELECT *) TO STDOUT %d rows in %.2f s"
                        + " = %.0f rows/s; ratio %.2f%n", parallelism, snapRows, snapSeconds, snapRows / snapSeconds, copied, copySeconds,
                        copied / copySeconds, (snapRows / snapSeconds) / (copied / copySeconds)));
            }
        }
        System.out.println(report);
    }

    /** Runs pg_recvlogical on {@code slot} until {@code end}; returns the seconds it took. */
    private static double pgRecvLogical(PostgresServer pg, String slot, String publication, Lsn end) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("pg_recvlogical", "-d", "postgres", "-h", pg.host(), "-p", Integer.toString(pg.port()), "-U",
                pg.user(), "--slot", slot, "--start", "-o", "proto_version=1", "-o", "publication_names=" + publication, "--endpos", end.toString(),
                "-f", "/dev/null", "--no-loop");
        if (pg.password() != null) {
            pb.environment().put("PGPASSWORD", pg.password());
        }
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        long start = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("pg_recvlogical failed with " + (p.isAlive() ? "a timeout" : "exit " + p.exitValue()));
        }
        return (System.nanoTime() - start) / 1e9;
    }
}
