package dev.tideline.apply.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tideline.apply.delta.DeltaTableWriter;
import dev.tideline.apply.delta.WriterSettings;
import dev.tideline.core.TableId;
import dev.tideline.core.change.ChangeEvent.OldRowKind;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.PgType;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import dev.tideline.core.wire.BatchLimits;
import dev.tideline.core.wire.RowChange;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.TableLocations;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.WithNats;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opt-in benchmark: one source transaction updating every row of an N-row table (a nightly
 * {@code UPDATE pgbench_accounts SET abalance = abalance + 1}), applied by an applier JVM with
 * {@code -Xmx512m} at the service's defaults, next to the same N row updates as transactions of 1,000
 * rows, measured in the same run by a fresh JVM of the same size:
 * <pre>
 * ./mvnw -B -o -pl apply-service -am verify -Dtideline.benchmark=true -Dtideline.benchmark.rows=2000000 \
 *   -Dit.test=StagedApplyBenchmarkIT -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false
 * </pre>
 * The staging stream gets the gateway's own message sizes (256 KiB). Read the lines starting with
 * {@code BENCHMARK}.
 */
@WithNats
class StagedApplyBenchmarkIT {

    static final TableId TABLE = TableId.of("public", "pgbench_accounts");
    static final RelationSchema SCHEMA = new RelationSchema(400, TABLE, ReplicaIdentity.DEFAULT, List.of(
            new ColumnSchema("aid", PgType.INT8, -1, true),
            new ColumnSchema("bid", PgType.INT4, -1, false),
            new ColumnSchema("abalance", PgType.INT4, -1, false),
            new ColumnSchema("filler", PgType.TEXT, -1, false)));
    static final String FILLER = " ".repeat(84);

    @TempDir
    Path warehouse;

    @Test
    void oneLargeTransactionAgainstSmallOnes(NatsServer nats) throws Exception {
        assumeTrue(Boolean.getBoolean("tideline.benchmark"), "opt-in: -Dtideline.benchmark=true");
        int n = Integer.getInteger("tideline.benchmark.rows", 2_000_000);
        String heap = System.getProperty("tideline.benchmark.heap", "512m");
        List<String> results = new ArrayList<>();
        try (StagingStream stream = new StagingStream(nats.url(), "gwbench", BatchLimits.DEFAULT)) {
            for (int from = 0; from < n; from += 100_000) {
                stream.transaction(SCHEMA, changes(from, Math.min(n, from + 100_000), 0, true));
            }
            results.add(run(nats, "load: " + n + " inserts in transactions of 100,000", heap));

            long publish = System.nanoTime();
            stream.transaction(SCHEMA, changes(0, n, 1, false));
            System.out.printf("published one transaction of %d updates in %.1f s%n", n, (System.nanoTime() - publish) / 1e9);
            results.add(run(nats, "one transaction of " + n + " updates", heap));

            for (int from = 0; from < n; from += 1000) {
                stream.transaction(SCHEMA, changes(from, Math.min(n, from + 1000), 2, false));
            }
            results.add(run(nats, n + " updates in transactions of 1,000", heap));
        }
        results.forEach(System.out::println);
        for (String line : results) {
            assertTrue(line.contains(": " + n + " row changes in "), "every phase applied all rows: " + line);
        }
        if (n > 5_000_000) {
            return; // reading the whole table back in this JVM is left to the smaller runs
        }
        DeltaTableWriter table = DeltaTableWriter.open(DeltaEngines.forWarehouse(warehouse.toString(), EngineSettings.defaults()),
                TableLocations.of(warehouse.toString(), "main", "bench", "accounts"), "bench/public.pgbench_accounts", TABLE,
                WriterSettings.DEFAULT);
        long rows = 0;
        long balance = 0;
        for (Object[] r : table.readAll()) {
            rows++;
            balance += ((Number) r[2]).longValue();
        }
        assertEquals(n, rows);
        assertEquals(2L * n, balance, "every row updated twice (abalance 0 → 1 → 2)");
    }

    /** Changes of rows {@code [from, to)}: inserts with abalance 0, or updates to {@code balance}, in key order. */
    static Iterator<RowChange> changes(long from, long to, int balance, boolean insert) {
        return new Iterator<>() {
            long next = from;

            @Override
            public boolean hasNext() {
                return next < to;
            }

            @Override
            public RowChange next() {
                long aid = next++;
                Row row = Row.of(aid, (int) (aid / 100_000), balance, FILLER);
                return insert ? RowChange.insert(0, row) : RowChange.update(0, OldRowKind.NONE, null, row);
            }
        };
    }

    /** Runs {@link StagedApplyBenchmarkMain} with {@code -Xmx<heap>} until it caught up; returns its BENCHMARK line. */
    String run(NatsServer nats, String label, String heap) throws Exception {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + heap,
                "-cp", System.getProperty("java.class.path"), StagedApplyBenchmarkMain.class.getName(),
                nats.url(), "gwbench", "bench", warehouse.toString(), label);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String result = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith("BENCHMARK") || line.startsWith("FAILED") || line.contains("OutOfMemoryError")
                        || line.contains("staged commit") || line.contains("rounds as version")) {
                    System.out.println(line);
                }
                if (line.startsWith("BENCHMARK")) {
                    result = line;
                }
            }
        }
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), label);
        assertTrue(result != null, label);
        return result;
    }
}
