package dev.tideline.e2e;

import static org.awaitility.Awaitility.await;
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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A real workload nobody here wrote: {@code pgbench}'s TPC-B-like transactions on the stack
 * {@code deploy/local/up.sh} starts. One schema-level ingestion pipeline takes all four pgbench tables —
 * {@code pgbench_history} without a primary key (REPLICA IDENTITY FULL; pgbench inserts NULL into its
 * {@code filler}) included — while pgbench runs, and a CONTINUOUS synced table carries
 * {@code pgbench_accounts} back into the target Postgres. When the load stops, every Delta table equals its
 * source row for row (the history table as a multiset), the synced table equals the source, and no status
 * claims anything it lacks.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PgbenchIT {

    private static final Duration PATIENCE = Duration.ofMinutes(4);
    private static final List<String> TABLES = List.of("pgbench_accounts", "pgbench_branches", "pgbench_tellers", "pgbench_history");

    private LocalStack stack;
    private Api api;
    private String benchUrl;
    private String ingestionId;

    @BeforeAll
    void startTheStack() throws Exception {
        stack = LocalStack.up();
        api = new Api(stack.get("TIDELINE_API_URL"), stack.get("TIDELINE_API_TOKEN"));
        String admin = stack.get("TIDELINE_SOURCE_PG_URL");
        benchUrl = admin.replace("/postgres?", "/bench?");
        sql(admin, "CREATE DATABASE bench");
    }

    @AfterAll
    void stopTheStack() throws Exception {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    void pgbenchInitialisesTheSource() throws Exception {
        pgbench("-i", "-s", "1", "-q");
        sql(benchUrl,
                // pgbench_history has no primary key: without FULL, Postgres refuses its updates and deletes under a publication
                "ALTER TABLE pgbench_history REPLICA IDENTITY FULL",
                "CREATE PUBLICATION bench_publication FOR ALL TABLES",
                // as Lakeflow Connect's setup asks: the user creates the slot, the gateway snapshots with watermarks
                "SELECT pg_create_logical_replication_slot('bench_slot', 'pgoutput')");
    }

    @Test
    @Order(2)
    void aSchemaPipelineIngestsEveryTableWhilePgbenchRuns() throws Exception {
        URI source = URI.create(stack.get("TIDELINE_SOURCE_PG_URL").substring("jdbc:".length()));
        api.post("/api/2.1/unity-catalog/connections", """
                {"name": "bench_source", "connection_type": "POSTGRESQL",
                 "options": {"host": "%s", "port": "%d", "user": "postgres", "password": "%s"}}
                """.formatted(source.getHost(), source.getPort(), queryParameter(source, "password"))).expect(200);
        String gatewayId = api.post("/api/2.0/pipelines", """
                {"name": "bench-gateway",
                 "gateway_definition": {"connection_name": "bench_source", "gateway_storage_catalog": "main",
                                        "gateway_storage_schema": "bench", "gateway_storage_name": "bench-gateway"}}
                """).expect(200).body().get("pipeline_id").asText();
        // The load runs through the snapshot: chunk reads, their watermark windows and the stream must meet exactly.
        Process load = pgbenchInBackground("-c", "4", "-j", "2", "-T", "40", "-n");
        ingestionId = api.post("/api/2.0/pipelines", """
                {"name": "bench-ingestion", "continuous": true,
                 "ingestion_definition": {
                   "ingestion_gateway_id": "%s",
                   "objects": [{"schema": {"source_catalog": "bench", "source_schema": "public",
                                           "destination_catalog": "main", "destination_schema": "bench"}}],
                   "source_configurations": [{"catalog": {"source_catalog": "bench",
                     "postgres": {"slot_config": {"slot_name": "bench_slot", "publication_name": "bench_publication"}}}}]}}
                """.formatted(gatewayId)).expect(200).body().get("pipeline_id").asText();

        await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(1)).until(() ->
                api.get("/api/2.1/unity-catalog/tables/main.bench.pgbench_accounts").status() == 200);
        startTheSyncedTable();

        assertTrue(load.waitFor(3, TimeUnit.MINUTES), "pgbench did not finish");
        String output = new String(load.getInputStream().readAllBytes());
        assertEquals(0, load.exitValue(), output);
        long history = count("pgbench_history");
        assertTrue(history > 500, "pgbench ran only " + history + " transactions: " + output);

        for (String table : TABLES) {
            eventually(table).untilAsserted(() -> assertEquals(sourceRows(table), deltaRows(table), table + " in Delta"));
        }
    }

    @Test
    @Order(3)
    void theContinuousSyncedTableEqualsTheSource() throws Exception {
        String targetUrl = stack.get("TIDELINE_TARGET_PG_URL").replace("/postgres?", "/bench_synced?");
        eventually("the synced table").untilAsserted(() -> assertEquals(
                query(benchUrl, "SELECT aid, bid, abalance, filler FROM pgbench_accounts ORDER BY aid"),
                query(targetUrl, "SELECT aid, bid, abalance, filler FROM public.pgbench_accounts ORDER BY aid")));
    }

    @Test
    @Order(4)
    void noStatusClaimsAnythingItLacks() throws Exception {
        JsonNode pipeline = api.get("/api/2.0/pipelines/" + ingestionId).expect(200).body();
        assertEquals("HEALTHY", pipeline.get("health").asText(), pipeline.toString());
        assertEquals("RUNNING", pipeline.get("state").asText(), pipeline.toString());
        List<String> tables = new ArrayList<>();
        for (JsonNode t : pipeline.get("table_statuses")) {
            tables.add(t.get("source_table").asText());
            assertEquals("COMMITTED", t.get("state").asText(), t.toString());
        }
        assertTrue(tables.containsAll(TABLES), tables.toString());
        JsonNode synced = api.get("/api/2.0/database/synced_tables/bench_db.public.pgbench_accounts").expect(200).body();
        assertTrue(synced.at("/data_synchronization_status/detailed_state").asText().startsWith("SYNCED_TABLE_ONLINE"), synced.toString());
    }

    private void startTheSyncedTable() throws Exception {
        URI target = URI.create(stack.get("TIDELINE_TARGET_PG_URL").substring("jdbc:".length()));
        api.post("/api/2.1/unity-catalog/connections", """
                {"name": "bench_target", "connection_type": "POSTGRESQL",
                 "options": {"host": "%s", "port": "%d", "user": "postgres", "password": "%s"}}
                """.formatted(target.getHost(), target.getPort(), queryParameter(target, "password"))).expect(200);
        api.post("/api/2.0/database/instances", """
                {"name": "bench-instance", "connection_name": "bench_target"}
                """).expect(200);
        api.post("/api/2.0/database/catalogs", """
                {"name": "bench_db", "database_instance_name": "bench-instance", "database_name": "bench_synced",
                 "create_database_if_missing": true}
                """).expect(200);
        api.post("/api/2.0/database/synced_tables", """
                {"name": "bench_db.public.pgbench_accounts",
                 "spec": {"source_table_full_name": "main.bench.pgbench_accounts", "primary_key_columns": ["aid"],
                          "scheduling_policy": "CONTINUOUS"}}
                """).expect(200);
    }

    private org.awaitility.core.ConditionFactory eventually(String what) {
        return org.awaitility.Awaitility.await(what).atMost(PATIENCE).pollInterval(Duration.ofSeconds(2)).ignoreExceptions();
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
        for (List<String> r : query(benchUrl, "SELECT " + columns + " FROM " + table)) {
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

    private long count(String table) throws SQLException {
        return Long.parseLong(query(benchUrl, "SELECT count(*) FROM " + table).get(0).get(0));
    }

    private void pgbench(String... args) throws IOException, InterruptedException {
        Process p = pgbenchInBackground(args);
        String output = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(5, TimeUnit.MINUTES) && p.exitValue() == 0, "pgbench " + String.join(" ", args) + ": " + output);
    }

    /** pgbench against the source's {@code bench} database; stdout and stderr together. */
    private Process pgbenchInBackground(String... args) throws IOException {
        URI source = URI.create(stack.get("TIDELINE_SOURCE_PG_URL").substring("jdbc:".length()));
        List<String> command = new ArrayList<>(List.of(pgbenchBinary(), "-h", source.getHost(), "-p", Integer.toString(source.getPort()),
                "-U", "postgres"));
        command.addAll(Arrays.asList(args));
        command.add("bench");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.put("PGPASSWORD", queryParameter(source, "password"));
        return builder.start();
    }

    /** The server's own pgbench (Debian's /usr/bin/pgbench wrapper needs a configured cluster). */
    private static String pgbenchBinary() throws IOException {
        try (var dirs = Files.list(Path.of("/usr/lib/postgresql"))) {
            return dirs.map(d -> d.resolve("bin/pgbench")).filter(Files::isExecutable).max(Path::compareTo)
                    .map(Path::toString).orElse("pgbench");
        }
    }

    private static void sql(String url, String... statements) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }

    private static List<List<String>> query(String url, String query) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
            List<List<String>> rows = new ArrayList<>();
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= columns; i++) {
                    row.add(rs.getString(i));
                }
                rows.add(row);
            }
            return rows;
        }
    }

    private static String queryParameter(URI uri, String name) {
        for (String pair : uri.getQuery().split("&")) {
            if (pair.startsWith(name + "=")) {
                return pair.substring(name.length() + 1);
            }
        }
        throw new IllegalStateException(uri + " has no " + name);
    }
}
