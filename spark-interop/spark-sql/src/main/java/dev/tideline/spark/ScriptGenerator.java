package dev.tideline.spark;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Spark SQL statements for one {@link GeneratedCase}: a model of the table's columns plus a seeded {@link Random}, so the
 * same case always yields the same script. Statements name the table {@code delta.`${table}`}. Values include the
 * edges of each type (64-bit extremes, NaN and infinities, -0.0, year 1 and 9999, empty and non-ASCII strings, NULL).
 *
 * <p>Compound operations are several statements: {@code swap} renames a→tmp, b→a, tmp→b, {@code readd} drops a column
 * and adds one with the same name and type; their intermediate versions are marked "no refresh", so one refresh sees
 * the whole operation, as a user who refreshes before and after would.
 */
final class ScriptGenerator {

    /** One statement. {@code accepted} updates the model once Spark has run it. */
    record Step(String sql, String kind, List<String> columns, boolean refreshAfter, boolean mayBeRejected, Runnable accepted) {
    }

    private static final class Col {
        String name;
        String type;
        final boolean partition;

        Col(String name, String type, boolean partition) {
            this.name = name;
            this.type = type;
            this.partition = partition;
        }
    }

    private static final String[] DATA_TYPES = {"INT", "BIGINT", "STRING", "DECIMAL(10,2)", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP",
            "SMALLINT", "BINARY", "TIMESTAMP_NTZ"};
    private static final String T = "delta.`${table}`";

    private final GeneratedCase c;
    private final Random rnd;
    private final List<Col> cols = new ArrayList<>();
    private final Deque<Step> pending = new ArrayDeque<>();
    private final Deque<String> plan;
    private long nextId = 1;
    private int nextName = 1;
    private int emitted;
    private boolean created;

    ScriptGenerator(GeneratedCase c) {
        this.c = c;
        this.rnd = new Random(c.seed());
        this.plan = new ArrayDeque<>(c.plan());
    }

    /** The next statement, or {@code null} at the end. */
    Step next() {
        if (!pending.isEmpty()) {
            return pending.poll();
        }
        if (!created) {
            created = true;
            return create();
        }
        String op;
        if (!c.plan().isEmpty()) {
            op = plan.poll();
        } else {
            op = emitted < c.steps() ? (emitted == 0 ? "insert" : randomOp()) : null;
        }
        if (op == null) {
            return null;
        }
        emitted++;
        List<Step> steps = steps(op);
        pending.addAll(steps.subList(1, steps.size()));
        return steps.get(0);
    }

    private String randomOp() {
        List<String> ops = new ArrayList<>(List.of("insert", "insert", "insert", "update", "update", "update", "delete", "delete",
                "merge", "merge", "optimize", "add"));
        if (c.partitions() > 0) {
            ops.add("move");
        }
        if (c.deletionVectors() || c.changeDataFeed()) {
            ops.add("vacuum");
        } else if (rnd.nextInt(3) == 0) {
            ops.add("vacuum");
        }
        if (!c.columnMapping().equals("none")) {
            ops.addAll(List.of("rename", "drop", "readd", "swap"));
        }
        if (c.typeWidening()) {
            ops.addAll(List.of("widen", "widen"));
        }
        return ops.get(rnd.nextInt(ops.size()));
    }

    private Step create() {
        cols.add(new Col("id", "BIGINT", false));
        if (c.partitions() >= 1) {
            cols.add(new Col("p1", "STRING", true));
        }
        if (c.partitions() >= 2) {
            cols.add(new Col("p2", "DATE", true));
        }
        // a and b share a type so that a swap keeps every type; the rest varies by seed
        String ab = c.typeWidening() ? "INT" : pick("INT", "STRING", "BIGINT");
        cols.add(new Col("a", ab, false));
        cols.add(new Col("b", ab, false));
        int more = 2 + rnd.nextInt(3);
        for (int i = 0; i < more; i++) {
            cols.add(new Col(String.valueOf((char) ('c' + i)), DATA_TYPES[rnd.nextInt(DATA_TYPES.length)], false));
        }
        if (c.typeWidening()) {
            cols.add(new Col("s", "SMALLINT", false));
        }
        StringBuilder sql = new StringBuilder("CREATE TABLE ").append(T).append(" (");
        for (int i = 0; i < cols.size(); i++) {
            Col col = cols.get(i);
            sql.append(i > 0 ? ", " : "").append(q(col.name)).append(' ').append(col.type).append(col.name.equals("id") ? " NOT NULL" : "");
        }
        sql.append(") USING delta");
        List<String> parts = new ArrayList<>();
        for (Col col : cols) {
            if (col.partition) {
                parts.add(q(col.name));
            }
        }
        if (!parts.isEmpty()) {
            sql.append(" PARTITIONED BY (").append(String.join(", ", parts)).append(")");
        }
        List<String> props = new ArrayList<>();
        props.add("'delta.enableChangeDataFeed' = '" + c.changeDataFeed() + "'");
        props.add("'delta.enableDeletionVectors' = '" + c.deletionVectors() + "'");
        if (!c.columnMapping().equals("none")) {
            props.add("'delta.columnMapping.mode' = '" + c.columnMapping() + "'");
        }
        if (c.typeWidening()) {
            props.add("'delta.enableTypeWidening' = 'true'");
        }
        if (c.checkpointInterval() > 0) {
            props.add("'delta.checkpointInterval' = '" + c.checkpointInterval() + "'");
        }
        sql.append(" TBLPROPERTIES (").append(String.join(", ", props)).append(")");
        return new Step(sql.toString(), "maintenance", List.of(), true, false, () -> { });
    }

