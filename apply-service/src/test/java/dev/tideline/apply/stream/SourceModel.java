package dev.tideline.apply.stream;

import dev.tideline.apply.delta.DeltaTableWriter;
import dev.tideline.apply.delta.ScdType;
import dev.tideline.apply.delta.TableLayout;
import dev.tideline.apply.delta.RowConverter;
import dev.tideline.core.TableId;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.PgType;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import dev.tideline.core.value.UnchangedToast;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The source side of the pipeline tests: two tables, a random workload of inserts, updates
 * (unchanged TOAST included), deletes, primary-key changes and TRUNCATEs, published as real
 * transactions, and the tables' expected content.
 */
public final class SourceModel {

    public static final TableId ORDERS = TableId.of("public", "orders");
    public static final TableId ITEMS = TableId.of("shop", "Line Items");
    static final RelationSchema ORDERS_V1 = new RelationSchema(100, ORDERS, ReplicaIdentity.DEFAULT, List.of(
            new ColumnSchema("id", PgType.INT8, -1, true),
            new ColumnSchema("note", PgType.TEXT, -1, false),
            new ColumnSchema("amount", PgType.NUMERIC, ((12 << 16) | 2) + 4, false),
            new ColumnSchema("tags", PgType.INT4_ARRAY, -1, false),
            new ColumnSchema("at", PgType.TIMESTAMPTZ, -1, false)));
    static final RelationSchema ITEMS_V1 = new RelationSchema(200, ITEMS, ReplicaIdentity.DEFAULT, List.of(
            new ColumnSchema("id", PgType.INT4, -1, true),
            new ColumnSchema("label", PgType.VARCHAR, 24, false)));

    final Map<TableId, RelationSchema> schemas = new HashMap<>(Map.of(ORDERS, ORDERS_V1, ITEMS, ITEMS_V1));
    final Map<TableId, TreeMap<Long, Row>> rows = new HashMap<>(Map.of(ORDERS, new TreeMap<>(), ITEMS, new TreeMap<>()));
    private final Random random;
    private long nextId = 1;

    public SourceModel(long seed) {
        this.random = new Random(seed);
    }

    /** One random transaction over one or both tables, applied to the model; returns its changes. */
    public List<StagingStream.TableChange> randomTransaction(boolean allowTruncate) {
        return randomTransaction(allowTruncate, 1 + random.nextInt(30));
    }

    /** A random transaction of {@code n} changes (later ones update and delete rows earlier ones inserted). */
    public List<StagingStream.TableChange> randomTransaction(boolean allowTruncate, int n) {
        List<StagingStream.TableChange> changes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            TableId table = random.nextInt(3) == 0 ? ITEMS : ORDERS;
            RelationSchema schema = schemas.get(table);
            TreeMap<Long, Row> current = rows.get(table);
            int dice = random.nextInt(100);
            if (allowTruncate && dice == 0) {
                changes.add(StagingStream.TableChange.truncate(schema));
                current.clear();
            } else if (current.size() < 5 || dice < 40) {
                long id = nextId++;
                Row row = newRow(table, schema, id);
                changes.add(StagingStream.insert(schema, row));
                current.put(id, row);
            } else if (dice < 70) {
                long id = pick(current);
                Row old = current.get(id);
                Row row = newRow(table, schema, id);
                Row sent = row;
                if (table.equals(ORDERS) && random.nextBoolean()) {
                    // The note is TOASTed and unchanged: not sent, the stored value stays.
                    Object[] v = row.values().toArray();
                    v[1] = UnchangedToast.VALUE;
                    sent = Row.of(v);
                    Object[] kept = row.values().toArray();
                    kept[1] = old.get(1);
                    row = Row.of(kept);
                }
                changes.add(StagingStream.update(schema, null, sent));
                current.put(id, row);
            } else if (dice < 80) {
                long id = pick(current);
                long to = nextId++;
                Row row = newRow(table, schema, to);
                changes.add(StagingStream.update(schema, key(table, schema, id), row));
                current.remove(id);
                current.put(to, row);
            } else {
                long id = pick(current);
                changes.add(StagingStream.delete(schema, key(table, schema, id)));
                current.remove(id);
            }
        }
        return changes;
    }

    private long pick(TreeMap<Long, Row> current) {
        List<Long> keys = new ArrayList<>(current.keySet());
        return keys.get(random.nextInt(keys.size()));
    }

    Row newRow(TableId table, RelationSchema schema, long id) {
        if (table.equals(ITEMS)) {
            return Row.of((int) id, "item-" + random.nextInt(1000));
        }
        List<Object> v = new ArrayList<>(Arrays.asList(id, "note " + random.nextInt(1_000_000),
                random.nextInt(5) == 0 ? null : new BigDecimal(random.nextInt(10_000_000)).movePointLeft(2),
                random.nextInt(4) == 0 ? null : Arrays.asList(random.nextInt(100), null, random.nextInt(100)),
                Instant.ofEpochSecond(1_600_000_000L + random.nextInt(100_000_000), random.nextInt(1_000_000) * 1000L)));
        while (v.size() < schema.columnCount()) {
            v.add("extra-" + id); // columns added by schema evolution
        }
        return Row.of(v);
    }

    static Row key(TableId table, RelationSchema schema, long id) {
        Object[] v = new Object[schema.columnCount()];
        v[0] = table.equals(ITEMS) ? (Object) (int) id : (Object) id;
        return Row.of(v);
    }

    /** The expected Delta content of a table: key → values as the type mapping gives them. */
    public Map<Object, List<Object>> expected(TableId table) {
        RelationSchema schema = schemas.get(table);
        TableLayout layout = TableLayout.create(schema, List.of(), ScdType.SCD_TYPE_1);
        RowConverter converter = layout.converter(schema);
        Map<Object, List<Object>> out = new TreeMap<>();
        for (Row r : rows.get(table).values()) {
            Object[] d = converter.toDelta(r, null);
            out.put(((Number) d[0]).longValue(), Arrays.asList(d));
        }
        return out;
    }

    /** What a Delta table holds now, keyed like {@link #expected}; fails on duplicate keys. */
    public static Map<Object, List<Object>> actual(DeltaTableWriter writer, int columns) {
        Map<Object, List<Object>> out = new TreeMap<>();
        if (!writer.exists()) {
            return out;
        }
        for (Object[] r : writer.readAll()) {
            List<Object> values = Arrays.asList(Arrays.copyOf(r, columns));
            if (out.put(((Number) r[0]).longValue(), values) != null) {
                throw new AssertionError("duplicate key " + r[0] + " in " + writer.tablePath());
            }
        }
        return out;
    }
}
