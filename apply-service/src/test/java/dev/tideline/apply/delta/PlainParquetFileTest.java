package dev.tideline.apply.delta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.delta.CloseableIterators;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.engine.FileReadResult;
import io.delta.kernel.expressions.Column;
import io.delta.kernel.expressions.Literal;
import io.delta.kernel.statistics.DataFileStatistics;
import io.delta.kernel.types.ArrayType;
import io.delta.kernel.types.BinaryType;
import io.delta.kernel.types.BooleanType;
import io.delta.kernel.types.ByteType;
import io.delta.kernel.types.DateType;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.FieldMetadata;
import io.delta.kernel.types.FloatType;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.ShortType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampNTZType;
import io.delta.kernel.types.TimestampType;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.DataFileStatus;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.schema.MessageType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PlainParquetFile} against the reference it replaces for small batches: the same rows written by Kernel's
 * default (parquet-mr) writer must give the same Parquet schema, the same values read back by Kernel's reader, and the
 * same Delta statistics.
 */
class PlainParquetFileTest {

    /** Every flat type apply writes, nullable and not, with column-mapping field ids as Kernel's physical schema has them. */
    static final StructType SCHEMA = withFieldIds(new StructType()
            .add("id", LongType.LONG, false)
            .add("flag", BooleanType.BOOLEAN)
            .add("tiny", ByteType.BYTE)
            .add("small", ShortType.SHORT)
            .add("number", IntegerType.INTEGER)
            .add("real", FloatType.FLOAT)
            .add("precise", DoubleType.DOUBLE)
            .add("money", new DecimalType(9, 2))
            .add("big_money", new DecimalType(18, 4))
            .add("huge", new DecimalType(38, 18))
            .add("odd", new DecimalType(20, 0))
            .add("name", StringType.STRING)
            .add("payload", BinaryType.BINARY)
            .add("day", DateType.DATE)
            .add("at", TimestampType.TIMESTAMP)
            .add("local_at", TimestampNTZType.TIMESTAMP_NTZ)
            .add("required_text", StringType.STRING, false));

    @TempDir
    Path dir;
    Engine engine;
    final Random random = new Random(7);

    @BeforeEach
    void open() {
        engine = DeltaEngines.forWarehouse(dir.toString(), EngineSettings.defaults().withFsync(false));
    }

    @Test
    void writesTheSameSchemaValuesAndStatisticsAsKernelsWriter() throws IOException {
        for (int rows : new int[] {1, 2, 7, 8, 9, 13, 100, 1000}) {
            List<Object[]> batch = new ArrayList<>();
            for (int r = 0; r < rows; r++) {
                batch.add(randomRow(r));
            }
            if (rows >= 9) {
                batch.set(3, extremeRow(true));
                batch.set(5, extremeRow(false));
                batch.set(7, nullRow(7));
            }
            assertSameAsKernel(SCHEMA, batch, "rows=" + rows);
        }
    }

    @Test
    void aColumnThatIsNullInEveryRowHasNullBoundsAndCounts() throws IOException {
        List<Object[]> batch = List.of(nullRow(1), nullRow(2), nullRow(3));
        DataFileStatus plain = assertSameAsKernel(SCHEMA, batch, "all null");
        DataFileStatistics stats = plain.getStatistics().orElseThrow();
        assertEquals(3L, stats.getNullCount().get(new Column("name")));
        assertNull(stats.getMinValues().get(new Column("name")).getValue());
    }

    @Test
    void aFloatColumnWithNaNHasNoBoundsButItsValuesAndNullCount() throws IOException {
        StructType schema = new StructType().add("id", LongType.LONG, false).add("real", DoubleType.DOUBLE);
        List<Object[]> batch = List.of(new Object[] {1L, 1.5}, new Object[] {2L, Double.NaN}, new Object[] {3L, null});
        DataFileStatus file = PlainParquetFile.write(engine, dir.toString(), schema, columns(schema), batch);
        assertRowsEqual(batch, read(file, schema), "NaN");
        DataFileStatistics stats = file.getStatistics().orElseThrow();
        assertFalse(stats.getMinValues().containsKey(new Column("real")));
        assertFalse(stats.getMaxValues().containsKey(new Column("real")));
        assertEquals(1L, stats.getNullCount().get(new Column("real")));
        assertEquals(1L, ((Number) stats.getMinValues().get(new Column("id")).getValue()).longValue());
    }

    @Test
    void takesOnlySmallBatchesOfFlatColumns() {
        assertTrue(PlainParquetFile.writes(SCHEMA, 1, 100, engine));
        assertTrue(PlainParquetFile.writes(SCHEMA, 100, 100, engine));
        assertFalse(PlainParquetFile.writes(SCHEMA, 101, 100, engine));
        assertFalse(PlainParquetFile.writes(SCHEMA, 0, 100, engine));
        assertFalse(PlainParquetFile.writes(SCHEMA, 1, 0, engine), "0 turns the writer off");
        assertFalse(PlainParquetFile.writes(new StructType().add("id", LongType.LONG).add("tags", new ArrayType(StringType.STRING, true)),
                1, 100, engine));
    }

