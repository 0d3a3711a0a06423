package dev.tideline.gateway.capture;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tideline.core.naming.Streams;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithNats;
import dev.tideline.testing.WithPostgres;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/**
 * Opt-in benchmark (not a timed test): the initial snapshot of one table as large as the disk and
 * a time budget allow, by a gateway JVM with a small fixed heap, to show that the snapshot's memory
 * is bounded by its configuration (readers × chunk bytes, the publisher's in-flight window) and
 * not by the table's size. Run with
 * <pre>
 * ./mvnw -B -o -pl gateway-service -am test -Dtest=SnapshotScaleBenchmark -Dtideline.benchmark=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * Options ({@code -Dtideline.benchmark.…}): {@code rows} (a fixed row count instead of the rule below),
 * {@code max-rows} (200M), {@code load-seconds} (360: the load stops after the slice that passes it),
 * {@code keep-free-gib} (40: the load stops before the disk's free space would fall below it),
 * {@code heap} (the gateway's {@code -Xmx}, 384m: a 512 MiB container's heap), {@code parallelism} (4) and
 * {@code chunk-bytes} (32 MiB, lowered on a small heap as the service does: 12 MiB at 384m) and
 * {@code rows-per-chunk} (1,000,000): the service's defaults,
 * {@code stream-max-bytes} (1 GiB).
 *
 * <p><b>Table size rule.</b> Rows are loaded in slices of 5M ({@code id bigint} key, int, text,
 * numeric: the other benchmarks' table); after each slice the benchmark measures the bytes per row on
 * disk (table and index; the WAL is recycled at checkpoints, no slot exists during the load) and stops when the next slice would leave less than
 * {@code keep-free-gib} free on the data directory's disk, when the load has taken
 * {@code load-seconds}, or at {@code max-rows} — whichever comes first, printed as the reason.
 *
 * <p><b>JetStream.</b> The gateway is benchmarked alone: nothing consumes its stream, which would
 * otherwise store the whole table a second time. The stream is created with {@code stream-max-bytes}
 * and a purger thread stands in for apply, purging it every 200 ms; when the purger falls behind, the
 * gateway's publisher waits for room (its discard-new back-pressure), so the stream's disk stays
 * bounded too. Its peak size is printed.
 *
 * <p>Printed: the snapshot's rows/s next to {@code COPY (SELECT *) TO STDOUT} of the same table in the
 * same run, the gateway's peak RSS ({@code VmHWM}) and peak heap used (sampled every 100 ms), and the
 * memory bound the configuration implies (see docs/gateway.md, "Snapshot algorithm").
 */
@WithPostgres
@WithNats
class SnapshotScaleBenchmark {

    private static final int SLICE = 5_000_000;

