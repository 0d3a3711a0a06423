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
import dev.tideline.gateway.snapshot.SnapshotPhases;
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
 *   <li>snapshot rows/s of the N-row table, next to {@code COPY (SELECT …) TO STDOUT} of it (text, the
 *       issue's reference, timed around the COPY alone on an open connection), in rounds (each a full
 *       refresh). The snapshot is timed by the run itself ({@link SnapshotPhases#chunks()}): from the
 *       first chunk's read to the JetStream acknowledgement of the last chunk's rows; planning, the
 *       BEGIN marker with the wait for older transactions, and DONE are printed apart. Each round also
 *       prints CPU seconds per process (this JVM by thread group, the Postgres cluster, nats-server)
 *       for the snapshot and for the reference, and its stages from the same run: COPY BINARY into a
 *       discarding sink, the gateway's reader and framing alone, and JetStream storing the same bytes
 *       alone.</li>
 * </ol>
 * {@code -Dtideline.benchmark.snapshot-only=true} skips 1 and 2 (and makes the default table 2M rows);
 * {@code .snapshot-rounds}, {@code .parallelism}, {@code .rows-per-chunk}, {@code .chunk-bytes} and {@code .batch-bytes}
 * (SNAPSHOT message size, 256 KiB) vary the snapshot.
 */
@WithPostgres
@WithNats
class CaptureBenchmark {

    @Test
    void benchmark(PostgresServer pg, NatsServer nats) throws Exception {
        assumeTrue(Boolean.getBoolean("tideline.benchmark"), "opt-in: -Dtideline.benchmark=true");
        boolean snapshotOnly = Boolean.getBoolean("tideline.benchmark.snapshot-only");
        // The snapshot alone gets a larger table by default: at ~1M rows/s, 1M rows is about a second.
        int rows = Integer.getInteger("tideline.benchmark.rows", snapshotOnly ? 2_000_000 : 1_000_000);
        int snapshotRounds = Integer.getInteger("tideline.benchmark.snapshot-rounds", 2);
        CaptureFixture f = new CaptureFixture("bench", pg, nats, 1, 41);
        TableId table = TableId.of("bench", "big");
        f.sql("CREATE TABLE bench.big (id bigint PRIMARY KEY, qty int, note text, amount numeric(12,2))",
                "ALTER PUBLICATION bench_pub ADD TABLE bench.big",
                "SELECT pg_create_logical_replication_slot('bench_ref', 'pgoutput')");
        int batchBytes = Integer.getInteger("tideline.benchmark.batch-bytes", BatchLimits.DEFAULT_TARGET_BYTES);
        SnapshotWindows windows = new SnapshotWindows(f.name, new BatchLimits(batchBytes, Math.max(batchBytes, BatchLimits.DEFAULT_MAX_BYTES)));
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
            if (snapshotOnly) {
                f.sql("INSERT INTO bench.big SELECT g, g % 1000, 'note ' || g, (g % 100000) / 100.0 FROM generate_series(1, " + rows + ") g");
                Lsn end = f.currentWalLsn();
                await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(20)).until(() -> !capture.confirmedLsn().isBefore(end));
            } else {
                streaming(f, pg, capture, client, rows, report);
            }

            // 3. Snapshot of the big table next to COPY, with the stages measured alone in the same run.
            f.sql("ANALYZE bench.big");
            for (int round = 1; round <= snapshotRounds; round++) {
                report.append(snapshotRound(round, pg, client, f.name, windows, table, rows));
            }
        }
        System.out.println(report);
    }

    private static void streaming(CaptureFixture f, PostgresServer pg, ChangeCapture capture, Connection client, int rows, StringBuilder report)
            throws Exception {
        {
            // 1. One big transaction (its rows are the snapshot's table afterwards).
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
        }
    }


    /**
     * One snapshot of the table, preceded by its references: {@code COPY (SELECT *) TO STDOUT} (text,
     * the reference) and {@code COPY … (FORMAT binary)} into a sink that discards (with the
     * CPU of each, and of the binary rows read as two key-range halves by bitmap scan, as two chunks
     * read them: what chunking costs Postgres), then
     * followed by JetStream storing the same number of bytes as pre-built 256 KiB messages through
     * the same publisher settings (what storage alone allows).
     */
    private static String snapshotRound(int round, PostgresServer pg, Connection client, String gatewayId, SnapshotWindows windows, TableId table,
                                        int rows) throws Exception {
        ProcessCpu cpu;
        double copySeconds;
        long copied;
        ProcessCpu.Sample copyCpu;
        try (java.sql.Connection c = pg.connect()) {
            cpu = new ProcessCpu(c.unwrap(PGConnection.class).getBackendPID());
            ProcessCpu.Sample before = cpu.sample();
            long copyStart = System.nanoTime();
            copied = c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY (SELECT * FROM bench.big) TO STDOUT", OutputStream.nullOutputStream());
            copySeconds = (System.nanoTime() - copyStart) / 1e9;
            copyCpu = cpu.sample().minus(before); // before the backend exits
        }
        double binarySeconds;
        ProcessCpu.Sample binaryCpu;
        ProcessCpu.Sample halvesCpu;
        try (java.sql.Connection c = pg.connect()) {
            ProcessCpu binaryProcess = new ProcessCpu(c.unwrap(PGConnection.class).getBackendPID());
            ProcessCpu.Sample before = binaryProcess.sample();
            long binaryStart = System.nanoTime();
            c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY (SELECT * FROM bench.big) TO STDOUT (FORMAT binary)", OutputStream.nullOutputStream());
            binarySeconds = (System.nanoTime() - binaryStart) / 1e9;
            binaryCpu = binaryProcess.sample().minus(before);
            // The same rows as two key-range reads by bitmap heap scan, as two chunks read them: Postgres' cost of chunking.
            before = binaryProcess.sample();
            c.setAutoCommit(false);
            try (java.sql.Statement s = c.createStatement()) {
                s.execute("SET LOCAL enable_indexscan = off");
            }
            long half = rows / 2;
            c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY (SELECT * FROM bench.big WHERE id < " + (half + 1) + ") TO STDOUT (FORMAT binary)",
                    OutputStream.nullOutputStream());
            c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY (SELECT * FROM bench.big WHERE id >= " + (half + 1) + ") TO STDOUT (FORMAT binary)",
                    OutputStream.nullOutputStream());
            c.commit();
            halvesCpu = binaryProcess.sample().minus(before);
        }
        double[] probe;
        try (java.sql.Connection c = pg.connect()) {
            probe = dev.tideline.gateway.snapshot.ChunkReaderProbe.readAndFrame(c, table);
        }
        String stream = dev.tideline.core.naming.Streams.changes(gatewayId);
        long bytesBefore = client.jetStreamManagement().getStreamInfo(stream).getStreamState().getByteCount();
        int parallelism = Integer.getInteger("tideline.benchmark.parallelism", 2);
        // The service's defaults unless asked otherwise: at most 1M rows and about 32 MiB per chunk.
        int rowsPerChunk = Integer.getInteger("tideline.benchmark.rows-per-chunk", SnapshotSettings.DEFAULT.rowsPerChunk());
        long chunkBytes = Long.getLong("tideline.benchmark.chunk-bytes", SnapshotSettings.DEFAULT_CHUNK_BYTES);
        long snapRows;
        int chunks;
        SnapshotPhases phases;
        ProcessCpu.Sample snapCpu;
        String snapThreads;
        System.gc(); // the previous stages' garbage is not the snapshot's
        try (TableSnapshots snapshots = new TableSnapshots(gatewayId, pg::connect, windows, new SnapshotProgressStore(client, gatewayId),
                new SnapshotSettings(rowsPerChunk, parallelism, Duration.ofMinutes(5), 5, Duration.ofSeconds(1)).withChunkBytes(chunkBytes))) {
            ProcessCpu.Sample before = cpu.sample();
            Map<String, Double> threadsBefore = ProcessCpu.threads();
            Map<String, Double> vmBefore = ProcessCpu.vmThreads();
            double[] gcBefore = ProcessCpu.gc();
            snapshots.start(List.of(table));
            // The time is the run's own record (SnapshotPhases), not this loop's: polling adds nothing to it.
            await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(20)).until(() -> snapshots.states().get(table) != null
                    && snapshots.states().get(table).phases() != null);
            snapCpu = cpu.sample().minus(before); // before the readers' backends exit
            double[] gcAfter = ProcessCpu.gc();
            snapThreads = ProcessCpu.threadsDelta(threadsBefore, ProcessCpu.threads()) + "; VM: " + ProcessCpu.threadsDelta(vmBefore, ProcessCpu.vmThreads())
                    + String.format("; %.0f collections taking %.2f s", gcAfter[0] - gcBefore[0], gcAfter[1] - gcBefore[1]);
            phases = snapshots.states().get(table).phases();
            snapRows = snapshots.states().get(table).progress().rows();
            chunks = snapshots.states().get(table).progress().chunks().size();
            // A second round must not find the first one's progress DONE: a full refresh each time.
        }
        double snapSeconds = phases.chunks().toNanos() / 1e9;
        long snapBytes = client.jetStreamManagement().getStreamInfo(stream).getStreamState().getByteCount() - bytesBefore;
        new SnapshotProgressStore(client, gatewayId).delete(table);
        double storeSeconds = storeAlone(client, "benchstore" + round, snapBytes);
        double copyRate = copied / copySeconds;
        double snapRate = snapRows / snapSeconds;
        return String.format("snapshot round %d (%d readers, %d chunks: at most %d rows or about %d MiB each): %d rows in %.2f s = %.0f rows/s (%.1f MB stored)%n"
                        + "  reference COPY (SELECT *) TO STDOUT: %.2f s = %.0f rows/s -> ratio %.2f%n"
                        + "  timed: first chunk's read (LOW marker) -> last chunk's rows acknowledged by JetStream and recorded done;"
                        + " outside it: planning %.2f s, BEGIN + older transactions %.2f s, DONE %.2f s%n"
                        + "  snapshot, whole run: %s = %.2f CPU s per wall s%n"
                        + "    JVM threads (CPU s; the rest of the JVM's is GC, JIT, VM): %s%n"
                        + "  reference COPY:      %s = %.2f CPU s per wall s%n"
                        + "  COPY (SELECT *) TO STDOUT (FORMAT binary): %.2f s = %.0f rows/s -> ratio %.2f; %s; as two key-range halves by bitmap scan: %s%n"
                        + "  the gateway's reader alone, one connection: COPY binary into encoded rows %.2f s = %.0f rows/s,"
                        + " framing them as %d SNAPSHOT messages %.2f s (%.1f bytes/row)%n"
                        + "  JetStream alone storing the same bytes as 256 KiB messages: %.2f s = %.0f rows/s equivalent%n",
                round, parallelism, chunks, rowsPerChunk, chunkBytes >> 20, snapRows, snapSeconds, snapRate, snapBytes / 1e6, copySeconds, copyRate, snapRate / copyRate,
                phases.planning().toNanos() / 1e9, phases.begin().toNanos() / 1e9, phases.done().toNanos() / 1e9,
                snapCpu, (snapCpu.jvm() + snapCpu.postgres() + snapCpu.nats()) / runSeconds(phases), snapThreads,
                copyCpu, (copyCpu.jvm() + copyCpu.postgres() + copyCpu.nats()) / copySeconds,
                binarySeconds, rows / binarySeconds, snapRate / (rows / binarySeconds), binaryCpu, halvesCpu, probe[1], probe[0] / probe[1], (int) probe[3], probe[2], probe[4] / probe[0],
                storeSeconds, snapRows / storeSeconds);
    }

    private static double runSeconds(SnapshotPhases p) {
        return (p.planning().toNanos() + p.begin().toNanos() + p.chunks().toNanos() + p.done().toNanos()) / 1e9;
    }

    /** Publishes {@code bytes} as pre-built 256 KiB messages into a fresh stream; returns the seconds until the last ack. */
    private static double storeAlone(Connection client, String gatewayId, long bytes) throws Exception {
        JetStreamPublisher publisher = new JetStreamPublisher(client, gatewayId, new JetStreamPublisher.Settings(Duration.ofMinutes(2),
                8L * 1024 * 1024 * 1024, Duration.ofHours(1), 2_000, 64L * 1024 * 1024, Duration.ofSeconds(30)));
        publisher.ensureStream();
        byte[] body = new byte[BatchLimits.DEFAULT_TARGET_BYTES];
        new java.util.Random(1).nextBytes(body);
        int messages = (int) Math.max(1, bytes / body.length);
        long start = System.nanoTime();
        java.util.concurrent.CompletableFuture<?> last = null;
        for (int i = 0; i < messages; i++) {
            last = publisher.publish(new dev.tideline.core.wire.EncodedMessage(Subjects.changes(gatewayId, TableId.of("bench", "store")),
                    Map.of(dev.tideline.core.wire.WireHeaders.NATS_MSG_ID, gatewayId + ":" + i, dev.tideline.core.wire.WireHeaders.KIND, "SNAPSHOT"),
                    body.clone()));
        }
        last.get();
        publisher.awaitIdle(Duration.ofMinutes(1));
        double seconds = (System.nanoTime() - start) / 1e9;
        client.jetStreamManagement().deleteStream(dev.tideline.core.naming.Streams.changes(gatewayId));
        return seconds;
    }

    /** Runs pg_recvlogical on {@code slot} until {@code end}; returns the seconds it took. */
    static double pgRecvLogical(PostgresServer pg, String slot, String publication, Lsn end) throws Exception {
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