    private List<Step> steps(String op) {
        boolean refresh = !c.plan().isEmpty() || rnd.nextInt(4) != 0; // random cases sometimes refresh over several versions
        return switch (op) {
            case "insert" -> List.of(data(insert(3 + rnd.nextInt(6)), refresh));
            case "update" -> List.of(data(update(false), refresh));
            case "move" -> List.of(data(update(true), refresh));
            case "delete" -> List.of(data("DELETE FROM " + T + " WHERE id % " + (3 + rnd.nextInt(5)) + " = " + rnd.nextInt(3), refresh));
            case "merge" -> List.of(data(merge(), refresh));
            case "optimize" -> List.of(new Step("OPTIMIZE " + T, "maintenance", List.of(), refresh, false, () -> { }));
            case "vacuum" -> List.of(new Step("VACUUM " + T + " RETAIN 0 HOURS", "maintenance", List.of(), refresh, false, () -> { }));
            case "add" -> add(refresh);
            case "rename" -> rename(refresh);
            case "drop" -> drop(refresh);
            case "readd" -> readd();
            case "swap" -> swap();
            case "widen" -> widen(refresh);
            case "enable-mapping" -> List.of(new Step("ALTER TABLE " + T + " SET TBLPROPERTIES ('delta.columnMapping.mode' = 'name', "
                    + "'delta.minReaderVersion' = '2', 'delta.minWriterVersion' = '5')", "maintenance", List.of(), refresh, false, () -> { }));
            default -> throw new IllegalArgumentException("unknown operation " + op);
        };
    }

    private static Step data(String sql, boolean refresh) {
        return new Step(sql, "data", List.of(), refresh, false, () -> { });
    }

    private String insert(int rows) {
        List<Col> all = cols;
        StringBuilder sql = new StringBuilder("INSERT INTO ").append(T).append(" (");
        for (int i = 0; i < all.size(); i++) {
            sql.append(i > 0 ? ", " : "").append(q(all.get(i).name));
        }
        sql.append(") VALUES ");
        for (int r = 0; r < rows; r++) {
            sql.append(r > 0 ? ", " : "").append("(");
            for (int i = 0; i < all.size(); i++) {
                Col col = all.get(i);
                sql.append(i > 0 ? ", " : "").append(col.name.equals("id") ? String.valueOf(nextId++) : literal(col));
            }
            sql.append(")");
        }
        return sql.toString();
    }

    private String update(boolean partitionColumn) {
        List<Col> candidates = new ArrayList<>();
        for (Col col : cols) {
            if (!col.name.equals("id") && col.partition == partitionColumn) {
                candidates.add(col);
            }
        }
        if (candidates.isEmpty()) {
            return update(false);
        }
        Col col = candidates.get(rnd.nextInt(candidates.size()));
        String set = q(col.name) + " = " + literal(col);
        if (!partitionColumn && candidates.size() > 1 && rnd.nextBoolean()) {
            Col other = candidates.get(rnd.nextInt(candidates.size()));
            if (other != col) {
                set += ", " + q(other.name) + " = " + literal(other);
            }
        }
        return "UPDATE " + T + " SET " + set + " WHERE id % " + (2 + rnd.nextInt(5)) + " = " + rnd.nextInt(2);
    }

