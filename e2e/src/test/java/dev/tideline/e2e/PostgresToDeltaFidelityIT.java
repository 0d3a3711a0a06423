package dev.tideline.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tideline.apply.delta.DeltaTableWriter;
import dev.tideline.apply.delta.PostgresDeltaTypes;
import dev.tideline.apply.delta.ScdType;
import dev.tideline.apply.delta.WriterSettings;
import dev.tideline.apply.stream.ApplyListener;
import dev.tideline.apply.stream.ApplySettings;
import dev.tideline.apply.stream.PipelineApplier;
import dev.tideline.apply.stream.TableRoutes;
import dev.tideline.apply.stream.TableTarget;
import dev.tideline.control.status.PipelineState;
import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.sink.SinkCommit;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.TableLocations;
import dev.tideline.gateway.publish.JetStreamPublisher;
import dev.tideline.gateway.run.GatewayPipeline;
import dev.tideline.gateway.run.GatewayPipelineSpec;
import dev.tideline.gateway.snapshot.SnapshotSettings;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithNats;
import dev.tideline.testing.WithPostgres;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.types.StructField;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every Postgres type of {@code postgres-to-delta-cases.txt}, at its boundaries, through the real
 * gateway (slot, exported snapshot, pgoutput, JetStream) and the real applier into Delta, read back
 * with Kernel and compared value by value with what Postgres itself says each value is (the oracle:
 * SQL that renders each value as the documented mapping stores it — epoch days, epoch microseconds,
 * exact decimals, the type's text output).
 *
 * <p>Each type is a key and a plain column of one table ({@code key}), or a plain column beside an
 * integer key ({@code plain}). The values are loaded before the snapshot, then updated, deleted and
 * re-keyed through the stream in three transactions. After the snapshot and after each transaction
 * every table is checked: row count and checksum against the source, then, on a difference, value by
 * value. A case that Delta cannot represent must end FAILED with the table and column named — and
 * no other table may fail.
 */
@WithPostgres
@WithNats
class PostgresToDeltaFidelityIT {

    static final String GATEWAY = "fidgw";
    static final String PIPELINE = "fidelity";
    static final String CATALOG = "main";
    static final String SCHEMA = "fid";
    static final Duration PATIENCE = Duration.ofSeconds(120);

    @TempDir
    Path warehouse;

    final Map<String, Lsn> applied = new ConcurrentHashMap<>();
    final Map<String, TidelineException> failed = new ConcurrentHashMap<>();
    final List<String> commits = java.util.Collections.synchronizedList(new ArrayList<>());
    /** The first problem of each table (by table name), in the order found. */
    final Map<String, String> problems = new LinkedHashMap<>();

    final ApplyListener listener = new ApplyListener() {
        @Override
        public void committed(TableTarget target, String location, Lsn appliedLsn, long rowChanges, SinkCommit outcome) {
            applied.merge(target.table(), appliedLsn, (a, b) -> a.compareTo(b) >= 0 ? a : b);
            commits.add(target.table() + " v" + outcome.version() + " " + appliedLsn);
        }

        @Override
        public void failed(TableTarget target, TidelineException error) {
            failed.put(target.table(), error);
        }
    };

    @Test
    void everyTypeAtItsBoundariesArrivesInDeltaAsPostgresSaysOrFailsNamingTheColumn(PostgresServer pg, NatsServer nats)
            throws Exception {
        TypeCase.Table table = TypeCase.load();
        List<TypeCase> cases = table.cases();
        sql(pg, "CREATE SCHEMA fid");
        sql(pg, table.setup().toArray(String[]::new));
        for (TypeCase c : cases) {
            sql(pg, c.key()
                    ? "CREATE TABLE fid." + c.table() + " (k " + c.pgType() + " PRIMARY KEY, v " + c.pgType() + ", n integer)"
                    : "CREATE TABLE fid." + c.table() + " (n integer PRIMARY KEY, v " + c.pgType() + ")");
            if (c.failure() == null || c.failsInSnapshot()) {
                sql(pg, initialRows(c));
            }
        }
        sql(pg, "CREATE PUBLICATION fid_pub FOR TABLES IN SCHEMA fid");

        List<TableId> sources = cases.stream().map(c -> TableId.of(SCHEMA, c.table())).toList();
        GatewayPipelineSpec spec = new GatewayPipelineSpec(GATEWAY, pg.jdbcUrl(), pg.user(), pg.password(), "fid_slot", "fid_pub",
                sources, Set.of(), true, Map.of());
        GatewayPipeline.Tuning tuning = new GatewayPipeline.Tuning(nats.url(),
                new SnapshotSettings(1000, 2, Duration.ofSeconds(60), 5, Duration.ofMillis(500)), Duration.ofSeconds(1),
                Duration.ofMillis(200), JetStreamPublisher.Settings.DEFAULT);
        TableRoutes routes = TableRoutes.of(cases.stream()
                .map(c -> new TableTarget(TableId.of(SCHEMA, c.table()), CATALOG, SCHEMA, c.table(), ScdType.SCD_TYPE_1, List.of()))
                .toArray(TableTarget[]::new));
        Engine engine = DeltaEngines.forWarehouse(warehouse.toString(), EngineSettings.defaults().withFsync(false));

        try (GatewayPipeline gateway = new GatewayPipeline(spec, tuning, new SimpleMeterRegistry());
             Connection client = Nats.connect(nats.url())) {
            gateway.start();
            await().atMost(PATIENCE).until(() -> gateway.status().state() == PipelineState.RUNNING);
            try (PipelineApplier applier = new PipelineApplier(client, GATEWAY, PIPELINE, routes, engine, warehouse.toString(),
                    ApplySettings.DEFAULT.withMaxBatchDelay(Duration.ofMillis(100)), WriterSettings.DEFAULT, listener)) {
                applier.start();
                awaitSnapshot(applier, cases);
                assertEveryTableEqualsItsSource(pg, engine, cases, "the snapshot");
                for (Phase phase : phases(cases)) {
                    Lsn before = currentLsn(pg);
                    List<String> statements = new ArrayList<>(List.of("BEGIN"));
                    List<TypeCase> changed = new ArrayList<>();
                    for (TypeCase c : cases) {
                        List<String> own = phase.statements(c);
                        statements.addAll(own);
                        if (!own.isEmpty()) {
                            changed.add(c);
                        }
                    }
                    statements.add("COMMIT");
                    sql(pg, statements.toArray(String[]::new));
                    awaitApplied(applier, changed, before);
                    assertEveryTableEqualsItsSource(pg, engine, cases, phase.name());
                }
                assertFailuresNameTableAndColumn(cases);
                assertNoProblems();
            }
        }
    }

    /** The value table is what the type-mapping reference documents: each case's types appear in its "Value ranges" table. */
    @Test
    void theReferenceDocumentsEveryCaseWithItsDeltaType() throws Exception {
        Path doc = Path.of(System.getProperty("tideline.repo.root", "..")).resolve("docs/reference/type-mapping-postgres-to-delta.md");
        String text = Files.readString(doc, StandardCharsets.UTF_8);
        int ranges = text.indexOf("## Value ranges");
        assertTrue(ranges >= 0, doc + " has a '## Value ranges' section");
        Map<String, Set<String>> documented = new HashMap<>();
        for (String line : text.substring(ranges).split("\n")) {
            String[] cells = line.split("\\|");
            if (line.startsWith("| `") && cells.length > 3) {
                documented.computeIfAbsent(unquote(cells[1]), k -> new java.util.HashSet<>()).add(unquote(cells[2]));
            }
        }
        List<String> missing = new ArrayList<>();
        for (TypeCase c : TypeCase.load().cases()) {
            // Types created by the setup lines are documented by kind: enum, domain, composite, enum[].
            String pgType = c.pgType().startsWith("fid.") ? c.name().replace("_array", "[]") : c.pgType();
            String delta = c.failure() == null ? c.deltaType() : "FAILED";
            Set<String> deltas = documented.get(pgType);
            if (deltas == null || deltas.stream().noneMatch(d -> d.equals(c.deltaType()) || d.equals(delta))) {
                missing.add(pgType + " → " + c.deltaType());
            }
        }
        assertEquals(List.of(), missing, "cases missing from the Value ranges table of " + doc);
    }

    private static String unquote(String cell) {
        return cell.trim().replace("`", "");
    }

    // --- the workload ------------------------------------------------------------------------

    /** Before the snapshot: row i holds value i as key and value i+1 as plain column; one plain column is NULL. */
    static String[] initialRows(TypeCase c) {
        List<String> out = new ArrayList<>();
        int m = c.values().size();
        for (int i = 0; i < m; i++) {
            String v = i == m - 1 && m > 1 ? "NULL" : c.literal((i + 1) % m);
            out.add(c.key() ? "INSERT INTO fid." + c.table() + " VALUES (" + c.literal(i) + ", " + v + ", " + i + ")"
                    : "INSERT INTO fid." + c.table() + " VALUES (" + i + ", " + c.literal(i) + ")");
        }
        if (!c.key()) {
            out.add("INSERT INTO fid." + c.table() + " VALUES (" + m + ", NULL)");
        }
        return out.toArray(String[]::new);
    }

    /** One source transaction: what it does to the table of each case. */
    record Phase(String name, java.util.function.Function<TypeCase, List<String>> change) {
        List<String> statements(TypeCase c) {
            return change.apply(c);
        }
    }

    /**
     * The stream: first one transaction per value that updates only the row keyed by it, so that each
     * value becomes a data file of its own whose statistics have that value as both min and max (a
     * bound read back inexactly then excludes the file that holds the key); then updates of every row
     * (each must be found through those statistics), deletes and key changes onto a deleted key,
     * re-inserts; last, the values that must fail.
     */
    static List<Phase> phases(List<TypeCase> cases) {
        List<Phase> phases = new ArrayList<>();
        int most = cases.stream().mapToInt(c -> c.values().size()).max().orElse(0);
        for (int i = 0; i < most; i++) {
            int row = i;
            phases.add(new Phase("stream: the row of value " + i + " alone", c -> {
                if (c.failure() != null || row >= c.values().size()) {
                    return List.of();
                }
                String t = "fid." + c.table();
                return List.of(c.key() ? "UPDATE " + t + " SET n = n + 1 WHERE k = " + c.literal(row)
                        : "UPDATE " + t + " SET v = " + c.literal((row + 1) % c.values().size()) + " WHERE n = " + row);
            }));
        }
        phases.add(new Phase("stream: update every row, delete, re-key onto the deleted key", c -> {
            List<String> out = new ArrayList<>();
            if (c.failure() != null) {
                return out;
            }
            String t = "fid." + c.table();
            int m = c.values().size();
            if (c.key()) {
                for (int i = 0; i < m; i++) {
                    out.add("UPDATE " + t + " SET v = " + c.literal((i + 2) % m) + ", n = n + 1000 WHERE k = " + c.literal(i));
                }
                if (m >= 2) {
                    out.add("DELETE FROM " + t + " WHERE k = " + c.literal(0));
                    out.add("UPDATE " + t + " SET k = " + c.literal(0) + " WHERE k = " + c.literal(1));
                }
            } else {
                for (int i = 0; i < m; i += 2) {
                    out.add("UPDATE " + t + " SET v = " + c.literal((i + 1) % m) + " WHERE n = " + i);
                }
                out.add("DELETE FROM " + t + " WHERE n = 0");
                out.add("UPDATE " + t + " SET n = 0 WHERE n = " + m); // re-key the NULL row onto the deleted key
            }
            return out;
        }));
        phases.add(new Phase("stream: re-insert, update every row, delete", c -> {
            List<String> out = new ArrayList<>();
            if (c.failure() != null) {
                return out;
            }
            String t = "fid." + c.table();
            int m = c.values().size();
            if (c.key()) {
                if (m >= 2) {
                    out.add("INSERT INTO " + t + " VALUES (" + c.literal(1) + ", " + c.literal(0) + ", -1)");
                }
                out.add("UPDATE " + t + " SET n = n + 1");
                if (m >= 3) {
                    out.add("DELETE FROM " + t + " WHERE k = " + c.literal(m - 1));
                }
            } else {
                out.add("INSERT INTO " + t + " VALUES (100, " + c.literal(0) + ")");
                out.add("UPDATE " + t + " SET n = n + 1000 WHERE n = 1"); // a key change that keeps (TOASTed) values
                if (m >= 3) {
                    out.add("DELETE FROM " + t + " WHERE n = 2");
                }
            }
            return out;
        }));
        phases.add(new Phase("stream: the values that must fail", c ->
                c.failure() != null && !c.failsInSnapshot() ? List.of(initialRows(c)) : List.of()));
        return phases;
    }

    // --- waiting -----------------------------------------------------------------------------

    private void awaitSnapshot(PipelineApplier applier, List<TypeCase> cases) {
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(10)).until(() -> {
            applier.pollOnce();
            return cases.stream().allMatch(c -> applied.containsKey(c.table()) || failed.containsKey(c.table()));
        });
    }

    /** Until every table that has not failed has applied a transaction after {@code before}. */
    private void awaitApplied(PipelineApplier applier, List<TypeCase> cases, Lsn before) {
        try {
            await().atMost(PATIENCE).pollInterval(Duration.ofMillis(10)).until(() -> {
                applier.pollOnce();
                return lagging(cases, before).isEmpty();
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("tables that did not apply the transaction after " + before + ": " + lagging(cases, before), e);
        }
    }

    private List<String> lagging(List<TypeCase> cases, Lsn before) {
        return cases.stream().filter(c -> !failed.containsKey(c.table())
                && !(applied.containsKey(c.table()) && applied.get(c.table()).isAfter(before)))
                .map(c -> c.table() + " at " + applied.get(c.table())).toList();
    }

    // --- the oracle and the comparison ---------------------------------------------------------

    private void assertEveryTableEqualsItsSource(PostgresServer pg, Engine engine, List<TypeCase> cases, String phase)
            throws Exception {
        List<String> unexpectedFailures = new ArrayList<>();
        List<String> differences = new ArrayList<>();
        for (TypeCase c : cases) {
            if (problems.containsKey(c.table())) {
                continue; // reported once, at the first phase it went wrong
            }
            TidelineException failure = failed.get(c.table());
            if (c.failure() != null) {
                continue; // checked at the end, once its values were sent
            }
            if (failure != null) {
                unexpectedFailures.add(c.table() + ": " + failure.getMessage() + " | " + failure.hint());
                continue;
            }
            DeltaTableWriter delta = DeltaTableWriter.open(engine, TableLocations.of(warehouse.toString(), CATALOG, SCHEMA, c.table()),
                    PIPELINE + "/" + SCHEMA + "." + c.table(), TableId.of(SCHEMA, c.table()), WriterSettings.DEFAULT);
            List<String> columns = c.key() ? List.of("k", "v", "n") : List.of("n", "v");
            Map<String, DeltaValues.Type> types = new LinkedHashMap<>();
            for (String column : columns) {
                types.put(column, column.equals("n") ? DeltaValues.Type.parse("integer") : DeltaValues.Type.parse(c.deltaType()));
            }
            // The Delta schema is exactly the documented type.
            List<StructField> fields = delta.layout().schema().fields();
            for (StructField f : fields) {
                String expected = f.getName().equals("n") ? "integer" : c.deltaType();
                if (!PostgresDeltaTypes.typeName(f.getDataType()).equals(expected)) {
                    differences.add(c.table() + "." + f.getName() + ": Delta type " + PostgresDeltaTypes.typeName(f.getDataType())
                            + ", the reference says " + expected);
                }
            }
            List<List<Object>> expected = sourceRows(pg, c, columns, types);
            List<List<Object>> actual = new ArrayList<>();
            int[] index = columns.stream().mapToInt(name -> indexOf(fields, name)).toArray();
            for (Object[] row : delta.readAll()) {
                List<Object> rendered = new ArrayList<>();
                for (int i = 0; i < index.length; i++) {
                    rendered.add(types.get(columns.get(i)).render(row[index[i]]));
                }
                actual.add(rendered);
            }
            // The self-check: count and checksum, then the values that differ.
            if (expected.size() != actual.size() || checksum(expected) != checksum(actual)) {
                differences.add(c.table() + " (" + c.pgType() + " → " + c.deltaType() + "): source " + expected.size() + " rows, checksum "
                        + Long.toHexString(checksum(expected)) + "; Delta " + actual.size() + " rows, checksum "
                        + Long.toHexString(checksum(actual)) + "\n" + diff(columns, expected, actual));
            }
        }
        unexpectedFailures.forEach(f -> problems.put(f.substring(0, f.indexOf(':')), "after " + phase + ": failed but must not: " + f));
        differences.forEach(d -> problems.putIfAbsent(d.substring(0, d.indexOf(d.contains(" (") ? " (" : ".")), "after " + phase + ": " + d));
    }

    /** Every table that went wrong, with the first phase it did, so one run shows all cases that fail. */
    private void assertNoProblems() {
        if (!problems.isEmpty()) {
            fail(problems.size() + " tables differ from Postgres or failed:\n" + String.join("\n", problems.values()));
        }
    }

    private void assertFailuresNameTableAndColumn(List<TypeCase> cases) {
        List<String> wrong = new ArrayList<>();
        for (TypeCase c : cases) {
            if (c.failure() == null) {
                continue;
            }
            TidelineException e = failed.get(c.table());
            if (e == null) {
                wrong.add(c.table() + ": expected FAILED (" + c.failure() + "), but it did not fail; commits: "
                        + commits.stream().filter(s -> s.startsWith(c.table() + " ")).toList());
                continue;
            }
            String message = e.getMessage();
            if (!message.contains(c.table()) || !message.contains("v") || !message.contains(c.failure())
                    || e.hint() == null || e.hint().isBlank()) {
                wrong.add(c.table() + ": the FAILED message must name the table, column v and '" + c.failure() + "' and give a fix: "
                        + message + " | " + e.hint());
            }
        }
        wrong.forEach(w -> problems.put(w.substring(0, w.indexOf(':')), "at the end: " + w));
    }

    private static int indexOf(List<StructField> fields, String name) {
        for (int i = 0; i < fields.size(); i++) {
            if (fields.get(i).getName().equals(name)) {
                return i;
            }
        }
        throw new AssertionError("Delta table has no column " + name + ": " + fields);
    }

    /** The source rows as the oracle renders them. */
    private static List<List<Object>> sourceRows(PostgresServer pg, TypeCase c, List<String> columns,
                                                 Map<String, DeltaValues.Type> types) throws Exception {
        String select = columns.stream().map(col -> types.get(col).oracleSql(col, c.pgType())).collect(Collectors.joining(", "));
        List<List<Object>> rows = new ArrayList<>();
        try (java.sql.Connection conn = pg.connect(); Statement s = conn.createStatement()) {
            s.execute("SET intervalstyle = iso_8601");
            s.execute("SET extra_float_digits = 1");
            try (ResultSet rs = s.executeQuery("SELECT " + select + " FROM fid." + c.table())) {
                while (rs.next()) {
                    List<Object> row = new ArrayList<>();
                    for (int i = 0; i < columns.size(); i++) {
                        DeltaValues.Type type = types.get(columns.get(i));
                        Object value;
                        if (type.element() != null) {
                            Array a = rs.getArray(i + 1);
                            value = a == null ? null : Arrays.stream((Object[]) a.getArray())
                                    .map(e -> type.element().canonical((String) e)).toList();
                        } else {
                            value = type.canonical(rs.getString(i + 1));
                        }
                        row.add(value);
                    }
                    rows.add(row);
                }
            }
        }
        return rows;
    }

    /** Order-independent: the sum of each row's CRC-32 over its canonical text, with the row count in the high bits. */
    static long checksum(List<List<Object>> rows) {
        long sum = 0;
        for (List<Object> row : rows) {
            CRC32 crc = new CRC32();
            crc.update(String.valueOf(row).getBytes(StandardCharsets.UTF_8));
            sum += crc.getValue();
        }
        return sum;
    }

    /** Rows only in the source or only in Delta, first key column first, values abbreviated. */
    static String diff(List<String> columns, List<List<Object>> expected, List<List<Object>> actual) {
        Map<String, Integer> count = new HashMap<>();
        expected.forEach(r -> count.merge(String.valueOf(r), 1, Integer::sum));
        actual.forEach(r -> count.merge(String.valueOf(r), -1, Integer::sum));
        StringBuilder out = new StringBuilder("    columns " + columns + "\n");
        count.forEach((row, n) -> {
            if (n != 0) {
                String shown = row.length() > 300 ? row.substring(0, 300) + "…(" + row.length() + " chars)" : row;
                out.append(n > 0 ? "    only in Postgres: " : "    only in Delta:    ").append(shown).append(Math.abs(n) > 1 ? " x" + Math.abs(n) : "")
                        .append('\n');
            }
        });
        return out.toString();
    }

    private static Lsn currentLsn(PostgresServer pg) throws Exception {
        try (java.sql.Connection c = pg.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return Lsn.parse(rs.getString(1));
        }
    }

    private static void sql(PostgresServer pg, String... statements) throws Exception {
        try (java.sql.Connection c = pg.connect(); Statement s = c.createStatement()) {
            for (String statement : statements) {
                try {
                    s.execute(statement);
                } catch (java.sql.SQLException e) {
                    throw new AssertionError("source SQL failed: " + abbreviate(statement) + ": " + e.getMessage(), e);
                }
            }
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }
}
