package dev.tideline.sync;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.message.TableCommitted;
import dev.tideline.control.secret.SecretBox;
import dev.tideline.control.spec.ConnectionSpec;
import dev.tideline.control.spec.SyncedTableSpec;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.core.naming.Subjects;
import dev.tideline.delta.TableLocations;
import dev.tideline.sync.engine.SyncOptions;
import dev.tideline.sync.engine.SyncOutcome;
import dev.tideline.sync.engine.SyncedTableSyncer;
import dev.tideline.sync.model.SchedulingPolicy;
import dev.tideline.sync.model.SyncFaults;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.service.SyncSupervisorAccess;
import dev.tideline.sync.testdelta.DeltaTestTable;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithNats;
import dev.tideline.testing.WithPostgres;
import dev.tideline.sync.delta.DeltaSource;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampType;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.io.StringReader;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/**
 * Opt-in benchmark (not a timed test): {@code ./mvnw -B -o -pl sync-service verify -Dit.test=SyncBenchmark
 * -Dtideline.benchmark=true -Dtest=X -Dsurefire.failIfNoSpecifiedTests=false}. Prints each number next
 * to its reference measured in the same run.
 */
@WithPostgres
@WithNats
class SyncBenchmark {

    static final StructType SCHEMA = new StructType()
            .add("id", LongType.LONG, false)
            .add("name", StringType.STRING, true)
            .add("amount", IntegerType.INTEGER, true)
            .add("price", DoubleType.DOUBLE, true)
            .add("updated_at", TimestampType.TIMESTAMP, true);
    static final int ROWS = Integer.getInteger("tideline.benchmark.rows", 1_000_000);
    static final int FILES = 10;

    private static List<Object[]> rows(long from, long to, String tag) {
        List<Object[]> rows = new ArrayList<>((int) (to - from));
        Instant base = Instant.parse("2025-01-01T00:00:00Z");
        for (long i = from; i < to; i++) {
            rows.add(new Object[] {i, tag + "-customer-" + i, (int) (i % 1000), i * 0.25, base.plusSeconds(i)});
        }
        return rows;
    }

