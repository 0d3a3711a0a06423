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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.LocalInputFile;
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

    /**
     * Commits of a few flat rows are written by {@link PlainParquetFile}, not parquet-mr: Spark reads them (every flat
     * type, nulls in every nullable column, a deletion vector on such a file, a filter on every column), and a file
     * written through Kernel's writer (a full refresh) next to them.
     */
    @Test
    void sparkReadsTheSmallFilesTidelineWritesWithoutParquetMr() throws Exception {
        assumeTrue(Boolean.getBoolean("tideline.spark"), "opt-in: -Pspark");
        TableId flat = TableId.of("public", "flat");
        RelationSchema schema = new RelationSchema(2, flat, ReplicaIdentity.DEFAULT, List.of(
                new ColumnSchema("id", PgType.INT8, -1, true),
                new ColumnSchema("b", PgType.BOOL, -1, false),
                new ColumnSchema("s", PgType.INT2, -1, false),
                new ColumnSchema("i", PgType.INT4, -1, false),
                new ColumnSchema("r", PgType.FLOAT4, -1, false),
                new ColumnSchema("f", PgType.FLOAT8, -1, false),
                new ColumnSchema("n9", PgType.NUMERIC, ((9 << 16) | 2) + 4, false),
                new ColumnSchema("n18", PgType.NUMERIC, ((18 << 16) | 4) + 4, false),
                new ColumnSchema("n38", PgType.NUMERIC, ((38 << 16) | 10) + 4, false),
                new ColumnSchema("t", PgType.TEXT, -1, false),
                new ColumnSchema("raw", PgType.BYTEA, -1, false),
                new ColumnSchema("d", PgType.DATE, -1, false),
                new ColumnSchema("ts", PgType.TIMESTAMP, -1, false),
                new ColumnSchema("tstz", PgType.TIMESTAMPTZ, -1, false)));
        DeltaTableWriter writer = DeltaTableWriter.open(DeltaEngines.forWarehouse(warehouse.toString(), EngineSettings.defaults()),
                TableLocations.of(warehouse.toString(), "main", "public", "flat"), "p/public.flat", flat, WriterSettings.DEFAULT);
        TableLayout layout = TableLayout.create(schema, List.of(), ScdType.SCD_TYPE_1);
        writer.create(layout);
        lsn += 0x10;
        DeltaTableWriter.Replacement refresh = writer.replace(layout, "snap", Lsn.of(lsn));
        List<Object[]> refreshed = new ArrayList<>();
        for (long id = 1000; id < 1010; id++) { // a refresh writes through parquet-mr, however few its rows
            refreshed.add(layout.converter(schema).toDelta(flatRow(id), null));
        }
        refresh.commit(refresh.write(refreshed), refreshed.size());
        for (int c = 0; c < 5; c++) {
            List<RowChange> changes = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                changes.add(RowChange.insert(i, flatRow(c * 3L + i)));
            }
            apply(writer, schema, changes);
        }
        Object[] key = new Object[14];
        key[0] = 4L;
        apply(writer, schema, List.of(RowChange.delete(0, OldRowKind.KEY, Row.of(key)))); // a deletion vector on a plain file
        Map<String, Long> writtenBy = new TreeMap<>();
        try (Stream<Path> files = Files.walk(Path.of(java.net.URI.create(writer.tablePath())))) {
            for (Path f : files.filter(f -> f.toString().endsWith(".parquet") && !f.toString().contains("_delta_log")).toList()) {
                try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(f))) {
                    writtenBy.merge(reader.getFooter().getFileMetaData().getCreatedBy().split(" ")[0], 1L, Long::sum);
                }
            }
        }
        assertEquals(Map.of("parquet-mr", 1L, "tideline", 5L), writtenBy, "data files by writer: the refresh, then five commits");

        Object spark = spark();
        String path = writer.tablePath();
        Object df = call(call(call(spark, "read"), "format", "delta"), "load", path);
        assertEquals(14L + 10, call(df, "count"));
        String columns = "id, b, s, i, r, f, CAST(n9 AS STRING), CAST(n18 AS STRING), CAST(n38 AS STRING), t, hex(raw), "
                + "CAST(d AS STRING), CAST(ts AS STRING), CAST(tstz AS STRING)";
        List<String> got = new ArrayList<>();
        for (Object r : (List<?>) call(call(spark, "sql", "SELECT " + columns + " FROM delta.`" + path
                + "` WHERE id < 1000 ORDER BY id"), "collectAsList")) {
            got.add(r.toString());
        }
        List<String> expected = new ArrayList<>();
        for (long id = 0; id < 15; id++) {
            if (id != 4) {
                expected.add(expectedFlat(id));
            }
        }
        assertEquals(expected, got);
        // Filters on every column (Spark pushes them into the Parquet reader; the plain files carry no min/max there).
        Object filtered = call(call(spark, "sql", "SELECT count(*) FROM delta.`" + path + "` WHERE id < 1000 AND b AND s > 0 "
                + "AND i IS NOT NULL AND r > 0 AND f > 0 AND n9 > 0 AND n18 > 0 AND n38 > 0 AND t LIKE 'text%' AND raw IS NOT NULL "
                + "AND d > DATE'2000-01-01' AND ts > TIMESTAMP'2000-01-01 00:00:00' AND tstz IS NOT NULL"), "first");
        assertEquals("[" + expected.stream().filter(e -> !e.contains("null")).count() + "]", filtered.toString());
        call(spark, "stop");
    }

    /** Row {@code id} of the flat table: every third one null in every nullable column. */
    static Row flatRow(long id) {
        if (id % 3 == 2) {
            Object[] nulls = new Object[14];
            nulls[0] = id;
            return Row.of(nulls);
        }
        return Row.of(id, true, (short) (id + 1), (int) id * 1000, (float) id + 0.5f, id + 0.25, new BigDecimal(id + ".01"),
                new BigDecimal(id + ".0001"), new BigDecimal("1234567890123456789012345678." + id), "text " + id + " é😀",
                new byte[] {(byte) id, -1}, LocalDate.of(2024, 1, 1).plusDays(id), LocalDateTime.of(2024, 1, 1, 0, 0).plusSeconds(id),
                Instant.parse("2024-05-01T12:00:00.000001Z").plusSeconds(id));
    }

    static String expectedFlat(long id) {
        if (id % 3 == 2) {
            return "[" + id + ",null,null,null,null,null,null,null,null,null,null,null,null,null]";
        }
        return "[" + id + ",true," + (id + 1) + "," + id * 1000 + "," + ((float) id + 0.5f) + "," + (id + 0.25) + "," + id + ".01,"
                + id + ".0001,1234567890123456789012345678." + String.format("%-10s", id).replace(' ', '0') + ",text " + id + " é😀,"
                + String.format("%02X", id) + "FF," + LocalDate.of(2024, 1, 1).plusDays(id) + ","
                + LocalDateTime.of(2024, 1, 1, 0, 0).plusSeconds(id).toString().replace('T', ' ') + (id % 60 == 0 ? ":00" : "") + ","
                + Instant.parse("2024-05-01T12:00:00.000001Z").plusSeconds(id).toString().replace('T', ' ').replace("Z", "") + "]";
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
