package dev.tideline.apply.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.change.ChangeEvent.OldRowKind;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.PgType;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import dev.tideline.core.wire.ChangeBatch;
import dev.tideline.core.wire.RowChange;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.TableLocations;
import java.lang.reflect.Method;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Apache Spark 3.5 + Delta Lake 3.3 read the tables apply-service writes: column mapping, all mapped
 * types, copy-on-write removes, an added column, checkpoints. Opt-in (Spark is large):
 * <pre>./mvnw -B -pl apply-service verify -Pspark -Dtest=NoSuch -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=SparkReadsTablesIT</pre>
 * Spark is called reflectively so the module compiles without it.
 */
class SparkReadsTablesIT {

    static final TableId T = TableId.of("public", "spark check");
    static final RelationSchema V1 = new RelationSchema(1, T, ReplicaIdentity.DEFAULT, List.of(
            new ColumnSchema("id", PgType.INT8, -1, true),
            new ColumnSchema("name with space", PgType.TEXT, -1, false),
            new ColumnSchema("amount", PgType.NUMERIC, ((12 << 16) | 2) + 4, false),
            new ColumnSchema("d", PgType.DATE, -1, false),
            new ColumnSchema("ts", PgType.TIMESTAMP, -1, false),
            new ColumnSchema("tstz", PgType.TIMESTAMPTZ, -1, false),
            new ColumnSchema("tags", PgType.INT4_ARRAY, -1, false),
            new ColumnSchema("raw", PgType.BYTEA, -1, false)));

    @TempDir
    Path warehouse;

    long lsn = 0x100;

    @Test
    void sparkReadsWhatTidelineWrote() throws Exception {
        assumeTrue(Boolean.getBoolean("tideline.spark"), "opt-in: -Pspark");
        DeltaTableWriter writer = DeltaTableWriter.open(DeltaEngines.forWarehouse(warehouse.toString(), EngineSettings.defaults()),
                TableLocations.of(warehouse.toString(), "main", "public", "spark check"), "p/public.spark check", T,
                WriterSettings.DEFAULT);
        writer.create(TableLayout.create(V1, List.of(), ScdType.SCD_TYPE_1));
        // 12 commits (a checkpoint is written at 10), inserts, updates, deletes, a key change.
        for (int c = 0; c < 10; c++) {
            List<RowChange> changes = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                long id = c * 10L + i;
                changes.add(RowChange.insert(i, row(id, "n" + id)));
            }
            apply(writer, V1, changes);
        }
        apply(writer, V1, List.of(RowChange.update(0, OldRowKind.NONE, null, row(5, "five")),
                RowChange.delete(1, OldRowKind.KEY, Row.of(6L, null, null, null, null, null, null, null)),
                RowChange.update(2, OldRowKind.KEY, Row.of(7L, null, null, null, null, null, null, null), row(700, "moved"))));
        List<ColumnSchema> v2Columns = new ArrayList<>(V1.columns());
        v2Columns.add(new ColumnSchema("added", PgType.TEXT, -1, false));
        RelationSchema v2 = new RelationSchema(1, T, ReplicaIdentity.DEFAULT, v2Columns);
        List<Object> v = new ArrayList<>(row(1000, "new").values());
        v.add("extra");
        apply(writer, v2, List.of(RowChange.insert(0, Row.of(v))));
        // The first file again: its deletion vector grows (5, 6, 7 → also 8 and 9).
        List<Object> eight = new ArrayList<>(row(8, "eight").values());
        eight.add(null);
        apply(writer, v2, List.of(RowChange.update(0, OldRowKind.NONE, null, Row.of(eight)),
                RowChange.delete(1, OldRowKind.KEY, Row.of(9L, null, null, null, null, null, null, null, null))));
        assertTrue(DeltaLogFiles.protocolFeatures(writer.tablePath()).contains("deletionVectors"));
        assertEquals(List.of(5L), DeltaLogFiles.deletionVectorCardinalities(writer.tablePath(), writer.version()),
                "the first file's vector now removes 5, 6, 7, 8 (old version) and 9");

