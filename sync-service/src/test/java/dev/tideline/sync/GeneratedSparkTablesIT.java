package dev.tideline.sync;

import dev.tideline.core.TableId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tideline.core.TidelineException;
import dev.tideline.delta.TableLocations;
import dev.tideline.sync.delta.DeltaSource;
import dev.tideline.sync.engine.SyncOptions;
import dev.tideline.sync.engine.SyncOutcome;
import dev.tideline.sync.engine.SyncedTableSyncer;
import dev.tideline.sync.model.NullBytePolicy;
import dev.tideline.sync.model.SchedulingPolicy;
import dev.tideline.sync.model.SyncFaults;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.model.TargetTable;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithPostgres;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Delta tables written by Apache Spark 3.5.5 + Delta Lake 3.3.1 from seeded random sequences of schema and data
 * operations (column mapping with add/rename/drop/re-add/swap, type widening, one or two partition columns, change data
 * feed and deletion vectors on and off, INSERT/UPDATE/DELETE/MERGE, OPTIMIZE, checkpoints, VACUUM), with Spark's own
 * read of every version recorded beside each table as the oracle ({@code spark-tables/generated/<case>}, written by
 * {@code dev.tideline.spark.FixtureGenerator}, see spark-interop/README.md; Spark is needed only to regenerate them).
 *
 * <p>Each case's commits are released into a live directory one at a time, as if Spark were writing now, and a
 * TRIGGERED refresh runs wherever the case says a user refreshed. Every refresh has one of two outcomes:
 * <ul>
 *   <li>Postgres equals Spark's read of that version, value by value, and the self-check agrees (row count and
 *       SHA-256 of the canonical rows against the oracle's);</li>
 *   <li>or, only when a non-additive schema change happened since the last refresh, a NEEDS_OPERATOR failure naming
 *       the synced table, a column that change touched and the fix (a full refresh) — after which the full refresh a
 *       user would run must equal Spark's read.</li>
 * </ul>
 * Never a successful refresh over different data.
 */
@WithPostgres
class GeneratedSparkTablesIT {

