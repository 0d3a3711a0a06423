package dev.tideline.sync.types;

import dev.tideline.core.TidelineException;
import dev.tideline.sync.model.NullBytePolicy;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
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
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampNTZType;
import io.delta.kernel.types.TimestampType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns Delta rows (Kernel column vectors) into Postgres {@code COPY … (FORMAT binary)} tuples,
 * column by column in {@link TargetColumn} order, with the seed's type mapping. Binary rather than
 * text because Postgres parses it far more cheaply (no float, date or timestamp parsing) and
 * producing it costs Java no number formatting: integers, floats, dates and timestamps are copied
 * as they are (dates and timestamps shifted from the 1970 to the 2000 epoch), decimals become
 * {@code NUMERIC}'s base-10000 digits, strings their UTF-8 bytes, complex values {@code JSONB}
 * (version 1 followed by JSON text, see {@link JsonText}).
 *
 * <p>NUL characters: Postgres rejects them in {@code TEXT} ("invalid byte sequence for encoding
 * UTF8: 0x00") and in {@code JSONB}. With {@link NullBytePolicy#FAIL} the encoder throws an error
 * naming the table, the column and the row's primary key before anything reaches Postgres; with
 * {@link NullBytePolicy#STRIP} it drops them.
 *
 * <p>Not thread-safe: one encoder per thread ({@link #bind} keeps the current batch's vectors).
 */
public final class CopyRowEncoder {

    /** Days and microseconds between the Unix epoch (Delta) and 2000-01-01 (Postgres). */
    private static final int EPOCH_DAYS = 10_957;
    private static final long EPOCH_MICROS = 946_684_800_000_000L;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private enum Kind { LONG, INT, SHORT, BYTE, BOOLEAN, DOUBLE, FLOAT, DECIMAL, DATE, TIMESTAMP, STRING, BINARY, JSON }

    private final String tableName;
    private final List<TargetColumn> columns;
    private final Kind[] kinds;
    private final int[] keyColumns;
    private final int timeseriesColumn;
    private final NullBytePolicy nullBytes;
    private final List<String> primaryKey;
    private final String timeseriesKey;
    private final ColumnVector[] vectors;
    /** Per column of the bound batch: a STRING column delivered as its UTF-8 bytes (see {@code KernelFiles}). */
    private final boolean[] utf8Bytes;
    private final StringBuilder json = new StringBuilder(256);
    private final CopyBuffer scratch = new CopyBuffer(256);

    /**
     * @param tableName     the synced table, for error messages
     * @param columns       the target columns, in COPY order
     * @param primaryKey    primary key column names (each among {@code columns})
     * @param timeseriesKey the timeseries key column name, or {@code null}
     * @throws TidelineException NEEDS_OPERATOR when a key column is not among {@code columns}
     */
    public CopyRowEncoder(String tableName, List<TargetColumn> columns, List<String> primaryKey, String timeseriesKey,
            NullBytePolicy nullBytes) {
        this.tableName = tableName;
        this.columns = List.copyOf(columns);
        this.nullBytes = nullBytes;
        this.primaryKey = List.copyOf(primaryKey);
        this.timeseriesKey = timeseriesKey;
        this.kinds = new Kind[columns.size()];
        for (int i = 0; i < kinds.length; i++) {
            kinds[i] = kind(columns.get(i).deltaType());
        }
        this.keyColumns = new int[primaryKey.size()];
        for (int i = 0; i < keyColumns.length; i++) {
            keyColumns[i] = indexOf(primaryKey.get(i), "primary key");
        }
        this.timeseriesColumn = timeseriesKey == null ? -1 : indexOf(timeseriesKey, "timeseries key");
        this.vectors = new ColumnVector[columns.size()];
        this.utf8Bytes = new boolean[columns.size()];
    }

    private static Kind kind(DataType t) {
        if (t instanceof LongType) {
            return Kind.LONG;
        } else if (t instanceof IntegerType) {
            return Kind.INT;
        } else if (t instanceof ShortType) {
            return Kind.SHORT;
        } else if (t instanceof ByteType) {
            return Kind.BYTE;
        } else if (t instanceof BooleanType) {
            return Kind.BOOLEAN;
        } else if (t instanceof DoubleType) {
            return Kind.DOUBLE;
        } else if (t instanceof FloatType) {
            return Kind.FLOAT;
        } else if (t instanceof DecimalType) {
            return Kind.DECIMAL;
        } else if (t instanceof DateType) {
            return Kind.DATE;
        } else if (t instanceof TimestampType || t instanceof TimestampNTZType) {
            return Kind.TIMESTAMP; // TIMESTAMPTZ and TIMESTAMP share one binary form
        } else if (t instanceof StringType) {
            return Kind.STRING;
        } else if (t instanceof BinaryType) {
            return Kind.BINARY;
        }
        return Kind.JSON; // ARRAY, MAP, STRUCT; PostgresTypeMapping refused everything else
    }

    private int indexOf(String name, String what) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).name().equals(name)) {
                return i;
            }
        }
        List<String> names = new ArrayList<>();
        columns.forEach(c -> names.add(c.name()));
        throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                what + " column '" + name + "' of synced table " + tableName + " is not a column of the source table "
                        + "(columns: " + names + ")",
                "use the exact (case-sensitive) name of a source table column");
    }

    public List<TargetColumn> columns() {
        return columns;
    }

    /** The columns {@link #key} and {@link #timeseriesValue} read: the primary key, then the timeseries key if any. */
    public List<String> keyAndTimeseriesColumns() {
        List<String> names = new ArrayList<>(primaryKey);
        if (timeseriesKey != null && !names.contains(timeseriesKey)) {
            names.add(timeseriesKey);
        }
        return names;
    }

    /** A new encoder with the same configuration, for another thread. */
    public CopyRowEncoder copy() {
        return new CopyRowEncoder(tableName, columns, primaryKey, timeseriesKey, nullBytes);
    }

    /**
     * Points the encoder at a batch read from Delta. Columns are found by name, so the batch may
     * order them differently; a column the batch lacks (a file written before the column was
     * added) reads as NULL.
     */
    public void bind(ColumnarBatch batch) {
        StructType schema = batch.getSchema();
        for (int i = 0; i < vectors.length; i++) {
            int ordinal = schema.indexOf(columns.get(i).name());
            vectors[i] = ordinal < 0 ? null : batch.getColumnVector(ordinal);
            utf8Bytes[i] = kinds[i] == Kind.STRING && vectors[i] != null && vectors[i].getDataType() instanceof BinaryType;
        }
    }

    /** Appends row {@code rowId} of the bound batch as one binary COPY tuple (field count, then every column). */
    public void appendRow(int rowId, CopyBuffer out) {
        out.int16(vectors.length);
        for (int i = 0; i < vectors.length; i++) {
            appendField(i, rowId, out);
        }
    }

    /** Row {@code rowId} as a binary COPY tuple of its own. */
    public byte[] row(int rowId) {
        scratch.clear();
        appendRow(rowId, scratch);
        return scratch.copyFrom(0);
    }

    /** The primary key of row {@code rowId}: a binary COPY tuple of the key columns. */
    public RowKey key(int rowId) {
        scratch.clear();
        scratch.int16(keyColumns.length);
        for (int k : keyColumns) {
            appendField(k, rowId, scratch);
        }
        return new RowKey(scratch.copyFrom(0));
    }

    /** The timeseries key's value of row {@code rowId} as a comparable, or {@code null} (NULL sorts first). */
    @SuppressWarnings("rawtypes")
    public Comparable timeseriesValue(int rowId) {
        if (timeseriesColumn < 0) {
            throw new IllegalStateException("synced table " + tableName + " has no timeseries key");
        }
        ColumnVector v = vectors[timeseriesColumn];
        if (v == null || v.isNullAt(rowId)) {
            return null;
        }
        return switch (kinds[timeseriesColumn]) {
            case LONG, TIMESTAMP -> v.getLong(rowId);
            case INT, DATE -> v.getInt(rowId);
            case SHORT -> v.getShort(rowId);
            case BYTE -> v.getByte(rowId);
            case DOUBLE -> v.getDouble(rowId);
            case FLOAT -> v.getFloat(rowId);
            case DECIMAL -> v.getDecimal(rowId);
            case STRING -> utf8Bytes[timeseriesColumn] ? new String(v.getBinary(rowId), StandardCharsets.UTF_8) : v.getString(rowId);
            default -> throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                    "timeseries key '" + columns.get(timeseriesColumn).name() + "' of synced table " + tableName + " has type "
                            + columns.get(timeseriesColumn).deltaType() + ", which cannot be ordered",
                    "choose a timestamp, date, number or string column as timeseries key");
        };
    }

    /** Human-readable primary key of row {@code rowId} of the bound batch, e.g. {@code (id)=(42)}, for error messages. */
    public String describeKey(int rowId) {
        StringBuilder values = new StringBuilder();
        for (int k = 0; k < keyColumns.length; k++) {
            ColumnVector v = vectors[keyColumns[k]];
            if (k > 0) {
                values.append(", ");
            }
            if (v == null || v.isNullAt(rowId)) {
                values.append("NULL");
            } else {
                scratch.clear();
                appendField(keyColumns[k], rowId, scratch);
                values.append(display(kinds[keyColumns[k]], ByteBuffer.wrap(scratch.array(), 4, scratch.size() - 4)));
            }
        }
        return "(" + String.join(", ", primaryKey) + ")=(" + values + ")";
    }

    /** Human-readable form of a {@link #key}, e.g. {@code (id, region)=(42, eu)}, for error messages. */
    public String describeKey(RowKey key) {
        ByteBuffer in = ByteBuffer.wrap(key.bytes());
        in.getShort();
        StringBuilder values = new StringBuilder();
        for (int k = 0; k < keyColumns.length; k++) {
            if (k > 0) {
                values.append(", ");
            }
            int length = in.getInt();
            if (length < 0) {
                values.append("NULL");
                continue;
            }
            ByteBuffer field = in.slice(in.position(), length);
            in.position(in.position() + length);
            values.append(display(kinds[keyColumns[k]], field));
        }
        return "(" + String.join(", ", primaryKey) + ")=(" + values + ")";
    }

    private static String display(Kind kind, ByteBuffer f) {
        return switch (kind) {
            case LONG -> Long.toString(f.getLong());
            case INT -> Integer.toString(f.getInt());
            case SHORT, BYTE -> Short.toString(f.getShort());
            case BOOLEAN -> f.get() != 0 ? "t" : "f";
            case DOUBLE -> Double.toString(f.getDouble());
            case FLOAT -> Float.toString(f.getFloat());
            case DECIMAL -> Numeric.decode(f).toPlainString();
            case DATE -> PgTemporalText.date(f.getInt() + EPOCH_DAYS);
            case TIMESTAMP -> PgTemporalText.timestampNtz(f.getLong() + EPOCH_MICROS);
            case STRING -> StandardCharsets.UTF_8.decode(f).toString();
            case JSON -> StandardCharsets.UTF_8.decode(f.position(1)).toString();
            case BINARY -> {
                StringBuilder hex = new StringBuilder("\\x");
                while (f.hasRemaining()) {
                    byte b = f.get();
                    hex.append(HEX[(b >> 4) & 0xF]).append(HEX[b & 0xF]);
                }
                yield hex.toString();
            }
        };
    }

    private void appendField(int column, int rowId, CopyBuffer out) {
        ColumnVector v = vectors[column];
        if (v == null || v.isNullAt(rowId)) {
            out.int32(-1);
            return;
        }
        switch (kinds[column]) {
            case LONG -> out.int32(8).int64(v.getLong(rowId));
            case INT -> out.int32(4).int32(v.getInt(rowId));
            case SHORT -> out.int32(2).int16(v.getShort(rowId));
            case BYTE -> out.int32(2).int16(v.getByte(rowId));
            case BOOLEAN -> out.int32(1).int8(v.getBoolean(rowId) ? 1 : 0);
            case DOUBLE -> out.int32(8).int64(Double.doubleToLongBits(v.getDouble(rowId)));
            case FLOAT -> out.int32(4).int32(Float.floatToIntBits(v.getFloat(rowId)));
            case DECIMAL -> Numeric.encode(v.getDecimal(rowId), out);
            case DATE -> out.int32(4).int32(date(v.getInt(rowId), column, rowId));
            case TIMESTAMP -> out.int32(8).int64(timestamp(v.getLong(rowId), column, rowId));
            case STRING -> {
                if (utf8Bytes[column]) {
                    out.field(string(v.getBinary(rowId), column, rowId));
                } else {
                    out.utf8Field(string(v.getString(rowId), column, rowId));
                }
            }
            case BINARY -> out.field(v.getBinary(rowId));
            case JSON -> {
                json.setLength(0);
                JsonText.append(columns.get(column).deltaType(), v, rowId, json, columns.get(column).name(), () -> {
                    if (nullBytes == NullBytePolicy.FAIL) {
                        throw nulError(column, rowId);
                    }
                });
                byte[] text = json.toString().getBytes(StandardCharsets.UTF_8);
                out.int32(text.length + 1).int8(1).write(text); // JSONB binary format version 1
            }
        }
    }

    /**
     * Postgres' date range in days from its 2000-01-01 epoch: 4714-11-24 BC (Julian day 0) up to, not including,
     * 5874898-01-01. A Delta date is any int32 of days (±5.8 million years), so both ends can be exceeded; outside
     * the range Postgres' binary input fails the whole COPY with "date out of range" (SQLSTATE 22008), which names
     * neither the column nor the key — so the value is refused here, naming both and the range. The bounds
     * also exclude Postgres' ±infinity sentinels (INT_MIN, INT_MAX), which a Delta value never means.
     */
    private static final long PG_MIN_DATE = -2_451_545L;
    private static final long PG_END_DATE = 2_147_483_494L - 2_451_545L;
    /**
     * Postgres' earliest timestamp in microseconds from 2000-01-01: 4714-11-24 00:00:00 BC (UTC). Its upper end
     * (294277-01-01) lies beyond the largest int64 of microseconds from 1970 that Delta can store, so only this end
     * can be exceeded.
     */
    private static final long PG_MIN_TIMESTAMP = -211_813_488_000_000_000L;

    private int date(int epochDay, int column, int rowId) {
        long days = (long) epochDay - EPOCH_DAYS;
        if (days < PG_MIN_DATE || days >= PG_END_DATE) {
            throw outOfRange(column, rowId, "date", "4714-11-24 BC to 5874897-12-31");
        }
        return (int) days;
    }

    private long timestamp(long epochMicros, int column, int rowId) {
        if (epochMicros < PG_MIN_TIMESTAMP + EPOCH_MICROS) {
            throw outOfRange(column, rowId, "timestamp", "4714-11-24 00:00:00 BC (UTC) to 294276-12-31 23:59:59.999999");
        }
        return epochMicros - EPOCH_MICROS;
    }

    private TidelineException outOfRange(int column, int rowId, String what, String range) {
        return new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                "column '" + columns.get(column).name() + "' of synced table " + tableName + " holds a " + what
                        + " outside the range Postgres can store (" + range + ") in the row with primary key " + describeKey(rowId),
                "fix or filter the value in the source table");
    }

    private String string(String s, int column, int rowId) {
        if (s.indexOf('\0') >= 0) {
            if (nullBytes == NullBytePolicy.FAIL) {
                throw nulError(column, rowId);
            }
            return s.replace("\0", "");
        }
        return s;
    }

    private byte[] string(byte[] utf8, int column, int rowId) {
        for (byte b : utf8) {
            if (b == 0) {
                if (nullBytes == NullBytePolicy.FAIL) {
                    throw nulError(column, rowId);
                }
                return stripNul(utf8);
            }
        }
        return utf8;
    }

    private static byte[] stripNul(byte[] utf8) {
        byte[] out = new byte[utf8.length];
        int n = 0;
        for (byte b : utf8) {
            if (b != 0) {
                out[n++] = b;
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    private TidelineException nulError(int column, int rowId) {
        return new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                "column '" + columns.get(column).name() + "' of synced table " + tableName + " holds a null byte (0x00) in the row "
                        + "with primary key " + describeKey(rowId).replace("\0", "\\0") + "; Postgres TEXT and JSONB cannot store it",
                "remove the null bytes in the source table (e.g. REPLACE(col, CAST(CHAR(0) AS STRING), '')), convert the "
                        + "column to BINARY, or set the synced table's null byte policy to STRIP");
    }

    /** {@code NUMERIC}'s binary form: digit count, weight, sign, display scale, then base-10000 digits. */
    static final class Numeric {

        private static final int NEGATIVE = 0x4000;

        private Numeric() {
        }

        static void encode(BigDecimal value, CopyBuffer out) {
            BigDecimal d = value.scale() < 0 ? value.setScale(0) : value;
            int scale = d.scale();
            BigInteger unscaled = d.unscaledValue();
            // Pad the digits so that the fraction is whole groups of 4, then the integer part too.
            int fractionPad = (4 - scale % 4) % 4;
            String digits = unscaled.abs().toString() + "0".repeat(fractionPad);
            digits = "0".repeat((4 - digits.length() % 4) % 4) + digits;
            int groups = digits.length() / 4;
            int fractionGroups = (scale + fractionPad) / 4;
            int first = 0;
            while (first < groups && group(digits, first) == 0) {
                first++;
            }
            int last = groups;
            while (last > first && group(digits, last - 1) == 0) {
                last--;
            }
            int count = last - first;
            int weight = count == 0 ? 0 : groups - fractionGroups - 1 - first;
            out.int32(8 + 2 * count).int16(count).int16(weight).int16(count == 0 || unscaled.signum() >= 0 ? 0 : NEGATIVE).int16(scale);
            for (int g = first; g < last; g++) {
                out.int16(group(digits, g));
            }
        }

        private static int group(String digits, int g) {
            int at = g * 4;
            return (digits.charAt(at) - '0') * 1000 + (digits.charAt(at + 1) - '0') * 100 + (digits.charAt(at + 2) - '0') * 10
                    + (digits.charAt(at + 3) - '0');
        }

        static BigDecimal decode(ByteBuffer in) {
            int count = in.getShort();
            int weight = in.getShort();
            int sign = in.getShort() & 0xFFFF;
            int scale = in.getShort();
            BigInteger value = BigInteger.ZERO;
            BigInteger base = BigInteger.valueOf(10_000);
            for (int i = 0; i < count; i++) {
                value = value.multiply(base).add(BigInteger.valueOf(in.getShort()));
            }
            // value holds digits d0..d(count-1); d0 has the weight `weight`, so value = that × 10000^(count-1-weight).
            BigDecimal result = new BigDecimal(value).scaleByPowerOfTen(4 * (weight - count + 1));
            result = result.setScale(scale, java.math.RoundingMode.UNNECESSARY);
            return sign == NEGATIVE ? result.negate() : result;
        }
    }
}