    @Test
    void rowsThatEncodeToMoreThanASmallFileAreLeftToParquetMrWithNothingWritten() throws IOException {
        StructType schema = new StructType().add("id", LongType.LONG, false).add("doc", StringType.STRING);
        String large = "x".repeat(1 << 20);
        List<Object[]> rows = new ArrayList<>();
        for (long id = 0; id < 9; id++) { // 9 MiB of text in 9 rows
            rows.add(new Object[] {id, large});
        }
        assertNull(PlainParquetFile.write(engine, dir.toString(), schema, columns(schema), rows));
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            assertEquals(0, files.filter(f -> f.toString().endsWith(".parquet")).count(), "no file, not even a partial one");
        }
        rows.remove(8);
        rows.remove(7);
        assertTrue(PlainParquetFile.write(engine, dir.toString(), schema, columns(schema), rows).getSize() > 7 << 20, "7 MiB fit");
        // (DeltaTableWriterTest#aCommitOfFewRowsIsAPlainFileUnlessTheyEncodeToMoreThanASmallFile: parquet-mr takes them.)
    }

    @Test
    void refusesANullInARequiredColumnNamingIt() {
        Object[] row = randomRow(1);
        row[SCHEMA.indexOf("required_text")] = null;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PlainParquetFile.write(engine, dir.toString(), SCHEMA, columns(SCHEMA), List.<Object[]>of(row)));
        assertTrue(e.getMessage().contains("required_text"), e.getMessage());
    }

    @Test
    void decimalWidthsMatchParquetsTable() {
        // Parquet's minimum FIXED_LEN_BYTE_ARRAY lengths for decimal precisions (as parquet-mr and Spark size them).
        assertEquals(9, PlainParquetFile.decimalBytes(19));
        assertEquals(9, PlainParquetFile.decimalBytes(20));
        assertEquals(9, PlainParquetFile.decimalBytes(21));
        assertEquals(10, PlainParquetFile.decimalBytes(22));
        assertEquals(16, PlainParquetFile.decimalBytes(38));
    }

    // ---- the comparison ----------------------------------------------------------------------------

    private DataFileStatus assertSameAsKernel(StructType schema, List<Object[]> rows, String what) throws IOException {
        List<Column> stats = columns(schema);
        DataFileStatus plain = PlainParquetFile.write(engine, dir.toString(), schema, stats, rows);
        DataFileStatus kernel;
        try (CloseableIterator<DataFileStatus> files = engine.getParquetHandler().writeParquetFiles(dir.toString(),
                CloseableIterators.singleton(new FilteredColumnarBatch(new RowBatch(schema, rows), Optional.empty())), stats)) {
            kernel = files.next();
        }
        assertEquals(fields(kernel), fields(plain), what + ": Parquet schema");
        assertRowsEqual(rows, read(kernel, schema), what + ": Kernel's file");
        assertRowsEqual(rows, read(plain, schema), what + ": plain file");
        assertEquals(Files.size(Path.of(java.net.URI.create(plain.getPath()))), plain.getSize(), what + ": size");

        // As ParquetFiles keeps them: bounds that cannot be written exactly (binary, years outside 1–9999) dropped.
        DataFileStatistics expected = FileStatistics.exactOnly(kernel, schema).getStatistics().orElseThrow();
        DataFileStatistics actual = FileStatistics.exactOnly(plain, schema).getStatistics().orElseThrow();
        assertEquals(expected.getNumRecords(), actual.getNumRecords(), what);
        assertEquals(expected.getNullCount(), actual.getNullCount(), what + ": null counts");
        assertEquals(values(expected.getMinValues()), values(actual.getMinValues()), what + ": minimums");
        assertEquals(values(expected.getMaxValues()), values(actual.getMaxValues()), what + ": maximums");
        assertEquals(expected.serializeAsJson(schema), actual.serializeAsJson(schema), what + ": stats JSON");
        return plain;
    }

    /** Bounds as comparable text. */
    private static Map<String, String> values(Map<Column, Literal> bounds) {
        Map<String, String> out = new TreeMap<>();
        bounds.forEach((c, l) -> {
            String name = c.getNames()[0];
            Object v = l.getValue();
            out.put(name, v == null ? "null" : v instanceof byte[] b ? Arrays.toString(b) : v + " (" + v.getClass().getSimpleName() + ")");
        });
        return out;
    }

    private static List<org.apache.parquet.schema.Type> fields(DataFileStatus file) throws IOException {
        try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(Path.of(java.net.URI.create(file.getPath()))))) {
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            return schema.getFields();
        }
    }

    private List<Object[]> read(DataFileStatus file, StructType schema) throws IOException {
        List<Object[]> out = new ArrayList<>();
        try (CloseableIterator<FileReadResult> data = engine.getParquetHandler().readParquetFiles(
                CloseableIterators.singleton(file), schema, Optional.empty())) {
            while (data.hasNext()) {
                ColumnarBatch b = data.next().getData();
                for (int r = 0; r < b.getSize(); r++) {
                    Object[] row = new Object[schema.length()];
                    for (int c = 0; c < row.length; c++) {
                        row[c] = VectorValues.get(b.getColumnVector(c), r);
                    }
                    out.add(row);
                }
            }
        }
        return out;
    }

    private static void assertRowsEqual(List<Object[]> expected, List<Object[]> actual, String what) {
        assertEquals(expected.size(), actual.size(), what + ": row count");
        for (int r = 0; r < expected.size(); r++) {
            for (int c = 0; c < expected.get(r).length; c++) {
                Object e = expected.get(r)[c];
                Object a = actual.get(r)[c];
                if (e instanceof byte[] eb) {
                    assertArrayEquals(eb, (byte[]) a, what + ": row " + r + " column " + c);
                } else if (e instanceof Number en && a instanceof Number an && !(e instanceof BigDecimal)) {
                    assertEquals(en.doubleValue(), an.doubleValue(), 0.0, what + ": row " + r + " column " + c);
                    assertEquals(Double.doubleToRawLongBits(en.doubleValue()), Double.doubleToRawLongBits(an.doubleValue()),
                            what + ": row " + r + " column " + c + " (sign of zero, NaN)");
                } else {
                    assertEquals(e, a, what + ": row " + r + " column " + c);
                }
            }
        }
    }

    // ---- rows --------------------------------------------------------------------------------------

    private Object[] randomRow(long id) {
        boolean nulls = random.nextInt(4) == 0;
        return new Object[] {
                id,
                nulls ? null : random.nextBoolean(),
                nulls ? null : (byte) random.nextInt(),
                (short) random.nextInt(),
                nulls ? null : random.nextInt(),
                nulls ? null : random.nextFloat() * 1000 - 500,
                random.nextDouble() * 1e12 - 5e11,
                nulls ? null : BigDecimal.valueOf(random.nextInt(1_999_999_999) - 999_999_999, 2),
                BigDecimal.valueOf(random.nextLong() % 100_000_000_000_000L, 4),
                nulls ? null : new BigDecimal(new java.math.BigInteger(120, random).subtract(java.math.BigInteger.ONE.shiftLeft(119)), 18),
                new BigDecimal(new java.math.BigInteger(64, random)),
                nulls ? null : "name " + random.nextInt(1000) + (random.nextBoolean() ? " é😀" : ""),
                nulls ? null : bytes(random.nextInt(20)),
                nulls ? null : random.nextInt(40_000) - 10_000,
                random.nextLong() % 4_000_000_000_000_000L,
                nulls ? null : random.nextLong() % 4_000_000_000_000_000L,
                "required " + id
        };
    }

    /** Extreme values of every type: the smallest ({@code low}) or largest, empty strings, signed zeros. */
    private static Object[] extremeRow(boolean low) {
        return new Object[] {
                low ? Long.MIN_VALUE : Long.MAX_VALUE,
                !low,
                low ? Byte.MIN_VALUE : Byte.MAX_VALUE,
                low ? Short.MIN_VALUE : Short.MAX_VALUE,
                low ? Integer.MIN_VALUE : Integer.MAX_VALUE,
                low ? -0.0f : 0.0f,
                low ? -Double.MAX_VALUE : Double.MAX_VALUE,
                new BigDecimal(low ? "-9999999.99" : "9999999.99"),
                new BigDecimal(low ? "-99999999999999.9999" : "99999999999999.9999"),
                new BigDecimal(low ? "-99999999999999999999.999999999999999999" : "99999999999999999999.999999999999999999"),
                new BigDecimal(low ? "-99999999999999999999" : "99999999999999999999"),
                low ? "" : "\uFFFF\uD83D\uDE00", // U+FFFF sorts below U+1F600 in UTF-8 order, above it in UTF-16
                new byte[0],
                low ? -719_162 : 2_932_896, // 0001-01-01, 9999-12-31
                low ? -62_135_596_800_000_000L : 253_402_300_799_999_999L,
                low ? -62_135_596_800_000_000L : 253_402_300_799_999_999L,
                low ? "" : "\uD83D\uDE00"
        };
    }

    private static Object[] nullRow(long id) {
        Object[] row = new Object[SCHEMA.length()];
        row[0] = id;
        row[SCHEMA.length() - 1] = "required " + id;
        return row;
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static List<Column> columns(StructType schema) {
        List<Column> out = new ArrayList<>();
        schema.fields().forEach(f -> out.add(new Column(f.getName())));
        return out;
    }

    private static StructType withFieldIds(StructType schema) {
        StructType out = new StructType();
        long id = 1;
        for (StructField f : schema.fields()) {
            out = out.add(new StructField(f.getName(), f.getDataType(), f.isNullable(),
                    FieldMetadata.builder().putLong("parquet.field.id", id++).build()));
        }
        return out;
    }
}