    @Test
    void benchmark(PostgresServer pg, NatsServer nats) throws Exception {
        assumeTrue(Boolean.getBoolean("tideline.benchmark"), "opt-in: -Dtideline.benchmark=true");
        long fixedRows = Long.getLong("tideline.benchmark.rows", 0);
        long maxRows = Long.getLong("tideline.benchmark.max-rows", 200_000_000);
        long loadSeconds = Long.getLong("tideline.benchmark.load-seconds", 360);
        long keepFree = Long.getLong("tideline.benchmark.keep-free-gib", 40) << 30;
        String heap = System.getProperty("tideline.benchmark.heap", "384m");
        int parallelism = Integer.getInteger("tideline.benchmark.parallelism", 4);
        long chunkBytes = Long.getLong("tideline.benchmark.chunk-bytes", 32L << 20);
        int rowsPerChunk = Integer.getInteger("tideline.benchmark.rows-per-chunk", 1_000_000);
        long streamMaxBytes = Long.getLong("tideline.benchmark.stream-max-bytes", 1L << 30);

        CaptureFixture f = new CaptureFixture("scale", pg, nats, 1, 3, false);
        f.sql("CREATE TABLE scale.big (id bigint PRIMARY KEY, qty int, note text, amount numeric(12,2))",
                "ALTER PUBLICATION scale_pub ADD TABLE scale.big");
        StringBuilder report = new StringBuilder("\n==== snapshot scale benchmark ====\n");

        // 1. Load the table slice by slice until the rule stops it.
        FileStore disk;
        try (java.sql.Connection c = pg.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW data_directory")) {
            rs.next();
            disk = Files.getFileStore(Path.of(rs.getString(1)));
        }
        long rows = 0;
        String reason;
        long loadStart = System.nanoTime();
        while (true) {
            long target = fixedRows > 0 ? fixedRows : maxRows;
            if (rows >= target) {
                reason = fixedRows > 0 ? "the row count asked for (-Dtideline.benchmark.rows)" : "max-rows reached";
                break;
            }
            long slice = Math.min(SLICE, target - rows);
            f.sql("INSERT INTO scale.big SELECT g, g % 1000, 'note ' || g, (g % 100000) / 100.0 FROM generate_series(" + (rows + 1) + ", "
                    + (rows + slice) + ") g");
            rows += slice;
            double perRow = relationBytes(f) / (double) rows;
            long free = disk.getUsableSpace();
            double elapsed = (System.nanoTime() - loadStart) / 1e9;
            System.out.printf("loaded %,d rows in %.0f s (%.0f bytes per row on disk; %,d MiB free)%n", rows, elapsed, perRow, free >> 20);
            if (fixedRows > 0) {
                continue;
            }
            if (free - perRow * SLICE < keepFree) {
                reason = String.format("the disk: another slice would leave less than %d GiB free (%,d MiB free, %.0f bytes per row)",
                        keepFree >> 30, free >> 20, perRow);
                break;
            }
            if (elapsed >= loadSeconds) {
                reason = String.format("the time budget: the load took %.0f s (load-seconds=%d; the snapshot and the reference COPY then take "
                        + "about as long again)", elapsed, loadSeconds);
                break;
            }
        }
        f.sql("VACUUM ANALYZE scale.big", "CHECKPOINT");
        double loaded = (System.nanoTime() - loadStart) / 1e9;
        report.append(String.format("table scale.big: %,d rows, %,d MiB with its index (load %.0f s); stopped by %s%n", rows,
                relationBytes(f) >> 20, loaded, reason));
        f.createSlot(); // after the load: its WAL is not the slot's to keep

        // 2. The reference, same table, same run.
        double copySeconds;
        long copied;
        try (java.sql.Connection c = pg.connect()) {
            long start = System.nanoTime();
            copied = c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY (SELECT * FROM scale.big) TO STDOUT", OutputStream.nullOutputStream());
            copySeconds = (System.nanoTime() - start) / 1e9;
        }

        // 3. The snapshot by a gateway JVM of its own, with a purger standing in for apply.
        AtomicLong peakStream = new AtomicLong();
        AtomicLong purges = new AtomicLong();
        AtomicReference<Throwable> purgeError = new AtomicReference<>();
        Thread purger;
        AtomicLong peakHeap = new AtomicLong();
        AtomicLong peakRss = new AtomicLong();
        AtomicReference<String> done = new AtomicReference<>();
        AtomicLong effectiveChunkBytes = new AtomicLong(chunkBytes);
        List<String> errors = new ArrayList<>();
        try (Connection client = f.natsClient()) {
            purger = new Thread(() -> purge(client, Streams.changes(f.name), peakStream, purges, purgeError), "stream-purger");
            purger.setDaemon(true);
            purger.start();
            Process gateway = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + heap,
                    "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"), SnapshotProcess.class.getName(),
                    pg.jdbcUrl(), pg.user(), pg.password() == null ? "" : pg.password(), nats.url(), f.name, "scale.big",
                    Integer.toString(parallelism), Long.toString(chunkBytes), Integer.toString(rowsPerChunk), Long.toString(streamMaxBytes))
                    .redirectErrorStream(true).start();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(gateway.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    String[] words = line.split(" ");
                    if (words[0].equals("sample") && words.length == 3) {
                        peakHeap.accumulateAndGet(Long.parseLong(words[1]), Math::max);
                        peakRss.accumulateAndGet(Long.parseLong(words[2]), Math::max);
                    } else if (words[0].equals("chunk-bytes")) {
                        effectiveChunkBytes.set(Long.parseLong(words[1]));
                    } else if (words[0].equals("done")) {
                        done.set(line);
                    } else if (!line.isBlank()) {
                        if (words[0].equals("error")) {
                            errors.add(line);
                        }
                        System.out.println("[gateway] " + line);
                    }
                }
            } finally {
                if (gateway.isAlive()) {
                    gateway.destroy();
                }
                gateway.waitFor();
            }
            purger.interrupt();
            if (done.get() == null) {
                throw new IllegalStateException("the gateway JVM ended without finishing the snapshot (exit " + gateway.exitValue() + "): " + errors);
            }
        }
        String[] d = done.get().split(" ");
        long snapRows = Long.parseLong(d[1]);
        int chunks = Integer.parseInt(d[2]);
        double chunkSeconds = Double.parseDouble(d[3]);
        long processPeakHeap = Long.parseLong(d[7]);
        long hwmKiB = Long.parseLong(d[8]);
        long peakLive = Long.parseLong(d[9]);
        double snapRate = snapRows / chunkSeconds;
        double copyRate = copied / copySeconds;
        double perChunk = 1.5 * Math.min(effectiveChunkBytes.get(), rowsPerChunk * relationRowTextBytes(f));
        report.append(String.format("gateway -Xmx%s, %d readers, chunks of at most %,d rows or about %d MiB: %,d rows in %d chunks in %.1f s = %,.0f rows/s"
                        + " (planning %s s, BEGIN %s s, DONE %s s apart)%n"
                        + "reference COPY (SELECT *) TO STDOUT, same table and run: %.1f s = %,.0f rows/s -> ratio %.2f%n"
                        + "gateway memory: peak RSS (VmHWM) %d MiB; peak heap used %d MiB, peak heap after GC %d MiB (sampled every 100 ms)%n"
                        + "bound from the configuration: (parallelism + 1) x 1.5 x chunk bytes + in-flight window = %d x %.0f MiB + 64 MiB = %.0f MiB of rows%n"
                        + "JetStream: stream max-bytes %d MiB, purged %d times, peak %,d MiB stored%n"
                        + "load average at the end: %s%n",
                heap, parallelism, rowsPerChunk, effectiveChunkBytes.get() >> 20, snapRows, chunks, chunkSeconds, snapRate, d[4], d[5], d[6],
                copySeconds, copyRate, snapRate / copyRate,
                hwmKiB >> 10, Math.max(processPeakHeap, peakHeap.get()) >> 20, peakLive >> 20,
                parallelism + 1, perChunk / (1 << 20), ((parallelism + 1) * perChunk + (64L << 20)) / (1 << 20),
                streamMaxBytes >> 20, purges.get(), peakStream.get() >> 20,
                Files.readString(Path.of("/proc/loadavg")).trim()));
        if (purgeError.get() != null) {
            report.append("purger failed: ").append(purgeError.get()).append('\n');
        }
        System.out.println(report);
    }

    /** Purges the stream every 200 ms, as a consumer that keeps up would free it; records its peak size. */
    private static void purge(Connection client, String stream, AtomicLong peak, AtomicLong purges, AtomicReference<Throwable> error) {
        try {
            var jsm = client.jetStreamManagement();
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    long bytes = jsm.getStreamInfo(stream).getStreamState().getByteCount();
                    peak.accumulateAndGet(bytes, Math::max);
                    if (bytes > 0) {
                        jsm.purgeStream(stream);
                        purges.incrementAndGet();
                    }
                } catch (JetStreamApiException e) {
                    if (e.getErrorCode() != 404) { // not created yet
                        throw e;
                    }
                }
                Thread.sleep(200);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            error.set(e);
        }
    }

    private static long relationBytes(CaptureFixture f) throws Exception {
        return queryLong(f, "SELECT pg_total_relation_size('scale.big')");
    }

    private static double relationRowTextBytes(CaptureFixture f) throws Exception {
        return queryLong(f, "SELECT avg(octet_length(t::text))::bigint FROM (SELECT * FROM scale.big LIMIT 1000) t");
    }

    private static long queryLong(CaptureFixture f, String sql) throws Exception {
        try (java.sql.Connection c = f.pg.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