    @Test
    void snapshotIncrementalAndContinuous(PostgresServer pg, NatsServer natsServer) throws Exception {
        assumeTrue(Boolean.getBoolean("tideline.benchmark"), "opt-in: -Dtideline.benchmark=true");
        SyncFixture f = new SyncFixture(pg);
        DeltaTestTable table = f.createTable("bench", SCHEMA);
        int perFile = ROWS / FILES;
        for (int i = 0; i < FILES; i++) {
            table.append(rows((long) i * perFile, (long) (i + 1) * perFile, "v1"));
        }
        SyncedTableDefinition def = f.definition("bench", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        SyncedTableSyncer syncer = new SyncedTableSyncer(def, f.target(), new DeltaSource(f.engine, def.sourceTablePath(), def.sourceTableName()),
                new SyncOptions(4, 0.5), SyncFaults.NONE);

        // --- where a snapshot's time goes: Kernel read alone, read + encode ---
        DeltaSource source = new DeltaSource(f.engine, def.sourceTablePath(), def.sourceTableName());
        var files = source.files(source.latest());
        var encoder = new dev.tideline.sync.types.CopyRowEncoder(def.name(), dev.tideline.sync.types.PostgresTypeMapping.map("t", SCHEMA),
                List.of("id"), null, dev.tideline.sync.model.NullBytePolicy.FAIL);
        for (boolean encode : new boolean[] {false, true}) {
            long r0 = System.nanoTime();
            long n = 0;
            StringBuilder sb = new StringBuilder(1 << 21);
            for (var file : files.files()) {
                try (var batches = source.readFile(files, file)) {
                    while (batches.hasNext()) {
                        var batch = batches.next().getData();
                        encoder.bind(batch);
                        for (int r = 0; r < batch.getSize(); r++) {
                            if (encode) {
                                encoder.appendRow(r, sb);
                                if (sb.length() > (1 << 20)) {
                                    sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                                    sb.setLength(0);
                                }
                            }
                            n++;
                        }
                    }
                }
            }
            double sec = (System.nanoTime() - r0) / 1e9;
            System.out.printf("BENCHMARK single thread Kernel read%s: %,d rows in %.2f s = %,.0f rows/s%n", encode ? " + COPY encoding" : "",
                    n, sec, n / sec);
        }

        // --- SNAPSHOT vs raw COPY of the same rows ---
        long t0 = System.nanoTime();
        SyncOutcome snap = syncer.sync(false);
        double snapSeconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(ROWS, snap.rowsApplied());
        String copyText = copyText(table);
        double copySeconds;
        double copyPkSeconds;
        try (var c = f.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE raw_copy (id bigint, name text, amount integer, price double precision, updated_at timestamptz)");
            long c0 = System.nanoTime();
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY raw_copy FROM STDIN", new StringReader(copyText));
            copySeconds = (System.nanoTime() - c0) / 1e9;
            s.execute("ALTER TABLE raw_copy ADD PRIMARY KEY (id)");
            copyPkSeconds = (System.nanoTime() - c0) / 1e9;
        }
        System.out.printf("%nBENCHMARK snapshot: %,d rows in %.2f s = %,.0f rows/s (Delta read + COPY on 4 connections + PK + swap)%n",
                ROWS, snapSeconds, ROWS / snapSeconds);
        System.out.printf("BENCHMARK reference raw COPY (1 connection, text prepared in memory): %.2f s = %,.0f rows/s; with PK build %.2f s = %,.0f rows/s%n",
                copySeconds, ROWS / copySeconds, copyPkSeconds, ROWS / copyPkSeconds);
        System.out.printf("BENCHMARK snapshot / raw COPY = %.2f; snapshot / (raw COPY + PK) = %.2f%n", copySeconds / snapSeconds,
                copyPkSeconds / snapSeconds);

        // --- incremental refresh of 100k changed rows ---
        int changed = ROWS / 10;
        table.mutate(r -> (Long) r[0] < changed, r -> new Object[] {r[0], "changed", -1, 0.0, r[4]});
        long i0 = System.nanoTime();
        SyncOutcome inc = syncer.sync(false);
        double incSeconds = (System.nanoTime() - i0) / 1e9;
        assertEquals(SyncOutcome.Mode.INCREMENTAL, inc.mode(), inc.reason());
        System.out.printf("BENCHMARK incremental refresh: %,d changed rows in %.2f s = %,.0f rows/s (read changed files, COPY to staging, one upsert)%n",
                inc.rowsApplied(), incSeconds, inc.rowsApplied() / incSeconds);
        System.out.println("BENCHMARK incremental refresh phases: " + inc.reason());

        // --- CONTINUOUS latency: Delta commit -> visible in Postgres ---
        try (Connection nats = Nats.connect(natsServer.url())) {
            ControlPlane control = ControlPlane.open(nats);
            String key = "benchmark-secrets-key-0123456789";
            SecretBox box = SecretBox.fromConfiguredKey(key);
            control.specs().put(KvKeys.connection("bench_pg"), new ConnectionSpec("bench_pg", ConnectionSpec.POSTGRESQL,
                    Map.of("host", pg.host(), "port", String.valueOf(pg.port()), "user", pg.user(), "sslmode", "disable"),
                    box.seal(pg.password(), "bench_pg"), null, "c", 0));
            DeltaTestTable live = DeltaTestTable.create(f.engine, TableLocations.of(f.warehouse.toUri().toString(), "main", "src", "live"), SCHEMA);
            live.append(rows(0, 1000, "live"));
            try (AutoCloseable supervisor = SyncSupervisorAccess.start(control, box, f.warehouse.toUri().toString(), f.engine,
                    Duration.ofHours(1))) {
                control.specs().put(KvKeys.syncedTable("bench.public.live"), new SyncedTableSpec("bench.public.live", "i", f.database,
                        new SyncedTableSpec.Definition("main.src.live", List.of("id"), null, SyncedTableSpec.SchedulingPolicy.CONTINUOUS, true,
                                null, null), "p", new SyncedTableSpec.Target("bench_pg", f.database, "public", "live"), "u", 0));
                await().atMost(Duration.ofSeconds(60)).until(() -> countOrMinus(f, "live") == 1000);
                int commits = Integer.getInteger("tideline.benchmark.commits", 50);
                long[] latencies = new long[commits];
                long expected = 1000;
                for (int k = 0; k < commits; k++) {
                    long start = System.nanoTime();
                    long v = live.append(rows(100_000 + k * 10L, 100_000 + k * 10L + 10, "c"));
                    control.publish(Subjects.tableCommitted("main", "src", "live"),
                            new TableCommitted("p", "main", "src", "live", live.path(), v, "0/0", System.currentTimeMillis()));
                    expected += 10;
                    long want = expected;
                    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(2)).until(() -> countOrMinus(f, "live") == want);
                    latencies[k] = (System.nanoTime() - start) / 1_000_000;
                }
                Arrays.sort(latencies);
                System.out.printf("BENCHMARK continuous: %d commits of 10 rows, commit -> visible in Postgres p50 %d ms, p99 %d ms, max %d ms%n",
                        commits, latencies[commits / 2], latencies[Math.min(commits - 1, (int) Math.ceil(commits * 0.99) - 1)], latencies[commits - 1]);
            }
        }
    }

    private static long countOrMinus(SyncFixture f, String table) {
        try (var c = f.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM public." + table)) {
            rs.next();
            return rs.getLong(1);
        } catch (Exception e) {
            return -1;
        }
    }

    /** The same rows as COPY text, prepared before timing (the reference does no Delta reading or encoding). */
    private static String copyText(DeltaTestTable table) {
        StringBuilder sb = new StringBuilder(ROWS * 64);
        Instant base = Instant.parse("2025-01-01T00:00:00Z");
        for (long i = 0; i < ROWS; i++) {
            sb.append(i).append('\t').append("v1-customer-").append(i).append('\t').append(i % 1000).append('\t').append(i * 0.25)
                    .append('\t').append(base.plusSeconds(i)).append('\n');
        }
        return sb.toString();
    }
}
