package dev.tideline.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tideline.apply.delta.DeltaTableWriter;
import dev.tideline.apply.delta.WriterSettings;
import dev.tideline.core.TableId;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.TableLocations;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/**
 * pgbench's database on the source of a {@link LocalStack}, ingested by one schema-level pipeline and
 * synced back, and the checks that every copy equals the source: {@code pgbench_accounts},
 * {@code _branches} and {@code _tellers} keyed, {@code pgbench_history} without a key (REPLICA IDENTITY
 * FULL; pgbench inserts NULL into its {@code filler}), and a CONTINUOUS synced table of
 * {@code pgbench_accounts} in the target Postgres.
 */
final class PgbenchWorkload implements AutoCloseable {

    static final Duration PATIENCE = Duration.ofMinutes(4);
    static final List<String> TABLES = List.of("pgbench_accounts", "pgbench_branches", "pgbench_tellers", "pgbench_history");
    static final String SYNCED = "bench_db.public.pgbench_accounts";

    private final LocalStack stack;
    private final Api api;
    private final String benchUrl;
    private String ingestionId;

    private PgbenchWorkload(LocalStack stack) {
        this.stack = stack;
        this.api = new Api(stack.get("TIDELINE_API_URL"), stack.get("TIDELINE_API_TOKEN"));
        this.benchUrl = stack.get("TIDELINE_SOURCE_PG_URL").replace("/postgres?", "/bench?");
    }

    /** The workload on a stack of its own ({@link LocalStack#up}), which {@link #close} stops. */
    static PgbenchWorkload onANewStack(String name) throws IOException, InterruptedException {
        return new PgbenchWorkload(LocalStack.up(name));
    }

    /** {@link #onANewStack(String)} with extra environment for the stack (e.g. {@code TIDELINE_JAVA_OPTS}). */
    static PgbenchWorkload onANewStack(String name, Map<String, String> environment) throws IOException, InterruptedException {
        return new PgbenchWorkload(LocalStack.up(name, environment));
    }

    /** The stack, for fault drills ({@link LocalStack#kill}, {@link LocalStack#restart}). */
    LocalStack stack() {
        return stack;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        stack.close();
    }

    /** {@code pgbench -i}, the publication and the slot, as Lakeflow Connect's setup asks a user to. */
    void initialiseTheSource() throws Exception {
        initialiseTheSource(1);
    }

    /** {@link #initialiseTheSource()} at pgbench scale {@code scale} ({@code scale} × 100,000 accounts). */
    void initialiseTheSource(int scale) throws Exception {
        Sql.run(stack.get("TIDELINE_SOURCE_PG_URL"), "CREATE DATABASE bench");
        Process init = pgbench("-i", "-s", Integer.toString(scale), "-q");
        String output = new String(init.getInputStream().readAllBytes());
        assertTrue(init.waitFor(60, TimeUnit.MINUTES) && init.exitValue() == 0, "pgbench -i: " + output);
        Sql.run(benchUrl,
                // no primary key: without FULL, Postgres refuses its updates and deletes under a publication
                "ALTER TABLE pgbench_history REPLICA IDENTITY FULL",
                "CREATE PUBLICATION bench_publication FOR ALL TABLES",
                "SELECT pg_create_logical_replication_slot('bench_slot', 'pgoutput')");
    }

    /** The connection, gateway and continuous schema-level ingestion pipeline, through the API. */
    void createThePipelines() throws Exception {
        URI source = URI.create(stack.get("TIDELINE_SOURCE_PG_URL").substring("jdbc:".length()));
        api.post("/api/2.1/unity-catalog/connections", """
                {"name": "bench_source", "connection_type": "POSTGRESQL",
                 "options": {"host": "%s", "port": "%d", "user": "postgres", "password": "%s"}}
                """.formatted(source.getHost(), source.getPort(), Sql.urlParameter(source, "password"))).expect(200);
        String gatewayId = api.post("/api/2.0/pipelines", """
                {"name": "bench-gateway",
                 "gateway_definition": {"connection_name": "bench_source", "gateway_storage_catalog": "main",
                                        "gateway_storage_schema": "bench", "gateway_storage_name": "bench-gateway"}}
                """).expect(200).body().get("pipeline_id").asText();
        ingestionId = api.post("/api/2.0/pipelines", """
                {"name": "bench-ingestion", "continuous": true,
                 "ingestion_definition": {
                   "ingestion_gateway_id": "%s",
                   "objects": [{"schema": {"source_catalog": "bench", "source_schema": "public",
                                           "destination_catalog": "main", "destination_schema": "bench"}}],
                   "source_configurations": [{"catalog": {"source_catalog": "bench",
                     "postgres": {"slot_config": {"slot_name": "bench_slot", "publication_name": "bench_publication"}}}}]}}
                """.formatted(gatewayId)).expect(200).body().get("pipeline_id").asText();
    }