    private static final String ROOT = "spark-tables/generated";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TestFactory
    Stream<DynamicTest> everyRefreshEqualsSparksReadOrFailsNamingTheColumnAndTheFix(PostgresServer pg) throws Exception {
        Path root = Path.of(GeneratedSparkTablesIT.class.getClassLoader().getResource(ROOT).toURI());
        List<Path> cases;
        try (Stream<Path> dirs = Files.list(root)) {
            cases = dirs.filter(Files::isDirectory).sorted().toList();
        }
        assertFalse(cases.isEmpty(), "no generated cases under " + root);
        return cases.stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> replay(pg, dir)));
    }

    private static void replay(PostgresServer pg, Path caseDir) throws Exception {
        JsonNode manifest = JSON.readTree(caseDir.resolve("case.json").toFile());
        String name = manifest.get("case").asText();
        String context = "case " + name + " (seed " + manifest.get("seed").asLong() + ", " + manifest.get("options").asText() + ")";
        SyncFixture f = new SyncFixture(pg);
        Path fixture = caseDir.resolve("table");
        Path live = f.warehouse.resolve("spark").resolve(name);
        copyDataFiles(fixture, live);
        if (Files.isDirectory(caseDir.resolve("vacuumed"))) {
            copyDataFiles(caseDir.resolve("vacuumed"), live);
        }
        String path = TableLocations.normalizeWarehouse(live.toString());
        String table = name.replace('-', '_');
        SyncedTableDefinition def = new SyncedTableDefinition("synced.public." + table, "spark.default." + table, path,
                new TargetTable(f.database, "public", table), List.of(manifest.get("primaryKey").asText()), Optional.empty(),
                SchedulingPolicy.TRIGGERED, NullBytePolicy.FAIL, true);
        // tiny tables: without raising the 10% rule nearly every refresh would be a snapshot, not the change reader
        SyncedTableSyncer syncer = new SyncedTableSyncer(def, f.target(), new DeltaSource(f.engine, path, def.sourceTableName()),
                new SyncOptions(4, 100), SyncFaults.NONE);

        Set<String> breakingColumns = new LinkedHashSet<>();
        Map<SyncOutcome.Mode, Integer> modes = new EnumMap<>(SyncOutcome.Mode.class);
        int failures = 0;
        for (JsonNode version : manifest.get("versions")) {
            long v = version.get("version").asLong();
            String at = context + " at version " + v + " (" + version.get("statement").asText() + ")";
            release(fixture, live, v);
            if (version.get("kind").asText().equals("breaking")) {
                version.get("columns").forEach(c -> breakingColumns.add(c.asText()));
            }
            if (version.get("refresh").asBoolean()) {
                SyncOutcome outcome;
                try {
                    outcome = syncer.sync(false);
                } catch (TidelineException e) {
                    assertNamesTableColumnAndFix(e, def, breakingColumns, at);
                    failures++;
                    outcome = syncer.sync(true); // what the message tells the user to do
                    assertEquals(SyncOutcome.Mode.SNAPSHOT, outcome.mode(), at);
                }
                breakingColumns.clear();
                modes.merge(outcome.mode(), 1, Integer::sum);
                assertEquals(v, outcome.toVersion(), at);
                assertEqualsSparksRead(f, def, caseDir, version, at);
            }
            JsonNode vacuumed = manifest.get("vacuumedAfterVersion").get(Long.toString(v));
            if (vacuumed != null) {
                for (JsonNode file : vacuumed) {
                    Files.delete(live.resolve(file.asText()));
                }
            }
        }
        // the change reader, not only snapshots, must have produced most of what was compared
        assertTrue(modes.getOrDefault(SyncOutcome.Mode.INCREMENTAL, 0) > 0, context + ": no incremental refresh ran: " + modes);
        System.out.printf("%s: refreshes %s, %d failed as expected and were fully refreshed%n", context, modes, failures);
    }

    /** A refused refresh must be the clear kind: table, column and fix named, and only after a breaking change. */
    private static void assertNamesTableColumnAndFix(TidelineException e, SyncedTableDefinition def, Set<String> breakingColumns, String at) {
        if (breakingColumns.isEmpty()) {
            fail(at + ": refresh failed though no schema change but additive ones happened since the last refresh: " + e.getMessage(), e);
        }
        assertEquals(TidelineException.Kind.NEEDS_OPERATOR, e.kind(), at + ": " + e.getMessage());
        assertTrue(e.getMessage().contains(def.name()), at + ": the message does not name the synced table: " + e.getMessage());
        assertTrue(breakingColumns.stream().anyMatch(c -> e.getMessage().contains("'" + c + "'")),
                at + ": the message names none of the changed columns " + breakingColumns + ": " + e.getMessage());
        assertTrue(e.hint() != null && e.hint().contains("full refresh"), at + ": the fix is not named: " + e.hint());
    }

    /** Postgres against Spark's recorded read of {@code version}: columns, every value, and the count/checksum self-check. */
    private static void assertEqualsSparksRead(SyncFixture f, SyncedTableDefinition def, Path caseDir, JsonNode version, String at)
            throws Exception {
        List<String> sparkColumns = new ArrayList<>();
        version.get("schema").forEach(c -> sparkColumns.add(c.get("name").asText()));
        List<String> expected = Files.readAllLines(caseDir.resolve("expected").resolve("v" + version.get("version").asLong() + ".jsonl"),
                StandardCharsets.UTF_8);
        try (Connection c = f.connect()) {
            Map<String, String> pgColumns = postgresColumns(c, def);
            assertEquals(sparkColumns, List.copyOf(pgColumns.keySet()), at + ": columns");
            List<String> actual = canonicalRows(c, def, pgColumns);
            assertEquals(expected, actual, at + ": rows");
            // self-check, independent of the comparison above: count(*) and the oracle's checksum
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM " + def.target().quoted())) {
                rs.next();
                assertEquals(version.get("rows").asLong(), rs.getLong(1), at + ": row count self-check");
            }
            assertEquals(version.get("sha256").asText(), sha256(actual), at + ": checksum self-check");
        }
    }

    /** The synced table's columns in order, with their Postgres types. */
    private static Map<String, String> postgresColumns(Connection c, SyncedTableDefinition def) throws Exception {
        Map<String, String> out = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                + "WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum")) {
            ps.setString(1, def.target().quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return out;
    }

    /**
     * Every row as the JSON object the generator wrote for Spark's read: each value in the canonical text of
     * {@code dev.tideline.spark.Canonical}, made from Postgres' own text output (no JDBC type conversions in between).
     */
    private static List<String> canonicalRows(Connection c, SyncedTableDefinition def, Map<String, String> columns) throws Exception {
        List<String> select = new ArrayList<>();
        for (var col : columns.entrySet()) {
            String q = TableId.quoteIdentifier(col.getKey());
            select.add(switch (col.getValue()) {
                case "timestamp with time zone" -> "to_char(" + q + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')";
                case "timestamp without time zone" -> "to_char(" + q + ", 'YYYY-MM-DD HH24:MI:SS.US')";
                case "date" -> "to_char(" + q + ", 'YYYY-MM-DD')";
                case "bytea" -> "encode(" + q + ", 'hex')";
                default -> q + "::text";
            });
        }
        List<String> types = List.copyOf(columns.values());
        List<String> names = List.copyOf(columns.keySet());
        List<String> rows = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT " + String.join(", ", select) + " FROM " + def.target().quoted())) {
            while (rs.next()) {
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 0; i < names.size(); i++) {
                    row.put(names.get(i), canonical(types.get(i), rs.getString(i + 1)));
                }
                rows.add(JSON.writeValueAsString(row));
            }
        }
        rows.sort(Comparator.naturalOrder());
        return rows;
    }

    private static String canonical(String postgresType, String text) {
        if (text == null) {
            return null;
        }
        if (postgresType.startsWith("numeric")) {
            BigDecimal d = new BigDecimal(text);
            return d.signum() == 0 ? "0" : d.stripTrailingZeros().toPlainString();
        }
        return switch (postgresType) {
            case "double precision" -> Double.toString(Double.parseDouble(text));
            case "real" -> Float.toString(Float.parseFloat(text));
            case "boolean" -> Boolean.toString(text.equals("true") || text.equals("t")); // boolean::text is 'true'/'false'

            default -> text;
        };
    }

    private static String sha256(List<String> sortedLines) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (String line : sortedLines) {
            md.update(line.getBytes(StandardCharsets.UTF_8));
            md.update((byte) '\n');
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Data, change data and deletion vector files: present before any commit names them, as with a real writer. */
    private static void copyDataFiles(Path from, Path live) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path rel = from.relativize(p);
                if (Files.isRegularFile(p) && !rel.startsWith("_delta_log")) {
                    Files.createDirectories(live.resolve(rel.toString()).getParent());
                    Files.copy(p, live.resolve(rel.toString()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** Publishes commit {@code version} and the checkpoint Spark wrote at it, if any. */
    private static void release(Path fixture, Path live, long version) throws IOException {
        Path log = live.resolve("_delta_log");
        Files.createDirectories(log);
        String prefix = String.format("%020d.", version);
        try (Stream<Path> files = Files.list(fixture.resolve("_delta_log"))) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (p.getFileName().toString().startsWith(prefix)) {
                    Files.copy(p, log.resolve(p.getFileName().toString()));
                }
            }
        }
    }
}