    /** MERGE with a source of old and new keys: matched rows deleted or updated, new keys inserted. */
    private String merge() {
        Set<Long> ids = new LinkedHashSet<>();
        int old = Math.min((int) nextId - 1, 2 + rnd.nextInt(5));
        for (int i = 0; i < old; i++) {
            ids.add(1 + (long) rnd.nextInt((int) nextId - 1));
        }
        int fresh = 1 + rnd.nextInt(4);
        for (int i = 0; i < fresh; i++) {
            ids.add(nextId++);
        }
        List<Col> values = new ArrayList<>();
        for (Col col : cols) {
            if (!col.name.equals("id")) {
                values.add(col);
            }
        }
        StringBuilder src = new StringBuilder("SELECT * FROM VALUES ");
        int r = 0;
        for (long id : ids) {
            src.append(r++ > 0 ? ", " : "").append("(").append(id).append(", '").append(rnd.nextInt(3) == 0 ? "d" : "u").append("'");
            for (Col col : values) {
                src.append(", ").append(literal(col));
            }
            src.append(")");
        }
        src.append(" AS s(id, op");
        for (int i = 0; i < values.size(); i++) {
            src.append(", v").append(i);
        }
        src.append(")");
        Col updated = values.get(rnd.nextInt(values.size()));
        StringBuilder sql = new StringBuilder("MERGE INTO ").append(T).append(" t USING (").append(src).append(") s ON t.id = s.id")
                .append(" WHEN MATCHED AND s.op = 'd' THEN DELETE WHEN MATCHED THEN UPDATE SET t.").append(q(updated.name))
                .append(" = s.v").append(values.indexOf(updated)).append(" WHEN NOT MATCHED THEN INSERT (id");
        for (Col col : values) {
            sql.append(", ").append(q(col.name));
        }
        sql.append(") VALUES (s.id");
        for (int i = 0; i < values.size(); i++) {
            sql.append(", s.v").append(i);
        }
        return sql.append(")").toString();
    }

    private List<Step> add(boolean refresh) {
        String drawn = DATA_TYPES[rnd.nextInt(DATA_TYPES.length)];
        // adding the first TIMESTAMP_NTZ column needs the timestampNtz table feature enabled by hand
        boolean ntzMissing = drawn.equals("TIMESTAMP_NTZ") && cols.stream().noneMatch(c -> c.type.equals("TIMESTAMP_NTZ"));
        Col col = new Col("n" + nextName++, ntzMissing ? "TIMESTAMP" : drawn, false);
        return List.of(new Step("ALTER TABLE " + T + " ADD COLUMNS (" + q(col.name) + " " + col.type + ")", "additive",
                List.of(col.name), refresh, false, () -> cols.add(col)));
    }

    private List<Step> rename(boolean refresh) {
        Col col = dataColumn();
        if (col == null) {
            return add(refresh);
        }
        String to = rnd.nextBoolean() ? "r" + nextName++ : "R " + nextName++; // a space needs column mapping too
        String from = col.name;
        return List.of(new Step("ALTER TABLE " + T + " RENAME COLUMN " + q(from) + " TO " + q(to), "breaking", List.of(from, to),
                refresh, false, () -> col.name = to));
    }

    private List<Step> drop(boolean refresh) {
        Col col = dataColumn();
        if (col == null || dataColumns() < 2) {
            return add(refresh);
        }
        return List.of(new Step("ALTER TABLE " + T + " DROP COLUMN " + q(col.name), "breaking", List.of(col.name), refresh, false,
                () -> cols.remove(col)));
    }

    private List<Step> readd() {
        Col col = dataColumn();
        if (col == null || dataColumns() < 2) {
            return add(true);
        }
        Col again = new Col(col.name, col.type, false);
        return List.of(
                new Step("ALTER TABLE " + T + " DROP COLUMN " + q(col.name), "breaking", List.of(col.name), false, false,
                        () -> cols.remove(col)),
                new Step("ALTER TABLE " + T + " ADD COLUMNS (" + q(again.name) + " " + again.type + ")", "breaking", List.of(again.name),
                        true, false, () -> cols.add(again)));
    }

    private List<Step> swap() {
        List<Col> data = new ArrayList<>();
        for (Col col : cols) {
            if (!col.partition && !col.name.equals("id")) {
                data.add(col);
            }
        }
        if (data.size() < 2) {
            return add(true);
        }
        // the first pair of one type, else any two
        Col x = data.get(0);
        Col y = data.get(1);
        outer:
        for (int i = 0; i < data.size(); i++) {
            for (int j = i + 1; j < data.size(); j++) {
                if (data.get(i).type.equals(data.get(j).type)) {
                    x = data.get(i);
                    y = data.get(j);
                    break outer;
                }
            }
        }
        Col first = x;
        Col second = y;
        String a = first.name;
        String b = second.name;
        String tmp = "tmp" + nextName++;
        List<String> touched = List.of(a, b, tmp);
        return List.of(
                new Step("ALTER TABLE " + T + " RENAME COLUMN " + q(a) + " TO " + q(tmp), "breaking", touched, false, false,
                        () -> first.name = tmp),
                new Step("ALTER TABLE " + T + " RENAME COLUMN " + q(b) + " TO " + q(a), "breaking", touched, false, false,
                        () -> second.name = a),
                new Step("ALTER TABLE " + T + " RENAME COLUMN " + q(tmp) + " TO " + q(b), "breaking", touched, true, false,
                        () -> first.name = b));
    }