    /** Once {@code pgbench_accounts} exists in Delta: a database instance on the target and a CONTINUOUS synced table. */
    void createTheSyncedTable() throws Exception {
        Awaitility.await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(1)).until(() ->
                api.get("/api/2.1/unity-catalog/tables/main.bench.pgbench_accounts").status() == 200);
        URI target = URI.create(stack.get("TIDELINE_TARGET_PG_URL").substring("jdbc:".length()));
        api.post("/api/2.1/unity-catalog/connections", """
                {"name": "bench_target", "connection_type": "POSTGRESQL",
                 "options": {"host": "%s", "port": "%d", "user": "postgres", "password": "%s"}}
                """.formatted(target.getHost(), target.getPort(), Sql.urlParameter(target, "password"))).expect(200);
        api.post("/api/2.0/database/instances", """
                {"name": "bench-instance", "connection_name": "bench_target"}
                """).expect(200);
        api.post("/api/2.0/database/catalogs", """
                {"name": "bench_db", "database_instance_name": "bench-instance", "database_name": "bench_synced",
                 "create_database_if_missing": true}
                """).expect(200);
        api.post("/api/2.0/database/synced_tables", """
                {"name": "%s",
                 "spec": {"source_table_full_name": "main.bench.pgbench_accounts", "primary_key_columns": ["aid"],
                          "scheduling_policy": "CONTINUOUS"}}
                """.formatted(SYNCED)).expect(200);
    }

    /** pgbench's TPC-B-like transactions against the source ({@code -n}: no vacuum), stdout and stderr together. */
    Process load(String... args) throws IOException {
        List<String> all = new ArrayList<>(List.of("-n"));
        all.addAll(Arrays.asList(args));
        return pgbench(all.toArray(String[]::new));
    }

    /** The source database's JDBC URL. */
    String sourceUrl() {
        return benchUrl;
    }

    /** The synced database's JDBC URL on the target. */
    String targetUrl() {
        return stack.get("TIDELINE_TARGET_PG_URL").replace("/postgres?", "/bench_synced?");
    }

    long historyRows() throws SQLException {
        return Long.parseLong(Sql.query(benchUrl, "SELECT count(*) FROM pgbench_history").get(0).get(0));
    }

    /** Waits until every Delta table equals its source row for row (as a multiset), then the synced table. */
    void awaitEverythingEqualsTheSource() {
        for (String table : TABLES) {
            eventually(table).untilAsserted(() -> assertEquals(sourceRows(table), deltaRows(table), table + " in Delta"));
        }
        String targetUrl = targetUrl();
        eventually("the synced table").untilAsserted(() -> assertEquals(
                Sql.query(benchUrl, "SELECT aid, bid, abalance, filler FROM pgbench_accounts ORDER BY aid"),
                Sql.query(targetUrl, "SELECT aid, bid, abalance, filler FROM public.pgbench_accounts ORDER BY aid")));
    }

    /** The pipeline RUNNING and HEALTHY, every table COMMITTED, the synced table ONLINE. */
    void assertNoStatusClaimsAnythingItLacks() throws Exception {
        JsonNode pipeline = api.get("/api/2.0/pipelines/" + ingestionId).expect(200).body();
        assertEquals("HEALTHY", pipeline.get("health").asText(), pipeline.toString());
        assertEquals("RUNNING", pipeline.get("state").asText(), pipeline.toString());
        List<String> tables = new ArrayList<>();
        for (JsonNode t : pipeline.get("table_statuses")) {
            tables.add(t.get("source_table").asText());
            assertEquals("COMMITTED", t.get("state").asText(), t.toString());
        }
        assertTrue(tables.containsAll(TABLES), tables.toString());
        JsonNode synced = api.get("/api/2.0/database/synced_tables/" + SYNCED).expect(200).body();
        assertTrue(synced.at("/data_synchronization_status/detailed_state").asText().startsWith("SYNCED_TABLE_ONLINE"), synced.toString());
    }

    private static ConditionFactory eventually(String what) {
        return Awaitility.await(what).atMost(PATIENCE).pollInterval(Duration.ofSeconds(2)).ignoreExceptions();
    }

    /** The source table's rows as sorted text, timestamps as epoch microseconds (Delta's TIMESTAMP_NTZ). */
    private List<String> sourceRows(String table) throws SQLException {
        String columns = switch (table) {
            case "pgbench_history" -> "tid, bid, aid, delta, (extract(epoch FROM mtime) * 1000000)::bigint, filler";
            case "pgbench_accounts" -> "aid, bid, abalance, filler";
            case "pgbench_branches" -> "bid, bbalance, filler";
            default -> "tid, bid, tbalance, filler";
        };
        List<String> rows = new ArrayList<>();
        for (List<String> r : Sql.query(benchUrl, "SELECT " + columns + " FROM " + table)) {
            rows.add(String.valueOf(r));
        }
        rows.sort(null);
        return rows;
    }

    /** What the Delta table holds (deletion vectors applied), as sorted text like {@link #sourceRows}. */
    private List<String> deltaRows(String table) {
        Path warehouse = stack.warehouse();
        DeltaTableWriter delta = DeltaTableWriter.open(DeltaEngines.forWarehouse(warehouse.toString()),
                TableLocations.of(warehouse.toString(), "main", "bench", table), "e2e-reader", TableId.of("public", table),
                WriterSettings.DEFAULT);
        List<String> rows = new ArrayList<>();
        for (Object[] r : delta.readAll()) {
            rows.add(Arrays.toString(Arrays.stream(r).map(v -> v == null ? null : v.toString()).toArray()));
        }
        rows.sort(null);
        return rows;
    }

    private Process pgbench(String... args) throws IOException {
        URI source = URI.create(stack.get("TIDELINE_SOURCE_PG_URL").substring("jdbc:".length()));
        List<String> command = new ArrayList<>(List.of(pgbenchBinary(), "-h", source.getHost(), "-p", Integer.toString(source.getPort()),
                "-U", "postgres"));
        command.addAll(Arrays.asList(args));
        command.add("bench");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("PGPASSWORD", Sql.urlParameter(source, "password"));
        return builder.start();
    }

    /** The server's own pgbench (Debian's /usr/bin/pgbench wrapper wants a configured cluster). */
    private static String pgbenchBinary() throws IOException {
        try (var dirs = Files.list(Path.of("/usr/lib/postgresql"))) {
            return dirs.map(d -> d.resolve("bin/pgbench")).filter(Files::isExecutable).max(Path::compareTo)
                    .map(Path::toString).orElse("pgbench");
        }
    }
}
