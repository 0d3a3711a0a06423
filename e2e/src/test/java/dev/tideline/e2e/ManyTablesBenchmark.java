package dev.tideline.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tideline.apply.delta.DeltaTableWriter;
import dev.tideline.apply.delta.WriterSettings;
import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.TableLocations;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.KeyValueManagement;
import io.nats.client.Nats;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Opt-in benchmark (not a timed test) of one schema-level pipeline over many tables, on the stack
 * {@code deploy/local/up.sh} starts: {@code -Dtideline.benchmark.tables} tables (1,000) in schema
 * {@code many} of the source, {@code -Dtideline.benchmark.hot} of them (10) with
 * {@code -Dtideline.benchmark.hot-rows} rows (100,000) and the rest with {@code -Dtideline.benchmark.quiet-rows}
 * (100).
 * <ol>
 *   <li><b>Snapshot:</b> the time from the pipeline's creation until every Delta table exists and equals its
 *       source (row count and a checksum of every row), detected by passes over the tables not equal yet.</li>
 *   <li><b>Steady load:</b> {@code -Dtideline.benchmark.rate} single-row update transactions per second
 *       (1,000) for {@code -Dtideline.benchmark.seconds} (60), the table of each drawn from a Zipf
 *       distribution (exponent {@code -Dtideline.benchmark.zipf}, 1.0) over the tables, hot ones first.
 *       <b>Commit → visible</b> is measured without polling: each transaction reads
 *       {@code pg_current_wal_insert_lsn()} before its {@code COMMIT} (a lower bound of its commit LSN, and
 *       above the commit LSN of every earlier transaction of its table, because one writer thread owns a
 *       table), and is visible from the first Delta commit of its table whose transaction identifier (the
 *       commit LSN of the last source transaction it holds) is at least that — the modification time of
 *       that commit's file in {@code _delta_log}, minus the moment {@code COMMIT} returned.</li>
 *   <li>Afterwards every table must still equal its source (nothing lost, nothing doubled).</li>
 * </ol>
 * Prints p50/p95/p99/max of commit → visible for the hot tables, the quiet ones and the worst single table, the
 * p95 of the transactions committed in each 10 s window of the load, each process's cores per 10 s window,
 * each service's resident memory and threads (after start, after the snapshot, after the load: the growth
 * divided by the table count is the per-table constant), and the JetStream consumers and KV keys per table.
 * {@code -Dtideline.benchmark.jfr=<dir>} records a JFR profile of gateway and apply during the load phase;
 * {@code -Dtideline.benchmark.java-opts} sets the services' JVM options ({@code TIDELINE_JAVA_OPTS}).
 * Run alone: {@code ./mvnw -B -o -pl api-service,apply-service,sync-service,gateway-service,e2e -am verify
 * -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=ManyTablesBenchmark -Dfailsafe.failIfNoSpecifiedTests=false
 * -Dtideline.benchmark=true}.
 */
class ManyTablesBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SERVICES = List.of("gateway", "apply", "sync", "api", "nats");

    private final int tables = Integer.getInteger("tideline.benchmark.tables", 1000);
    private final int hot = Integer.getInteger("tideline.benchmark.hot", 10);
    private final int hotRows = Integer.getInteger("tideline.benchmark.hot-rows", 100_000);
    private final int quietRows = Integer.getInteger("tideline.benchmark.quiet-rows", 100);
    private final int rate = Integer.getInteger("tideline.benchmark.rate", 1000);
    private final int seconds = Integer.getInteger("tideline.benchmark.seconds", 60);
    private final int writers = Integer.getInteger("tideline.benchmark.writers", 8);
    private final double zipf = Double.parseDouble(System.getProperty("tideline.benchmark.zipf", "1.0"));

    /** One committed source transaction: its table, a lower bound of its commit LSN, when COMMIT returned. */
    private record Committed(int table, long lsnBefore, long committedAtMillis) {
    }

    @Test
    void benchmark() throws Exception {
        assumeTrue(Boolean.getBoolean("tideline.benchmark"), "opt-in: -Dtideline.benchmark=true");
        StringBuilder report = new StringBuilder(String.format("%n==== many tables benchmark: %d tables (%d hot of %,d rows, the rest %,d rows),"
                + " %,d tx/s for %d s, Zipf %.2f, %d writers ====%n", tables, hot, hotRows, quietRows, rate, seconds, zipf, writers));
        String javaOpts = System.getProperty("tideline.benchmark.java-opts", "");
        String jfr = System.getProperty("tideline.benchmark.jfr", "");
        try (LocalStack stack = LocalStack.up("ManyTablesBenchmark", javaOpts.isEmpty() ? Map.of() : Map.of("TIDELINE_JAVA_OPTS", javaOpts))) {
            try {
                measure(stack, report, jfr);
            } finally {
                // Printed before the stack goes down: tearing down 1,000 tables can outlast close()'s limit on a busy machine.
                System.out.println(report);
            }
        }
    }

    /** Snapshot, load and structure of one stack; appends every figure to {@code report} as soon as it is known. */
    private void measure(LocalStack stack, StringBuilder report, String jfr) throws Exception {
        Api api = new Api(stack.get("TIDELINE_API_URL"), stack.get("TIDELINE_API_TOKEN"));
        String sourceUrl = stack.get("TIDELINE_SOURCE_PG_URL").replace("/postgres?", "/many?");
        report.append(processes(stack, "after start")).append('\n');
        Map<String, Long> heapsAtStart = liveHeaps(stack);
        report.append(heaps("after start", heapsAtStart));

        long t0 = System.nanoTime();
        createTheSource(stack, sourceUrl);
        report.append(String.format("source: %d tables created and filled in %.1f s%n", tables, seconds(t0)));
        Map<Integer, String> sourceSums = checksums(sourceUrl);

        long snapshotStart = System.nanoTime();
        createThePipeline(stack, api);
        awaitEveryTableEqual(stack, sourceUrl, sourceSums, "snapshot");
        double snapshotSeconds = seconds(snapshotStart);
        report.append(String.format("snapshot: every one of %d tables in Delta and equal to its source %.1f s after the pipeline was created%n",
                tables, snapshotSeconds));
        report.append(processes(stack, "after the snapshot")).append('\n');

        Map<Integer, Long> versionsBefore = new HashMap<>();
        for (int t = 0; t < tables; t++) {
            versionsBefore.put(t, lastVersion(stack, t));
        }
        if (!jfr.isEmpty()) { // profiles of the load phase, to see where the time goes
            for (String part : List.of("gateway", "apply")) {
                jcmd(stack.pid(part), "JFR.start name=load settings=profile");
            }
        }
        Map<String, Double> cpuBefore = cpuSeconds(stack, sourceUrl);
        long cpuStart = System.nanoTime();
        // CPU per process every 10 s as well: who has the cores when latency builds up.
        List<Map<String, Double>> cpuWindows = new java.util.concurrent.CopyOnWriteArrayList<>(List.of(cpuBefore));
        java.util.concurrent.atomic.AtomicReference<String> samplerFailure = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.ScheduledExecutorService cpuSampler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        cpuSampler.scheduleAtFixedRate(() -> {
            try {
                cpuWindows.add(cpuSeconds(stack, sourceUrl));
            } catch (Throwable t) { // anything, so that the report says why windows are missing (an Error would end the task silently)
                samplerFailure.compareAndSet(null, t.toString());
            }
        }, 10, 10, TimeUnit.SECONDS);
        List<Committed> committed = load(sourceUrl, report);
        Map<Integer, Long> lastLsn = new HashMap<>();
        for (Committed c : committed) {
            lastLsn.merge(c.table(), c.lsnBefore(), Math::max);
        }
        long caughtUpStart = System.nanoTime();
        awaitApplied(stack, lastLsn, versionsBefore);
        if (!jfr.isEmpty()) {
            Files.createDirectories(Path.of(jfr));
            for (String part : List.of("gateway", "apply")) {
                jcmd(stack.pid(part), "JFR.dump name=load filename=" + Path.of(jfr, part + ".jfr").toAbsolutePath());
            }
            report.append("profiles of the load phase: ").append(jfr).append('\n');
        }
        report.append(String.format("every table applied the load %.1f s after its last commit%n", seconds(caughtUpStart)));
        cpuSampler.shutdownNow();
        report.append(cpu(cpuBefore, cpuSeconds(stack, sourceUrl), seconds(cpuStart)));
        report.append(cpuByWindow(cpuWindows));
        if (samplerFailure.get() != null) {
            report.append("(a CPU sample failed, windows merged: ").append(samplerFailure.get()).append(")\n");
        }
        report.append(latencies(stack, committed, versionsBefore));
        report.append(processes(stack, "after the load")).append('\n');

        awaitEveryTableEqual(stack, sourceUrl, checksums(sourceUrl), "after the load");
        report.append("after the load every table equals its source\n");
        report.append(jetStream(stack));
        Map<String, Long> heapsAfter = liveHeaps(stack);
        report.append(heaps("after the load", heapsAfter));
        report.append(largestClasses(stack, "apply", 12));
        report.append(perTable(heapsAtStart, heapsAfter));
    }

    private String table(int t) {
        return String.format("t%04d", t);
    }

    private int rows(int t) {
        return t < hot ? hotRows : quietRows;
    }

    private void createTheSource(LocalStack stack, String sourceUrl) throws Exception {
        Sql.run(stack.get("TIDELINE_SOURCE_PG_URL"), "CREATE DATABASE many");
        try (java.sql.Connection c = DriverManager.getConnection(sourceUrl); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA many");
            for (int t = 0; t < tables; t++) {
                s.execute("CREATE TABLE many." + table(t) + " (id int PRIMARY KEY, v bigint NOT NULL, note text)");
                s.execute("INSERT INTO many." + table(t) + " SELECT g, g * 7, CASE WHEN g % 5 = 0 THEN NULL ELSE md5(g::text) END"
                        + " FROM generate_series(1, " + rows(t) + ") g");
            }
            s.execute("CREATE PUBLICATION many_publication FOR TABLES IN SCHEMA many");
            s.execute("SELECT pg_create_logical_replication_slot('many_slot', 'pgoutput')");
        }
    }

    private void createThePipeline(LocalStack stack, Api api) throws Exception {
        URI source = URI.create(stack.get("TIDELINE_SOURCE_PG_URL").substring("jdbc:".length()));
        api.post("/api/2.1/unity-catalog/connections", """
                {"name": "many_source", "connection_type": "POSTGRESQL",
                 "options": {"host": "%s", "port": "%d", "user": "postgres", "password": "%s"}}
                """.formatted(source.getHost(), source.getPort(), Sql.urlParameter(source, "password"))).expect(200);
        String gatewayId = api.post("/api/2.0/pipelines", """
                {"name": "many-gateway",
                 "gateway_definition": {"connection_name": "many_source", "gateway_storage_catalog": "main",
                                        "gateway_storage_schema": "many", "gateway_storage_name": "many-gateway"}}
                """).expect(200).body().get("pipeline_id").asText();
        api.post("/api/2.0/pipelines", """
                {"name": "many-ingestion", "continuous": true,
                 "ingestion_definition": {
                   "ingestion_gateway_id": "%s",
                   "objects": [{"schema": {"source_catalog": "many", "source_schema": "many",
                                           "destination_catalog": "main", "destination_schema": "many"}}],
                   "source_configurations": [{"catalog": {"source_catalog": "many",
                     "postgres": {"slot_config": {"slot_name": "many_slot", "publication_name": "many_publication"}}}}]}}
                """.formatted(gatewayId)).expect(200);
    }

    /** Per table: row count and an order-independent checksum of every row, as text. */
    private Map<Integer, String> checksums(String sourceUrl) throws Exception {
        Map<Integer, String> sums = new HashMap<>();
        try (java.sql.Connection c = DriverManager.getConnection(sourceUrl); Statement s = c.createStatement()) {
            for (int t = 0; t < tables; t++) {
                try (ResultSet rs = s.executeQuery("SELECT count(*), coalesce(sum(id::bigint * 31 + v), 0),"
                        + " count(note), coalesce(sum(length(note)), 0) FROM many." + table(t))) {
                    rs.next();
                    sums.put(t, rs.getLong(1) + "/" + rs.getLong(2) + "/" + rs.getLong(3) + "/" + rs.getLong(4));
                }
            }
        }
        return sums;
    }

    private String deltaChecksum(LocalStack stack, int t) {
        Path warehouse = stack.warehouse();
        if (!Files.exists(tablePath(stack, t).resolve("_delta_log"))) {
            return "missing";
        }
        DeltaTableWriter delta = DeltaTableWriter.open(DeltaEngines.forWarehouse(warehouse.toString()), location(stack, t),
                "e2e-reader", TableId.of("many", table(t)), WriterSettings.DEFAULT);
        long count = 0;
        long sum = 0;
        long notes = 0;
        long noteLength = 0;
        for (Object[] r : delta.readAll()) {
            count++;
            sum += ((Number) r[0]).longValue() * 31 + ((Number) r[1]).longValue();
            if (r[2] != null) {
                notes++;
                noteLength += r[2].toString().length();
            }
        }
        return count + "/" + sum + "/" + notes + "/" + noteLength;
    }

    private String location(LocalStack stack, int t) {
        return TableLocations.of(stack.warehouse().toString(), "main", "many", table(t));
    }

    private Path tablePath(LocalStack stack, int t) {
        return Path.of(URI.create(location(stack, t)));
    }

    /** Passes over the tables not equal yet until none is left (a pass's length is the detection's granularity). */
    private void awaitEveryTableEqual(LocalStack stack, String sourceUrl, Map<Integer, String> source, String when) throws Exception {
        Set<Integer> remaining = new HashSet<>(source.keySet());
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(60);
        while (!remaining.isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(when + ": " + remaining.size() + " tables still differ from their source, e.g. "
                        + remaining.stream().limit(5).map(this::table).toList());
            }
            for (Integer t : new ArrayList<>(remaining)) {
                try {
                    if (source.get(t).equals(deltaChecksum(stack, t))) {
                        remaining.remove(t);
                    }
                } catch (RuntimeException e) {
                    // a table being created or replaced: the next pass reads it again
                }
            }
            if (!remaining.isEmpty()) {
                Thread.sleep(500); // between whole passes over up to a thousand tables, not a wait for one event
            }
        }
    }

    /**
     * The steady load: a pacer draws each transaction's table from the Zipf distribution and hands it to the
     * writer thread owning that table ({@code table % writers}), which runs it in its own transaction.
     */
    private List<Committed> load(String sourceUrl, StringBuilder report) throws Exception {
        double[] cumulative = new double[tables];
        double total = 0;
        for (int t = 0; t < tables; t++) {
            total += 1 / Math.pow(t + 1, zipf);
            cumulative[t] = total;
        }
        List<BlockingQueue<int[]>> queues = new ArrayList<>();
        ConcurrentLinkedQueue<Committed> committed = new ConcurrentLinkedQueue<>();
        AtomicBoolean pacing = new AtomicBoolean(true);
        AtomicLong dropped = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int w = 0; w < writers; w++) {
            BlockingQueue<int[]> queue = new ArrayBlockingQueue<>(10_000);
            queues.add(queue);
            Thread thread = new Thread(() -> {
                try (java.sql.Connection c = DriverManager.getConnection(sourceUrl)) {
                    c.setAutoCommit(false);
                    Map<Integer, PreparedStatement> updates = new HashMap<>();
                    PreparedStatement lsn = c.prepareStatement("SELECT pg_current_wal_insert_lsn()::text");
                    while (pacing.get() || !queue.isEmpty()) {
                        int[] work = queue.poll(100, TimeUnit.MILLISECONDS);
                        if (work == null) {
                            continue;
                        }
                        PreparedStatement update = updates.computeIfAbsent(work[0], t -> {
                            try {
                                return c.prepareStatement("UPDATE many." + table(t) + " SET v = v + 1, note = md5(random()::text) WHERE id = ?");
                            } catch (java.sql.SQLException e) {
                                throw new IllegalStateException(e);
                            }
                        });
                        update.setInt(1, work[1]);
                        update.executeUpdate();
                        long before;
                        try (ResultSet rs = lsn.executeQuery()) {
                            rs.next();
                            before = Lsn.parse(rs.getString(1)).value();
                        }
                        c.commit();
                        committed.add(new Committed(work[0], before, System.currentTimeMillis()));
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "writer-" + w);
            thread.start();
            threads.add(thread);
        }
        SplittableRandom random = new SplittableRandom(17);
        long start = System.nanoTime();
        long issued = 0;
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            long due = (System.nanoTime() - start) * rate / 1_000_000_000L;
            for (; issued < due; issued++) {
                int t = Arrays.binarySearch(cumulative, random.nextDouble() * total);
                t = t < 0 ? -t - 1 : t;
                t = Math.min(t, tables - 1);
                if (!queues.get(t % writers).offer(new int[] {t, 1 + random.nextInt(rows(t))})) {
                    dropped.incrementAndGet();
                }
            }
            Thread.sleep(1);
        }
        pacing.set(false);
        for (Thread thread : threads) {
            thread.join();
        }
        if (!failures.isEmpty()) {
            throw new AssertionError("a writer failed", failures.get(0));
        }
        double elapsed = seconds(start);
        report.append(String.format("load: %,d transactions committed in %.1f s = %,.0f tx/s (target %,d; %,d not issued: the writers lagged)%n",
                committed.size(), elapsed, committed.size() / elapsed, rate, dropped.get()));
        return new ArrayList<>(committed);
    }

    /** Commits of a table after {@code afterVersion}: Delta version → (file modification millis, transaction identifier). */
    private TreeMap<Long, long[]> commits(LocalStack stack, int t, long afterVersion) throws Exception {
        TreeMap<Long, long[]> commits = new TreeMap<>();
        Path log = tablePath(stack, t).resolve("_delta_log");
        try (Stream<Path> files = Files.list(log)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                String name = file.getFileName().toString();
                if (!name.matches("\\d{20}\\.json")) {
                    continue;
                }
                long version = Long.parseLong(name.substring(0, 20));
                if (version <= afterVersion) {
                    continue;
                }
                long txn = -1;
                for (String line : Files.readAllLines(file)) {
                    if (line.startsWith("{\"txn\"")) {
                        txn = JSON.readTree(line).at("/txn/version").asLong();
                    }
                }
                commits.put(version, new long[] {Files.getLastModifiedTime(file).toMillis(), txn});
            }
        }
        return commits;
    }

    /** The table's latest Delta version, from the log's file names alone. */
    private long lastVersion(LocalStack stack, int t) throws Exception {
        try (Stream<Path> files = Files.list(tablePath(stack, t).resolve("_delta_log"))) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.matches("\\d{20}\\.json"))
                    .mapToLong(n -> Long.parseLong(n.substring(0, 20))).max().orElse(-1);
        }
    }

    /** Waits until every table has a commit, after {@code versionsBefore}, that holds its last transaction of the load. */
    private void awaitApplied(LocalStack stack, Map<Integer, Long> lastLsn, Map<Integer, Long> versionsBefore) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
        Map<Integer, Long> remaining = new HashMap<>(lastLsn);
        while (!remaining.isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(remaining.size() + " tables did not apply the load within 30 minutes, e.g. "
                        + remaining.keySet().stream().limit(5).map(this::table).toList());
            }
            for (Map.Entry<Integer, Long> e : new ArrayList<>(remaining.entrySet())) {
                TreeMap<Long, long[]> commits = commits(stack, e.getKey(), versionsBefore.get(e.getKey()));
                if (commits.values().stream().anyMatch(c -> c[1] >= e.getValue())) {
                    remaining.remove(e.getKey());
                }
            }
            Thread.sleep(500);
        }
    }

    private String latencies(LocalStack stack, List<Committed> committed, Map<Integer, Long> versionsBefore) throws Exception {
        Map<Integer, List<Committed>> byTable = new HashMap<>();
        for (Committed c : committed) {
            byTable.computeIfAbsent(c.table(), k -> new ArrayList<>()).add(c);
        }
        List<Long> hotLatencies = new ArrayList<>();
        List<Long> quietLatencies = new ArrayList<>();
        String worstTable = null;
        long worstP95 = -1;
        long commitCount = 0;
        Map<Committed, Long> latencyOf = new IdentityHashMap<>(); // two transactions may be equal records
        for (Map.Entry<Integer, List<Committed>> e : byTable.entrySet()) {
            TreeMap<Long, long[]> commits = commits(stack, e.getKey(), versionsBefore.get(e.getKey()));
            commitCount += commits.size();
            List<Long> mine = new ArrayList<>();
            for (Committed c : e.getValue()) {
                long visible = commits.values().stream().filter(x -> x[1] >= c.lsnBefore()).mapToLong(x -> x[0]).min()
                        .orElseThrow(() -> new AssertionError(table(c.table()) + ": no Delta commit holds a transaction at " + Lsn.of(c.lsnBefore())));
                long latency = Math.max(0, visible - c.committedAtMillis());
                mine.add(latency);
                latencyOf.put(c, latency);
            }
            (e.getKey() < hot ? hotLatencies : quietLatencies).addAll(mine);
            long p95 = percentile(mine, 0.95);
            if (p95 > worstP95) {
                worstP95 = p95;
                worstTable = table(e.getKey()) + " (" + mine.size() + " tx)";
            }
        }
        return String.format("commit → visible in Delta, hot tables: %s%ncommit → visible in Delta, quiet tables: %s%n"
                        + "worst table p95: %d ms, %s; %d tables written, %,d Delta commits for %,d transactions%n%s",
                describe(hotLatencies), describe(quietLatencies), worstP95, worstTable, byTable.size(), commitCount, committed.size(),
                byWindow(committed, latencyOf));
    }

    /**
     * p95 of every table's transactions committed in each 10-second window of the load: whether the latency is the
     * steady state's or a backlog built early (right after the snapshot) and worked off later.
     */
    private static String byWindow(List<Committed> committed, Map<Committed, Long> latencyOf) {
        long start = committed.stream().mapToLong(Committed::committedAtMillis).min().orElse(0);
        TreeMap<Long, List<Long>> windows = new TreeMap<>();
        for (Committed c : committed) {
            windows.computeIfAbsent((c.committedAtMillis() - start) / 10_000, k -> new ArrayList<>()).add(latencyOf.get(c));
        }
        StringBuilder out = new StringBuilder("commit → visible p95 by 10 s window of the load (all tables):");
        windows.forEach((w, millis) -> out.append(String.format(" %d–%d s %d ms;", w * 10, w * 10 + 10, percentile(millis, 0.95))));
        return out.append(System.lineSeparator()).toString();
    }

    private static String describe(List<Long> millis) {
        if (millis.isEmpty()) {
            return "none";
        }
        return String.format("p50 %d ms, p95 %d ms, p99 %d ms, max %d ms over %,d transactions", percentile(millis, 0.5),
                percentile(millis, 0.95), percentile(millis, 0.99), percentile(millis, 1.0), millis.size());
    }

    private static long percentile(List<Long> values, double p) {
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int rank = (int) Math.ceil(p * sorted.size()) - 1; // nearest rank
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank)));
    }

    /**
     * CPU seconds used so far (user + system) by each service, the source Postgres, this JVM (the load generator and
     * the checks) and the whole machine (busy time of all cores, from {@code /proc/stat}). Postgres counts its
     * postmaster, its live processes and the backends that exited (reaped by the postmaster: its children's time).
     */
    private static Map<String, Double> cpuSeconds(LocalStack stack, String sourceUrl) throws Exception {
        Map<String, Double> cpu = new TreeMap<>();
        for (String part : SERVICES) {
            cpu.put(part, processCpu(stack.pid(part), false));
        }
        String dataDirectory;
        try (java.sql.Connection c = DriverManager.getConnection(sourceUrl); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SHOW data_directory")) {
            r.next();
            dataDirectory = r.getString(1);
        }
        String postmaster = Files.readAllLines(Path.of(dataDirectory, "postmaster.pid")).get(0).trim();
        double postgres = processCpu(postmaster, true);
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(d -> d.getFileName().toString().matches("\\d+")).toList()) {
                String[] stat = statFields(proc.getFileName().toString());
                if (stat != null && stat[1].equals(postmaster)) {
                    postgres += processCpu(proc.getFileName().toString(), false);
                }
            }
        }
        cpu.put("postgres", postgres);
        cpu.put("benchmark (load, checks)", processCpu(Long.toString(ProcessHandle.current().pid()), false));
        String[] machine = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long busy = 0;
        for (int i = 1; i < machine.length && i <= 8; i++) {
            busy += i == 4 || i == 5 ? 0 : Long.parseLong(machine[i]); // all but idle and iowait
        }
        cpu.put("machine", busy / (double) CLOCK_TICKS);
        return cpu;
    }

    /** Kernel clock ticks per second ({@code getconf CLK_TCK}): 100 on Linux. */
    private static final int CLOCK_TICKS = 100;

    /** A process's user + system CPU seconds (with {@code children}: also those of the children it reaped); 0 once gone. */
    private static double processCpu(String pid, boolean children) {
        String[] f = statFields(pid);
        if (f == null) {
            return 0;
        }
        // utime, stime, cutime, cstime: fields 14–17 of proc(5).
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]) + (children ? Long.parseLong(f[13]) + Long.parseLong(f[14]) : 0);
        return ticks / (double) CLOCK_TICKS;
    }

    /** {@code /proc/<pid>/stat} from field 3 (state) on — field n at index n − 3, the ppid at 1; null when the process is gone. */
    private static String[] statFields(String pid) {
        try {
            String stat = Files.readString(Path.of("/proc", pid, "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    private static String cpu(Map<String, Double> before, Map<String, Double> after, double wallSeconds) {
        StringBuilder line = new StringBuilder(String.format("CPU during the load and until caught up (%.1f s, %d cores):", wallSeconds,
                Runtime.getRuntime().availableProcessors()));
        double machine = after.get("machine") - before.get("machine");
        line.append(String.format(" machine %.1f s (%.0f %% busy);", machine, 100 * machine / (wallSeconds * Runtime.getRuntime().availableProcessors())));
        double named = 0;
        for (String part : after.keySet()) {
            if (!part.equals("machine")) {
                double used = after.get(part) - before.getOrDefault(part, 0.0);
                named += used;
                line.append(String.format(" %s %.1f s (%.2f cores);", part, used, used / wallSeconds));
            }
        }
        line.append(String.format(" everything else %.1f s%n", machine - named));
        return line.toString();
    }

    /** Cores used by each process in each 10 s window of the load (from samples taken every 10 s). */
    private static String cpuByWindow(List<Map<String, Double>> samples) {
        StringBuilder out = new StringBuilder("CPU by 10 s window of the load (cores):");
        for (int w = 1; w < samples.size(); w++) {
            out.append(String.format("%n  %d–%d s:", (w - 1) * 10, w * 10));
            for (String part : samples.get(w).keySet()) {
                out.append(String.format(" %s %.2f;", part, (samples.get(w).get(part) - samples.get(w - 1).getOrDefault(part, 0.0)) / 10));
            }
        }
        return out.append(System.lineSeparator()).toString();
    }

    private String processes(LocalStack stack, String when) throws Exception {
        StringBuilder line = new StringBuilder(when + ":");
        for (String part : SERVICES) {
            long rss = stack.processStatus(part, "VmRSS");
            line.append(String.format(" %s RSS %d MiB (peak %d), %d threads;", part, rss / 1024, stack.processStatus(part, "VmHWM") / 1024,
                    stack.processStatus(part, "Threads")));
        }
        return line.toString();
    }

    /** Each service's live heap after a full collection ({@code jcmd GC.run}, then {@code GC.heap_info}), in KiB. */
    private Map<String, Long> liveHeaps(LocalStack stack) throws Exception {
        Map<String, Long> heaps = new TreeMap<>();
        for (String part : SERVICES) {
            if (part.equals("nats")) {
                continue;
            }
            jcmd(stack.pid(part), "GC.run");
            java.util.regex.Matcher used = java.util.regex.Pattern.compile("total \\d+K, used (\\d+)K").matcher(jcmd(stack.pid(part), "GC.heap_info"));
            heaps.put(part, used.find() ? Long.parseLong(used.group(1)) : -1);
        }
        return heaps;
    }

    /** The classes holding most of a service's heap ({@code jcmd GC.class_histogram}: live objects only), for where its memory is. */
    private static String largestClasses(LocalStack stack, String part, int top) throws Exception {
        String[] lines = jcmd(stack.pid(part), "GC.class_histogram").split("\n");
        StringBuilder out = new StringBuilder("largest classes in " + part + "'s live heap:\n");
        int shown = 0;
        for (String line : lines) {
            if (line.trim().matches("\\d+:\\s+\\d+\\s+\\d+\\s+.*") && shown++ < top) {
                out.append("  ").append(line.trim()).append('\n');
            }
        }
        return out.toString();
    }

    private static String jcmd(String pid, String command) throws Exception {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), pid, command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(60, TimeUnit.SECONDS);
        return out;
    }

    private String heaps(String when, Map<String, Long> heaps) {
        StringBuilder line = new StringBuilder("live heap after a full GC, " + when + ":");
        heaps.forEach((part, kib) -> line.append(String.format(" %s %.1f MiB;", part, kib / 1024.0)));
        return line.append('\n').toString();
    }

    private String perTable(Map<String, Long> before, Map<String, Long> after) {
        StringBuilder line = new StringBuilder("live heap per table (after the load − after start, ÷ tables):");
        after.forEach((part, kib) -> line.append(String.format(" %s %.1f KiB;", part, (double) (kib - before.get(part)) / tables)));
        return line.append('\n').toString();
    }

    private String jetStream(LocalStack stack) throws Exception {
        StringBuilder line = new StringBuilder("JetStream:");
        try (Connection nats = Nats.connect(stack.get("TIDELINE_NATS_URL"))) {
            JetStreamManagement jsm = nats.jetStreamManagement();
            long consumers = 0;
            for (String stream : jsm.getStreamNames()) {
                consumers += jsm.getStreamInfo(stream).getStreamState().getConsumerCount();
            }
            line.append(String.format(" %d streams, %d consumers (%.3f per table);", jsm.getStreamNames().size(), consumers,
                    (double) consumers / tables));
            KeyValueManagement kvm = nats.keyValueManagement();
            for (String bucket : kvm.getBucketNames()) {
                int keys = nats.keyValue(bucket).keys().size();
                line.append(String.format(" KV %s %d keys (%.2f per table);", bucket, keys, (double) keys / tables));
            }
        }
        return line.append('\n').toString();
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
