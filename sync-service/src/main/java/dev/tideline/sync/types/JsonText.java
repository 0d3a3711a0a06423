package dev.tideline.sync.types;

import dev.tideline.core.TidelineException;
import io.delta.kernel.data.ArrayValue;
import io.delta.kernel.data.ColumnVector;
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
import java.util.Base64;

/**
 * ARRAY, MAP and STRUCT values as JSON text for Postgres {@code JSONB}, in the form Postgres'
 * {@code to_json} would give: dates and timestamps as ISO strings, binary as base64, NaN and
 * infinities as strings (JSON has no literal for them), non-string map keys as their JSON text.
 */
final class JsonText {

    /** Called when a string holds a NUL character, which {@code JSONB} cannot store: throw to fail, return to drop it. */
    interface NulHandler {
        void onNul();
    }

    private JsonText() {
    }

    /**
     * Appends element {@code i} of {@code v} as JSON.
     *
     * @param column the column, for the message when a value has no JSON form
     */
    static void append(DataType t, ColumnVector v, int i, StringBuilder out, String column, NulHandler nul) {
        if (v.isNullAt(i)) {
            out.append("null");
        } else if (t instanceof StringType) {
            appendString(v.getString(i), out, nul);
        } else if (t instanceof BooleanType) {
            out.append(v.getBoolean(i) ? "true" : "false");
        } else if (t instanceof LongType) {
            out.append(v.getLong(i));
        } else if (t instanceof IntegerType) {
            out.append(v.getInt(i));
        } else if (t instanceof ShortType) {
            out.append(v.getShort(i));
        } else if (t instanceof ByteType) {
            out.append(v.getByte(i));
        } else if (t instanceof DoubleType || t instanceof FloatType) {
            double d = t instanceof DoubleType ? v.getDouble(i) : v.getFloat(i);
            if (Double.isNaN(d)) {
                out.append("\"NaN\"");
            } else if (Double.isInfinite(d)) {
                out.append(d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
            } else {
                out.append(t instanceof DoubleType ? Double.toString(d) : Float.toString(v.getFloat(i)));
            }
        } else if (t instanceof DecimalType) {
            out.append(v.getDecimal(i).toPlainString());
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
                append(a.getElementType(), elements, e, out, column, nul);
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
                String key;
                if (m.getKeyType() instanceof StringType) {
                    key = keys.getString(e);
                } else {
                    StringBuilder k = new StringBuilder();
                    append(m.getKeyType(), keys, e, k, column, nul);
                    key = k.length() >= 2 && k.charAt(0) == '"' ? k.substring(1, k.length() - 1) : k.toString();
                }
                appendString(key, out, nul);
                out.append(':');
                append(m.getValueType(), values, e, out, column, nul);
            }
            out.append('}');
        } else if (t instanceof StructType s) {
            out.append('{');
            for (int f = 0; f < s.length(); f++) {
                if (f > 0) {
                    out.append(',');
                }
                appendString(s.at(f).getName(), out, nul);
                out.append(':');
                append(s.at(f).getDataType(), v.getChild(f), i, out, column, nul);
            }
            out.append('}');
        } else {
            throw new TidelineException(TidelineException.Kind.FATAL,
                    "column '" + column + "' holds a value of type " + t + " inside a complex value, which has no JSON form", null);
        }
    }

    private static void appendString(String s, StringBuilder out, NulHandler nul) {
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
                case '\0' -> nul.onNul();
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
}
