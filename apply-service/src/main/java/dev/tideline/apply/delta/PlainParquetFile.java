package dev.tideline.apply.delta;

import dev.tideline.delta.FileIOEngine;
import io.delta.kernel.defaults.engine.fileio.FileIO;
import io.delta.kernel.defaults.engine.fileio.PositionOutputStream;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.expressions.Column;
import io.delta.kernel.expressions.Literal;
import io.delta.kernel.statistics.DataFileStatistics;
import io.delta.kernel.types.BinaryType;
import io.delta.kernel.types.BooleanType;
import io.delta.kernel.types.ByteType;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.DateType;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.FloatType;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.ShortType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampNTZType;
import io.delta.kernel.types.TimestampType;
import io.delta.kernel.utils.DataFileStatus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.parquet.format.ColumnChunk;
import org.apache.parquet.format.ColumnMetaData;
import org.apache.parquet.format.CompressionCodec;
import org.apache.parquet.format.ConvertedType;
import org.apache.parquet.format.DataPageHeader;
import org.apache.parquet.format.Encoding;
import org.apache.parquet.format.FieldRepetitionType;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.LogicalType;
import org.apache.parquet.format.MicroSeconds;
import org.apache.parquet.format.PageHeader;
import org.apache.parquet.format.PageType;
import org.apache.parquet.format.RowGroup;
import org.apache.parquet.format.SchemaElement;
import org.apache.parquet.format.Statistics;
import org.apache.parquet.format.TimeUnit;
import org.apache.parquet.format.Type;
import org.apache.parquet.format.Util;

/**
 * Writes a small batch of rows as one Parquet file without parquet-mr's writer: one row group, one
 * {@code PLAIN}-encoded, uncompressed data page (v1) per column, definition levels in the RLE/bit-packed
 * hybrid. The file's Delta statistics are computed from the rows as they are written, not read back from
 * its footer.
 *
 * <p><b>Why.</b> Apply's change commits are mostly a few rows per table. For such a file parquet-mr's
 * per-file machinery — writer set-up (configuration, codec and column stores), page and column indexes,
 * the footer written through Thrift byte by byte, then Kernel reading that footer back for statistics —
 * was about a quarter of apply's CPU with 1,000 tables ({@code docs/benchmarks.md}). This writer does
 * the same job in one pass over the rows and one write of a byte array.
 *
 * <p><b>What it writes is what Kernel's default writer writes</b>, for the types it takes
 * ({@link #writes}): the same Parquet schema (types, logical and converted types, repetition, field
 * ids of column mapping) and the same statistics for the same rows
 * ({@code PlainParquetFileTest} compares both writers' files and statistics value by value). What
 * it leaves out, and why that is safe: compression (a compaction rewrites small files through
 * parquet-mr), dictionary encoding, page/column indexes and footer min/max (readers take an absent
 * bound as unknown; the footer keeps null counts). Nested types ({@code array}, {@code map},
 * {@code struct}) are not taken: those files go through Kernel's writer.
 *
 * <p><b>Memory.</b> The file is built in memory and written at once, so a file is at most {@link #MAX_BYTES} (8 MiB):
 * besides the rows the caller holds, this writer holds the file so far and one column's page (its values and one
 * copy), a few times {@code MAX_BYTES} at worst. Rows that encode to more are left to parquet-mr (which compresses
 * and buffers one row group) before anything is written.
 */
final class PlainParquetFile {

    /**
     * Default of the most rows given to this writer ({@link WriterSettings#plainFileMaxRows()}): beyond this,
     * per-file costs no longer dominate and parquet-mr's encodings and compression make the better file.
     */
    static final int DEFAULT_MAX_ROWS = 2_048;

    /**
     * Most bytes one file is encoded into: a batch whose values encode to more (a few rows of large text, say) is left to
     * parquet-mr, which compresses, so that this writer never holds more than this beside the rows it is given.
     */
    static final int MAX_BYTES = 8 << 20;

