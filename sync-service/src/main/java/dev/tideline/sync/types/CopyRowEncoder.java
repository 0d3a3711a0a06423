package dev.tideline.sync.types;

import dev.tideline.core.TidelineException;
import dev.tideline.sync.model.NullBytePolicy;
import io.delta.kernel.data.ArrayValue;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.MapValue;
import io.delta.kernel.types.ArrayType;
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
import io.delta.kernel.types.MapType;
import io.delta.kernel.types.ShortType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampNTZType;
import io.delta.kernel.types.TimestampType;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Turns Delta rows (Kernel column vectors) into lines of Postgres {@code COPY ... FROM STDIN} text
 * format, column by column in {@link TargetColumn} order, with the seed's type mapping: complex
 * values as JSON text for {@code JSONB}, binary as {@code \x} hex, timestamps with an explicit
 * offset.
 *
 * <p>NUL characters: Postgres rejects them in {@code TEXT} ("invalid byte sequence for encoding
 * UTF8: 0x00") and in {@code JSONB} ("\u0000 cannot be converted to text"). With
 * {@link NullBytePolicy#FAIL} the encoder throws an error naming the table, the column and the row's
 * primary key before anything reaches Postgres; with {@link NullBytePolicy#STRIP} it drops them.
 *
 * <p>Not thread-safe: one encoder per thread ({@link #bind} keeps the current batch's vectors).
 */
public final class CopyRowEncoder {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final String tableName;
    private final List<TargetColumn> columns;
    private final int[] keyColumns;
    private final int timeseriesColumn;
    private final NullBytePolicy nullBytes;
    private final List<String> primaryKey;
    private final String timeseriesKey;
    private final ColumnVector[] vectors;
    private final StringBuilder scratch = new StringBuilder(64);

    /**
     * @param tableName     the synced table, for error messages
     * @param columns       the target columns, in COPY order
     * @param primaryKey    primary key column names (each among {@code columns})
     * @param timeseriesKey the timeseries key column name, or {@code null}
     */
    public CopyRowEncoder(String tableName, List<TargetColumn> columns, List<String> primaryKey, String timeseriesKey,
            NullBytePolicy nullBytes) {
        this.tableName = tableName;
        this.columns = List.copyOf(columns);
        this.nullBytes = nullBytes;
        this.primaryKey = List.copyOf(primaryKey);
        this.timeseriesKey = timeseriesKey;
        this.keyColumns = new int[primaryKey.size()];
        for (int i = 0; i < keyColumns.length; i++) {
            keyColumns[i] = indexOf(primaryKey.get(i), "primary key");
        }
        this.timeseriesColumn = timeseriesKey == null ? -1 : indexOf(timeseriesKey, "timeseries key");
        this.vectors = new ColumnVector[columns.size()];
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

    /** A new encoder with the same configuration, for another thread. */
    public CopyRowEncoder copy() {
        return new CopyRowEncoder(tableName, columns, primaryKey, timeseriesKey, nullBytes);
    }

    /** {@code (id, region)=(42, eu)} from a {@link #keyText} (its COPY escapes kept), for error messages. */
    public String describeKeyText(String keyText) {
        return "(" + String.join(", ", primaryKey) + ")=(" + keyText.replace("\t", ", ") + ")";
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
        }
    }

    /** Appends row {@code rowId} of the bound batch as one COPY text line, newline included. */
    public void appendRow(int rowId, StringBuilder out) {
        for (int i = 0; i < vectors.length; i++) {
            if (i > 0) {
                out.append('\t');
            }
            appendField(i, rowId, out);
        }
        out.append('\n');
    }

    /** The primary key columns of row {@code rowId} as a COPY text line without newline; equal keys give equal text. */
    public String keyText(int rowId) {
        StringBuilder out = new StringBuilder(32);
        for (int k = 0; k < keyColumns.length; k++) {
            if (k > 0) {
                out.append('\t');
            }
            appendField(keyColumns[k], rowId, out);
        }
        return out.toString();
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
        DataType t = columns.get(timeseriesColumn).deltaType();
        if (t instanceof LongType || t instanceof TimestampType || t instanceof TimestampNTZType) {
            return v.getLong(rowId);
        } else if (t instanceof IntegerType || t instanceof DateType) {
            return v.getInt(rowId);
        } else if (t instanceof ShortType) {
            return v.getShort(rowId);
        } else if (t instanceof ByteType) {
            return v.getByte(rowId);
        } else if (t instanceof DoubleType) {
            return v.getDouble(rowId);
        } else if (t instanceof FloatType) {
            return v.getFloat(rowId);
        } else if (t instanceof DecimalType) {
            return v.getDecimal(rowId);
        } else if (t instanceof StringType) {
            return v.getString(rowId);
        }
        throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                "timeseries key '" + columns.get(timeseriesColumn).name() + "' of synced table " + tableName + " has type " + t
                        + ", which cannot be ordered",
                "choose a timestamp, date, number or string column as timeseries key");
    }

    /** Human-readable primary key of row {@code rowId}, e.g. {@code (id)=(42)}, for error messages. */
    public String describeKey(int rowId) {
        StringBuilder names = new StringBuilder("(");
        StringBuilder values = new StringBuilder("(");
        for (int k = 0; k < keyColumns.length; k++) {
            if (k > 0) {
                names.append(", ");
                values.append(", ");
            }
            names.append(columns.get(keyColumns[k]).name());
            ColumnVector v = vectors[keyColumns[k]];
            if (v == null || v.isNullAt(rowId)) {
                values.append("NULL");
            } else {
                StringBuilder raw = new StringBuilder();
                appendRaw(columns.get(keyColumns[k]).deltaType(), v, rowId, raw, keyColumns[k], -1, false);
                values.append(raw.toString().replace("\0", "\\0"));
            }
        }
        return names.append(")=").append(values).append(')').toString();
    }

    private void appendField(int column, int rowId, StringBuilder out) {
        ColumnVector v = vectors[column];
        if (v == null || v.isNullAt(rowId)) {
            out.append("\\N");
            return;
        }
        DataType t = columns.get(column).deltaType();
        if (t instanceof StringType || t instanceof ArrayType || t instanceof MapType || t instanceof StructType) {
            scratch.setLength(0);
            appendRaw(t, v, rowId, scratch, column, rowId, true);
            escapeCopy(scratch, out);
        } else {
            // Numbers, booleans, dates, timestamps and \x-hex never contain COPY's special characters,
            // except the backslash of bytea's \x prefix, written doubled below.
            appendRaw(t, v, rowId, out, column, rowId, true);
        }
    }

    /** Appends a value in Postgres input form (strings raw; complex values as JSON), no COPY escaping. */
    private void appendRaw(DataType t, ColumnVector v, int i, StringBuilder out, int column, int rowId, boolean checkNul) {
        if (t instanceof StringType) {
            appendString(v.getString(i), out, column, rowId, checkNul);
        } else if (t instanceof LongType) {
            out.append(v.getLong(i));
        } else if (t instanceof IntegerType) {
            out.append(v.getInt(i));
        } else if (t instanceof ShortType) {
            out.append(v.getShort(i));
        } else if (t instanceof ByteType) {
            out.append(v.getByte(i));
        } else if (t instanceof BooleanType) {
            out.append(v.getBoolean(i) ? 't' : 'f');
        } else if (t instanceof DoubleType) {
            out.append(floating(v.getDouble(i)));
        } else if (t instanceof FloatType) {
            out.append(floating(v.getFloat(i)));
        } else if (t instanceof DecimalType) {
            out.append(v.getDecimal(i).toPlainString());
        } else if (t instanceof DateType) {
            out.append(PgTemporalText.date(v.getInt(i)));
        } else if (t instanceof TimestampType) {
            out.append(PgTemporalText.timestampUtc(v.getLong(i)));
        } else if (t instanceof TimestampNTZType) {
            out.append(PgTemporalText.timestampNtz(v.getLong(i)));
        } else if (t instanceof BinaryType) {
            byte[] bytes = v.getBinary(i);
            out.append("\\\\x");
            for (byte b : bytes) {
                out.append(HEX[(b >> 4) & 0xF]).append(HEX[b & 0xF]);
            }
        } else {
            appendJson(t, v, i, out, column, rowId);
        }
    }

    private static String floating(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        return Double.toString(d);
    }

    private static String floating(float f) {
        if (Float.isNaN(f)) {
            return "NaN";
        }
        if (Float.isInfinite(f)) {
            return f > 0 ? "Infinity" : "-Infinity";
        }
        return Float.toString(f);
    }

    private void appendString(String s, StringBuilder out, int column, int rowId, boolean checkNul) {
        if (checkNul && s.indexOf('\0') >= 0) {
            if (nullBytes == NullBytePolicy.FAIL) {
                throw nulError(column, rowId);
            }
            s = s.replace("\0", "");
        }
        out.append(s);
    }

    private TidelineException nulError(int column, int rowId) {
        return new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                "column '" + columns.get(column).name() + "' of synced table " + tableName + " holds a null byte (0x00) in the row "
                        + "with primary key " + describeKey(rowId) + "; Postgres TEXT and JSONB cannot store it",
                "remove the null bytes in the source table (e.g. REPLACE(col, CAST(CHAR(0) AS STRING), '')), convert the "
                        + "column to BINARY, or set the synced table's null byte policy to STRIP");
    }

    // ---- JSON for ARRAY, MAP and STRUCT (JSONB) ----

    private void appendJson(DataType t, ColumnVector v, int i, StringBuilder out, int column, int rowId) {
        if (v.isNullAt(i)) {
            out.append("null");
        } else if (t instanceof StringType) {
            appendJsonString(v.getString(i), out, column, rowId);
        } else if (t instanceof BooleanType) {
            out.append(v.getBoolean(i) ? "true" : "false");
        } else if (t instanceof LongType || t instanceof IntegerType || t instanceof ShortType || t instanceof ByteType) {
            appendRaw(t, v, i, out, column, rowId, false);
        } else if (t instanceof DoubleType || t instanceof FloatType) {
            double d = t instanceof DoubleType ? v.getDouble(i) : v.getFloat(i);
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                out.append('"').append(floating(d)).append('"'); // JSON has no NaN/Infinity literals
            } else {
                out.append(t instanceof DoubleType ? Double.toString(d) : Float.toString(v.getFloat(i)));
            }
        } else if (t instanceof DecimalType) {
            BigDecimal d = v.getDecimal(i);
            out.append(d.toPlainString());
        } else if (t instanceof DateType) {
            out.append('"').append(java.time.LocalDate.ofEpochDay(v.getInt(i))).append('"');
        } else if (t instanceof TimestampType) {
            out.append('"').append(PgTemporalText.timestampUtcIso(v.getLong(i))).append('"');
        } else if (t instanceof TimestampNTZType) {
            out.append('"').append(PgTemporalText.timestampNtzIso(v.getLong(i))).append('"');
        } else if (t instanceof BinaryType) {
            out.append('"').append(Base64.getEncoder().encodeToString(v.getBinary(i))).append('"');
        } else if (t instanceof ArrayType a) {
            ArrayValue array = v.getArray(i);
            ColumnVector elements = array.getElements();
            out.append('[');
            for (int e = 0; e < array.getSize(); e++) {
                if (e > 0) {
                    out.append(',');
                }
                appendJson(a.getElementType(), elements, e, out, column, rowId);
            }
            out.append(']');
        } else if (t instanceof MapType m) {
            MapValue map = v.getMap(i);
            ColumnVector keys = map.getKeys();
            ColumnVector values = map.getValues();
            out.append('{');
            for (int e = 0; e < map.getSize(); e++) {
                if (e > 0) {
                    out.append(',');
                }
                // JSON object keys are strings: non-string map keys are written in their JSON text form.
                StringBuilder key = new StringBuilder();
                if (m.getKeyType() instanceof StringType) {
                    key.append(keys.getString(e));
                } else {
                    appendJson(m.getKeyType(), keys, e, key, column, rowId);
                    if (key.length() >= 2 && key.charAt(0) == '"') {
                        key = new StringBuilder(key.substring(1, key.length() - 1));
                    }
                }
                appendJsonString(key.toString(), out, column, rowId);
                out.append(':');
                appendJson(m.getValueType(), values, e, out, column, rowId);
            }
            out.append('}');
        } else if (t instanceof StructType s) {
            out.append('{');
            for (int f = 0; f < s.length(); f++) {
                if (f > 0) {
                    out.append(',');
                }
                appendJsonString(s.at(f).getName(), out, column, rowId);
                out.append(':');
                appendJson(s.at(f).getDataType(), v.getChild(f), i, out, column, rowId);
            }
            out.append('}');
        } else {
            throw new TidelineException(TidelineException.Kind.FATAL,
                    "column '" + columns.get(column).name() + "' of synced table " + tableName + " holds a value of type " + t
                            + " inside a complex value, which has no JSON form", null);
        }
    }

    private void appendJsonString(String s, StringBuilder out, int column, int rowId) {
        out.append('"');
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\0' -> {
                    if (nullBytes == NullBytePolicy.FAIL) {
                        throw nulError(column, rowId);
                    }
                }
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** COPY text escaping: backslash, newline, carriage return and tab are the special characters. */
    private static void escapeCopy(CharSequence s, StringBuilder out) {
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> out.append(c);
            }
        }
    }
}