    /**
     * SMALLINT → INT, else INT → BIGINT. Delta 3.3 widens byte/short → int but refuses int → long
     * ("ALTER TABLE CHANGE COLUMN is not supported"): such a step is skipped, with a comment in the script.
     */
    private List<Step> widen(boolean refresh) {
        for (String from : List.of("SMALLINT", "INT")) {
            for (Col col : cols) {
                if (!col.partition && col.type.equals(from)) {
                    String to = from.equals("INT") ? "BIGINT" : "INT";
                    return List.of(new Step("ALTER TABLE " + T + " ALTER COLUMN " + q(col.name) + " TYPE " + to, "breaking",
                            List.of(col.name), refresh, true, () -> col.type = to));
                }
            }
        }
        return add(refresh);
    }

    private Col dataColumn() {
        List<Col> data = new ArrayList<>();
        for (Col col : cols) {
            if (!col.partition && !col.name.equals("id")) {
                data.add(col);
            }
        }
        return data.isEmpty() ? null : data.get(rnd.nextInt(data.size()));
    }

    private int dataColumns() {
        int n = 0;
        for (Col col : cols) {
            n += !col.partition && !col.name.equals("id") ? 1 : 0;
        }
        return n;
    }

    private String pick(String... options) {
        return options[rnd.nextInt(options.length)];
    }

    private static String q(String name) {
        return "`" + name + "`";
    }

    /** A literal of the column's type: usually ordinary, sometimes an edge of the type or NULL. */
    private String literal(Col col) {
        if (col.partition) {
            if (col.type.equals("STRING")) {
                return rnd.nextInt(10) == 0 ? "CAST(NULL AS STRING)" : "'" + pick("a", "b c", "é/x=1") + "'";
            }
            return "DATE'" + pick("2024-01-01", "1999-12-31") + "'";
        }
        if (rnd.nextInt(8) == 0) {
            return "CAST(NULL AS " + col.type + ")";
        }
        boolean edge = rnd.nextInt(6) == 0;
        return switch (col.type) {
            case "BIGINT" -> edge ? pick("9223372036854775807", "-9223372036854775808", "0") : (rnd.nextLong() % 10_000_000_000L) + "L";
            case "INT" -> edge ? pick("2147483647", "-2147483648") : String.valueOf(rnd.nextInt(2_000_000) - 1_000_000);
            case "SMALLINT" -> "CAST(" + (edge ? pick("32767", "-32768") : String.valueOf(rnd.nextInt(2000) - 1000)) + " AS SMALLINT)";
            case "STRING" -> edge ? pick("''", "'ünïcødé €'", "'emoji 😀'", "'it\\'s'") : "'s-" + Long.toString(rnd.nextLong() & 0xffffff, 36) + "'";
            case "DECIMAL(10,2)" -> "CAST(" + (edge ? pick("99999999.99", "-99999999.99", "0.01")
                    : String.format("%d.%02d", rnd.nextInt(2_000_000) - 1_000_000, rnd.nextInt(100))) + " AS DECIMAL(10,2))";
            case "DOUBLE" -> edge ? "CAST('" + pick("NaN", "Infinity", "-Infinity", "-0.0", "1.7976931348623157E308", "4.9E-324") + "' AS DOUBLE)"
                    : "CAST(" + (rnd.nextDouble() * 2000 - 1000) + " AS DOUBLE)";
            case "BOOLEAN" -> rnd.nextBoolean() ? "true" : "false";
            case "DATE" -> "DATE'" + (edge ? pick("0001-01-01", "9999-12-31", "1582-10-04")
                    : String.format("%04d-%02d-%02d", 1900 + rnd.nextInt(200), 1 + rnd.nextInt(12), 1 + rnd.nextInt(28))) + "'";
            case "TIMESTAMP", "TIMESTAMP_NTZ" -> col.type + "'" + (edge ? pick("0001-01-01 00:00:00", "9999-12-31 23:59:59.999999", "1970-01-01 00:00:00")
                    : String.format("%04d-%02d-%02d %02d:%02d:%02d.%06d", 1900 + rnd.nextInt(200), 1 + rnd.nextInt(12), 1 + rnd.nextInt(28),
                            rnd.nextInt(24), rnd.nextInt(60), rnd.nextInt(60), rnd.nextInt(1_000_000))) + "'";
            case "BINARY" -> {
                byte[] b = new byte[edge ? 0 : 1 + rnd.nextInt(6)];
                rnd.nextBytes(b);
                yield "X'" + HexFormat.of().formatHex(b) + "'";
            }
            default -> throw new IllegalStateException("no literal for " + col.type);
        };
    }
}
