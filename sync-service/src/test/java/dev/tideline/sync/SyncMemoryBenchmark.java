package dev.tideline.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tideline.sync.delta.FoldLimits;
import dev.tideline.sync.engine.SyncOutcome;
import dev.tideline.sync.model.SchedulingPolicy;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.testdelta.DeltaTestTable;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithPostgres;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Opt-in benchmark: one Delta commit that updates every one of N rows (copy-on-write, so 2N rows
 * to read and N to apply), refreshed by a sync JVM limited to {@code -Xmx512m}, next to a SNAPSHOT
 * (full refresh) of the same N rows in an equal JVM; then, unless {@code
 * -Dtideline.benchmark.unbounded=false}, the same kind of commit refreshed with the fold held all in
 * memory as before the fold budget (expected to die of OutOfMemoryError from about 1M rows on).
 *
 * <pre>
 * ./mvnw -B -o -pl sync-service -am verify -Dit.test=SyncMemoryBenchmark -Dtideline.benchmark=true \
 *   -Dtest=X -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false
 * # -Dtideline.benchmark.rows=2000000 (default) -Dtideline.benchmark.fold-memory=67108864 (the service's default)
 * </pre>
 */
@WithPostgres
class SyncMemoryBenchmark {

    static final int ROWS = Integer.getInteger("tideline.benchmark.rows", 2_000_000);
    static final int ROWS_PER_FILE = 500_000;
    static final long FOLD_MEMORY = Long.getLong("tideline.benchmark.fold-memory", FoldLimits.DEFAULT_MEMORY_BYTES);
    static final String HEAP = System.getProperty("tideline.benchmark.heap", "512m");

    private static List<Object[]> rows(long from, long to, String tag) {
        List<Object[]> rows = new ArrayList<>((int) (to - from));
        Instant base = Instant.parse("2025-01-01T00:00:00Z");
        for (long i = from; i < to; i++) {
            rows.add(new Object[] {i, tag + "-customer-" + i, (int) (i % 1000), i * 0.25, base.plusSeconds(i)});
        }
        return rows;
    }

    @Test
    void oneCommitUpdatingEveryRowAtXmx512m(PostgresServer pg) throws Exception {
        assumeTrue(Boolean.getBoolean("tideline.benchmark"), "opt-in: -Dtideline.benchmark=true");
        SyncFixture f = new SyncFixture(pg);
        DeltaTestTable table = f.createTable("big", SyncBenchmark.SCHEMA);
        for (long from = 0; from < ROWS; from += ROWS_PER_FILE) {
            table.append(rows(from, Math.min(ROWS, from + ROWS_PER_FILE), "v1"));
        }
        SyncedTableDefinition def = f.definition("big", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        f.snapshotFraction = 1000;
        assertEquals(SyncOutcome.Mode.SNAPSHOT, f.syncer(def).sync(false).mode());
        Path spill = Files.createTempDirectory("tideline-bench-spill");

        table.mutate(r -> true, r -> new Object[] {r[0], "v2-customer-" + r[0], (Integer) r[2] + 1, r[3], r[4]});
        String[] incremental = run(f, table, false, FOLD_MEMORY, spill);
        assertEquals("INCREMENTAL", incremental[0], String.join(" ", incremental));
        assertEquals(table.version(), f.syncedVersion(def.name()));
        assertEquals(ROWS, count(f, "name LIKE 'v2-%' AND amount = (id % 1000) + 1"), "every row updated");
        String[] snapshot = run(f, table, true, FOLD_MEMORY, spill);
        assertEquals("SNAPSHOT", snapshot[0], String.join(" ", snapshot));
        print("incremental refresh, fold budget " + (FOLD_MEMORY >> 20) + " MiB", incremental, ROWS);
        print("reference: SNAPSHOT (full refresh) of the same table", snapshot, ROWS);

        if (!"false".equals(System.getProperty("tideline.benchmark.unbounded"))) {
            table.mutate(r -> true, r -> new Object[] {r[0], "v3-customer-" + r[0], (Integer) r[2] + 1, r[3], r[4]});
            String[] unbounded = run(f, table, false, Long.MAX_VALUE, spill);
            if (unbounded == null) {
                System.out.printf("BENCHMARK the same refresh folded all in memory (no fold budget, as before): OutOfMemoryError at -Xmx%s%n",
                        HEAP);
            } else {
                print("the same refresh folded all in memory (no fold budget, as before)", unbounded, ROWS);
            }
        }
    }

    private static long count(SyncFixture f, String where) throws Exception {
        try (var c = f.connect(); var s = c.createStatement(); var rs = s.executeQuery("SELECT count(*) FROM big WHERE " + where)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void print(String what, String[] r, long rows) {
        double seconds = Double.parseDouble(r[2]);
        System.out.printf("BENCHMARK %s at -Xmx%s: %s %,d rows in %.1f s = %,.0f rows/s; peak heap used %d MiB, after GC %d MiB, "
                        + "peak RSS %d MiB, peak spill %d MiB%n", what, HEAP, r[0], rows, seconds, rows / seconds,
                Long.parseLong(r[3]) >> 20, Long.parseLong(r[4]) >> 20, Long.parseLong(r[5]) >> 10, Long.parseLong(r[6]) >> 20);
    }

    /** The RESULT fields of one sync in a child JVM, or {@code null} when it ran out of memory. */
    private static String[] run(SyncFixture f, DeltaTestTable table, boolean full, long foldMemory, Path spill) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + HEAP, "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"), SyncMemoryMain.class.getName()));
        command.addAll(List.of(f.pg.host(), String.valueOf(f.pg.port()), f.pg.user(), f.pg.password(), f.database,
                f.warehouse.toUri().toString(), table.path(), "big", String.valueOf(full), String.valueOf(foldMemory), spill.toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String[] result = null;
        boolean oom = false;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith("RESULT ")) {
                    result = line.substring(7).split(" ", 8);
                } else if (line.contains("OutOfMemoryError")) {
                    oom = true;
                }
                if (line.startsWith("INFO:") || line.startsWith("WARNING:") || line.startsWith("SEVERE:") || line.contains("OutOfMemoryError")) {
                    System.out.println("  child: " + line);
                }
            }
        }
        assertTrue(process.waitFor(30, TimeUnit.MINUTES));
        if (oom) {
            return null;
        }
        assertEquals(0, process.exitValue(), "the sync JVM failed");
        return result;
    }
}