    private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);
    private static final String CREATED_BY = "tideline version 0.1.0 (build plain)";

    private PlainParquetFile() {
    }

    /** Whether this writer takes {@code rows} of {@code physical}: at most {@code maxRows}, and every column a flat type. */
    static boolean writes(StructType physical, int rows, int maxRows, Engine engine) {
        if (rows == 0 || rows > maxRows || !(engine instanceof FileIOEngine)) {
            return false;
        }
        for (StructField field : physical.fields()) {
            if (physicalType(field.getDataType()) == null) {
                return false;
            }
        }
        return true;
    }

    /**
     * Writes {@code rows} (in order; values in Tideline's in-memory form, see {@link DeltaColumn}) into a
     * new file in {@code directory} and returns it with the statistics of {@code statsColumns}; or, when the rows
     * encode to more than {@link #MAX_BYTES}, writes nothing and returns null (the caller uses parquet-mr).
     *
     * @param engine an engine from {@code DeltaEngines.forWarehouse} (its file layer writes the file)
     */
    static DataFileStatus write(Engine engine, String directory, StructType physical, List<Column> statsColumns,
                                List<Object[]> rows) throws IOException {
        FileIO io = ((FileIOEngine) engine).fileIO();
        String path = io.resolvePath(directory.endsWith("/") ? directory + fileName() : directory + "/" + fileName());
        ByteArrayOutputStream file = new ByteArrayOutputStream(256 + rows.size() * 16 * physical.length());
        Map<Column, Literal> min = new HashMap<>();
        Map<Column, Literal> max = new HashMap<>();
        Map<Column, Long> nullCounts = new HashMap<>();
        file.write(MAGIC);
        List<SchemaElement> schema = new ArrayList<>();
        SchemaElement root = new SchemaElement("tideline_schema");
        root.setNum_children(physical.length());
        schema.add(root);
        List<ColumnChunk> chunks = new ArrayList<>();
        long rowGroupBytes = 0;
        long firstChunk = file.size();
        for (int c = 0; c < physical.length(); c++) {
            StructField field = physical.at(c);
            schema.add(schemaElement(field));
            ColumnPage page = ColumnPage.of(field, rows, c, MAX_BYTES - file.size());
            if (page == null) {
                return null; // too large for a small file: nothing was written yet
            }
            byte[] body = page.body();
            PageHeader header = new PageHeader(PageType.DATA_PAGE, body.length, body.length);
            header.setData_page_header(new DataPageHeader(rows.size(), Encoding.PLAIN, Encoding.RLE, Encoding.RLE));
            long start = file.size();
            Util.writePageHeader(header, file);
            file.write(body);
            long size = file.size() - start;
            rowGroupBytes += size;
            ColumnMetaData meta = new ColumnMetaData(physicalType(field.getDataType()),
                    field.isNullable() ? List.of(Encoding.PLAIN, Encoding.RLE) : List.of(Encoding.PLAIN),
                    List.of(field.getName()), CompressionCodec.UNCOMPRESSED, rows.size(), size, size, start);
            meta.setStatistics(new Statistics().setNull_count(page.nulls));
            ColumnChunk chunk = new ColumnChunk(start);
            chunk.setMeta_data(meta);
            chunks.add(chunk);
            Column column = new Column(field.getName());
            if (statsColumns.contains(column)) {
                page.addStatistics(column, min, max, nullCounts);
            }
        }
        RowGroup rowGroup = new RowGroup(chunks, rowGroupBytes, rows.size());
        rowGroup.setFile_offset(firstChunk);
        rowGroup.setTotal_compressed_size(rowGroupBytes);
        FileMetaData footer = new FileMetaData(1, schema, rows.size(), List.of(rowGroup));
        footer.setCreated_by(CREATED_BY);
        int footerStart = file.size();
        Util.writeFileMetaData(footer, file);
        writeIntLittleEndian(file, file.size() - footerStart);
        file.write(MAGIC);
        try (PositionOutputStream out = io.newOutputFile(path).create(true)) {
            file.writeTo(out);
        }
        DataFileStatistics stats = new DataFileStatistics(rows.size(), min, max, nullCounts, Optional.empty());
        return new DataFileStatus(path, file.size(), System.currentTimeMillis(), Optional.of(stats));
    }

    private static String fileName() {
        return UUID.randomUUID() + "-000.parquet"; // the shape of Kernel's names
    }

    /** The Parquet physical type of a flat Delta type, or null for a type this writer does not take. */
    private static Type physicalType(DataType type) {
        if (type instanceof BooleanType) {
            return Type.BOOLEAN;
        }
        if (type instanceof ByteType || type instanceof ShortType || type instanceof IntegerType || type instanceof DateType) {
            return Type.INT32;
        }
        if (type instanceof LongType || type instanceof TimestampType || type instanceof TimestampNTZType) {
            return Type.INT64;
        }
        if (type instanceof FloatType) {
            return Type.FLOAT;
        }
        if (type instanceof DoubleType) {
            return Type.DOUBLE;
        }
        if (type instanceof DecimalType d) {
            return d.getPrecision() <= 9 ? Type.INT32 : d.getPrecision() <= 18 ? Type.INT64 : Type.FIXED_LEN_BYTE_ARRAY;
        }
        if (type instanceof StringType || type instanceof BinaryType) {
            return Type.BYTE_ARRAY;
        }
        return null;
    }

    /** A column's schema element, annotated as Kernel's {@code ParquetSchemaUtils.toParquetSchema} annotates it. */
    private static SchemaElement schemaElement(StructField field) {
        DataType type = field.getDataType();
        SchemaElement e = new SchemaElement(field.getName());
        e.setType(physicalType(type));
        e.setRepetition_type(field.isNullable() ? FieldRepetitionType.OPTIONAL : FieldRepetitionType.REQUIRED);
        Long fieldId = field.getMetadata().getLong("parquet.field.id"); // column mapping's id, as Kernel writes it
        if (fieldId != null) {
            e.setField_id(Math.toIntExact(fieldId));
        }
        if (type instanceof StringType) {
            e.setConverted_type(ConvertedType.UTF8);
            e.setLogicalType(LogicalType.STRING(new org.apache.parquet.format.StringType()));
        } else if (type instanceof DateType) {
            e.setConverted_type(ConvertedType.DATE);
            e.setLogicalType(LogicalType.DATE(new org.apache.parquet.format.DateType()));
        } else if (type instanceof TimestampType) {
            e.setConverted_type(ConvertedType.TIMESTAMP_MICROS);
            e.setLogicalType(LogicalType.TIMESTAMP(new org.apache.parquet.format.TimestampType(true, TimeUnit.MICROS(new MicroSeconds()))));
        } else if (type instanceof TimestampNTZType) {
            // No converted type: TIMESTAMP_MICROS means adjusted to UTC.
            e.setLogicalType(LogicalType.TIMESTAMP(new org.apache.parquet.format.TimestampType(false, TimeUnit.MICROS(new MicroSeconds()))));
        } else if (type instanceof DecimalType d) {
            e.setConverted_type(ConvertedType.DECIMAL);
            e.setScale(d.getScale());
            e.setPrecision(d.getPrecision());
            e.setLogicalType(LogicalType.DECIMAL(new org.apache.parquet.format.DecimalType(d.getScale(), d.getPrecision())));
            if (d.getPrecision() > 18) {
                e.setType_length(decimalBytes(d.getPrecision()));
            }
        }
        return e;
    }

    /** Bytes of the smallest two's-complement integer that holds every unscaled value of {@code precision} digits. */
    static int decimalBytes(int precision) {
        int bytes = 1;
        while (BigDecimal.valueOf(2).pow(8 * bytes - 1).compareTo(BigDecimal.TEN.pow(precision)) < 0) {
            bytes++;
        }
        return bytes;
    }

    private static void writeIntLittleEndian(ByteArrayOutputStream out, int v) {
        out.write(v);
        out.write(v >>> 8);
        out.write(v >>> 16);
        out.write(v >>> 24);
    }

    /**
     * One column's data page body (definition levels, then the non-null values PLAIN-encoded) and what the
     * file's statistics need of it, gathered in the same pass.
     */
    private static final class ColumnPage {
        private final DataType type;
        private final boolean nullable;
        private final int rows;
        private final ByteArrayOutputStream values = new ByteArrayOutputStream();
        private byte[] definedBits; // bit i: row i is not null (nullable columns only)
        private long nulls;
        private Object min;
        private Object max;
        private boolean unordered; // NaN seen: no bounds

        private ColumnPage(DataType type, boolean nullable, int rows) {
            this.type = type;
            this.nullable = nullable;
            this.rows = rows;
        }

        /** The column's page, or null once its values encode to more than {@code budget} bytes. */
        static ColumnPage of(StructField field, List<Object[]> rows, int column, long budget) {
            int n = rows.size();
            ColumnPage page = new ColumnPage(field.getDataType(), field.isNullable(), n);
            page.definedBits = new byte[(n + 7) / 8];
            byte[] booleans = page.type instanceof BooleanType ? new byte[(n + 7) / 8] : null;
            int booleanCount = 0;
            for (int r = 0; r < n; r++) {
                Object v = rows.get(r)[column];
                if (v == null) {
                    if (!page.nullable) {
                        throw new IllegalArgumentException("column " + field.getName() + " is not nullable but row " + r + " holds null");
                    }
                    page.nulls++;
                    continue;
                }
                page.definedBits[r >>> 3] |= (byte) (1 << (r & 7));
                if (booleans != null) {
                    if ((Boolean) v) {
                        booleans[booleanCount >>> 3] |= (byte) (1 << (booleanCount & 7));
                    }
                    booleanCount++;
                    page.bound(v);
                } else {
                    page.encode(v, field.getName());
                    if (page.values.size() > budget) {
                        return null;
                    }
                }
            }
            if (booleans != null) {
                page.values.write(booleans, 0, (booleanCount + 7) / 8);
            }
            return page;
        }

        /** PLAIN-encodes one non-null value and widens the bounds. */
        private void encode(Object v, String name) {
            if (type instanceof ByteType || type instanceof ShortType || type instanceof IntegerType || type instanceof DateType) {
                int x = ((Number) v).intValue();
                writeIntLittleEndian(values, x);
                bound(x);
            } else if (type instanceof LongType || type instanceof TimestampType || type instanceof TimestampNTZType) {
                long x = ((Number) v).longValue();
                writeLongLittleEndian(x);
                bound(x);
            } else if (type instanceof FloatType) {
                float x = ((Number) v).floatValue();
                writeIntLittleEndian(values, Float.floatToRawIntBits(x));
                if (Float.isNaN(x)) {
                    unordered = true;
                } else {
                    bound(x);
                }
            } else if (type instanceof DoubleType) {
                double x = ((Number) v).doubleValue();
                writeLongLittleEndian(Double.doubleToRawLongBits(x));
                if (Double.isNaN(x)) {
                    unordered = true;
                } else {
                    bound(x);
                }
            } else if (type instanceof DecimalType d) {
                BigDecimal x = ((BigDecimal) v).setScale(d.getScale(), RoundingMode.UNNECESSARY);
                if (x.precision() > d.getPrecision()) {
                    throw new IllegalArgumentException("column " + name + ": " + v + " does not fit " + d);
                }
                if (d.getPrecision() <= 9) {
                    writeIntLittleEndian(values, x.unscaledValue().intValueExact());
                } else if (d.getPrecision() <= 18) {
                    writeLongLittleEndian(x.unscaledValue().longValueExact());
                } else {
                    byte[] unscaled = x.unscaledValue().toByteArray(); // big-endian two's complement, minimal
                    int length = decimalBytes(d.getPrecision());
                    byte pad = (byte) (unscaled[0] < 0 ? 0xff : 0);
                    for (int i = unscaled.length; i < length; i++) {
                        values.write(pad);
                    }
                    values.write(unscaled, 0, unscaled.length);
                }
                bound(x);
            } else if (type instanceof StringType) {
                byte[] bytes = ((String) v).getBytes(StandardCharsets.UTF_8);
                writeIntLittleEndian(values, bytes.length);
                values.write(bytes, 0, bytes.length);
                bound(v);
            } else if (type instanceof BinaryType) {
                byte[] bytes = (byte[]) v;
                writeIntLittleEndian(values, bytes.length);
                values.write(bytes, 0, bytes.length);
            } else {
                throw new IllegalStateException("no PLAIN encoding for " + type); // excluded by writes()
            }
        }

        private void writeLongLittleEndian(long v) {
            writeIntLittleEndian(values, (int) v);
            writeIntLittleEndian(values, (int) (v >>> 32));
        }

        private void bound(Object v) {
            if (min == null || compare(v, min) < 0) {
                min = v;
            }
            if (max == null || compare(v, max) > 0) {
                max = v;
            }
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        private static int compare(Object a, Object b) {
            if (a instanceof String s) {
                return RowKey.compareCodePoints(s, (String) b); // Parquet orders UTF-8 bytes: code points
            }
            return ((Comparable) a).compareTo(b);
        }

        /**
         * The page body: for a nullable column the definition levels (length-prefixed RLE/bit-packed hybrid, bit
         * width 1) — one RLE run when no value is null, else bit-packed groups of eight — then the values.
         */
        byte[] body() throws IOException {
            ByteArrayOutputStream body = new ByteArrayOutputStream(values.size() + definedBits.length + 16);
            if (nullable) {
                ByteArrayOutputStream levels = new ByteArrayOutputStream(definedBits.length + 8);
                if (nulls == 0) {
                    writeVarInt(levels, (long) rows << 1); // RLE run header: every row at level 1
                    levels.write(1);
                } else {
                    // Bit-packed run of whole groups of eight; the page's value count ends the last one.
                    writeVarInt(levels, ((long) definedBits.length << 1) | 1);
                    levels.write(definedBits, 0, definedBits.length);
                }
                writeIntLittleEndian(body, levels.size());
                levels.writeTo(body);
            }
            values.writeTo(body);
            return body.toByteArray();
        }

        /** Adds this column's null count and bounds (as Kernel's statistics reader would give them). */
        void addStatistics(Column column, Map<Column, Literal> min, Map<Column, Literal> max, Map<Column, Long> nullCounts) {
            nullCounts.put(column, nulls);
            if (nulls == rows) {
                min.put(column, Literal.ofNull(type));
                max.put(column, Literal.ofNull(type));
                return;
            }
            if (unordered || type instanceof BinaryType) {
                return; // NaN has no place in an order; binary bounds are not written exactly (FileStatistics.exactOnly)
            }
            min.put(column, literal(this.min, true));
            max.put(column, literal(this.max, false));
        }

        private Literal literal(Object v, boolean isMin) {
            if (type instanceof BooleanType) {
                return Literal.ofBoolean((Boolean) v);
            } else if (type instanceof ByteType) {
                return Literal.ofByte(((Number) v).byteValue());
            } else if (type instanceof ShortType) {
                return Literal.ofShort(((Number) v).shortValue());
            } else if (type instanceof IntegerType) {
                return Literal.ofInt((Integer) v);
            } else if (type instanceof DateType) {
                return Literal.ofDate((Integer) v);
            } else if (type instanceof LongType) {
                return Literal.ofLong((Long) v);
            } else if (type instanceof TimestampType) {
                return Literal.ofTimestamp((Long) v);
            } else if (type instanceof TimestampNTZType) {
                return Literal.ofTimestampNtz((Long) v);
            } else if (type instanceof FloatType) {
                float f = (Float) v; // a zero bound is -0.0 as a minimum, +0.0 as a maximum (parquet-mr's rule)
                return Literal.ofFloat(f == 0f ? (isMin ? -0f : 0f) : f);
            } else if (type instanceof DoubleType) {
                double d = (Double) v;
                return Literal.ofDouble(d == 0d ? (isMin ? -0d : 0d) : d);
            } else if (type instanceof DecimalType d) {
                return Literal.ofDecimal((BigDecimal) v, d.getPrecision(), d.getScale());
            } else if (type instanceof StringType) {
                return Literal.ofString((String) v);
            }
            throw new IllegalStateException("no bounds for " + type);
        }
    }

    private static void writeVarInt(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }
}