        Object spark = spark();
        String path = writer.tablePath();
        Object df = call(call(call(spark, "read"), "format", "delta"), "load", path);
        assertEquals(99L, call(df, "count"), "rows: 100 inserted, 2 deleted, 1 key-changed, 1 inserted after the new column");
        List<?> rows = (List<?>) call(call(spark, "sql", "SELECT id, `name with space`, CAST(amount AS STRING), CAST(d AS STRING), "
                + "CAST(ts AS STRING), CAST(tstz AS STRING), CAST(tags AS STRING), hex(raw), added FROM delta.`" + path
                + "` WHERE id IN (5, 6, 7, 8, 9, 700, 1000) ORDER BY id"), "collectAsList");
        List<String> got = new ArrayList<>();
        for (Object r : rows) {
            got.add(r.toString());
        }
        assertEquals(List.of(
                "[5,five,5.25,2024-02-29,2024-02-29 23:59:59.123456,2024-05-01 12:00:00.000001,[1, null, 3],00FF07,null]",
                "[8,eight,8.25,2024-02-29,2024-02-29 23:59:59.123456,2024-05-01 12:00:00.000001,[1, null, 3],00FF07,null]",
                "[700,moved,700.25,2024-02-29,2024-02-29 23:59:59.123456,2024-05-01 12:00:00.000001,[1, null, 3],00FF07,null]",
                "[1000,new,1000.25,2024-02-29,2024-02-29 23:59:59.123456,2024-05-01 12:00:00.000001,[1, null, 3],00FF07,extra]"), got);
        call(spark, "stop");
    }

    static Row row(long id, String name) {
        return Row.of(id, name, new BigDecimal(id + ".25"), LocalDate.of(2024, 2, 29),
                LocalDateTime.of(2024, 2, 29, 23, 59, 59, 123_456_000), Instant.parse("2024-05-01T12:00:00.000001Z"),
                Arrays.asList(1, null, 3), new byte[] {0, -1, 7});
    }

    void apply(DeltaTableWriter writer, RelationSchema schema, List<RowChange> changes) {
        lsn += 0x10;
        ChangeBatch.Rows batch = new ChangeBatch.Rows(Lsn.of(lsn), Instant.EPOCH, 1, 0, true, schema, changes);
        TableLayout layout = writer.layout().evolve(schema);
        List<RowOp> ops = new ArrayList<>();
        RowOps.add(batch, layout.converter(schema), ops);
        writer.apply(layout, ops, batch.commitLsn()).orElseThrow();
    }

    static Object spark() throws Exception {
        Object builder = Class.forName("org.apache.spark.sql.SparkSession").getMethod("builder").invoke(null);
        builder = call(builder, "master", "local[1]");
        builder = call(builder, "appName", "tideline-spark-check");
        builder = call(builder, "config", "spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension");
        builder = call(builder, "config", "spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog");
        builder = call(builder, "config", "spark.ui.enabled", "false");
        builder = call(builder, "config", "spark.sql.session.timeZone", "UTC");
        builder = call(builder, "config", "spark.sql.shuffle.partitions", "1");
        return call(builder, "getOrCreate");
    }

    static Object call(Object target, String name, Object... args) throws Exception {
        for (Method m : target.getClass().getMethods()) {
            if (m.getName().equals(name) && m.getParameterCount() == args.length) {
                Class<?>[] types = m.getParameterTypes();
                boolean ok = true;
                for (int i = 0; i < args.length; i++) {
                    if (!types[i].isInstance(args[i])) {
                        ok = false;
                    }
                }
                if (ok) {
                    return m.invoke(target, args);
                }
            }
        }
        throw new NoSuchMethodException(target.getClass().getName() + "." + name + Arrays.toString(args));
    }
}
