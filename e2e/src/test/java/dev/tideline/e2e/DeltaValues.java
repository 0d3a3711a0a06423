package dev.tideline.e2e;

import dev.tideline.apply.delta.PostgresDeltaTypes;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.HexFormat;
import java.util.List;

/**
 * One canonical text per value, computed twice: from the Delta value Kernel reads back
 * ({@link Type#render}), and by Postgres itself from the source value under the documented mapping
 * ({@link Type#oracleSql}, then {@link Type#canonical}). Equal texts mean equal values: exact decimals
 * at the column's scale, epoch days, epoch microseconds, shortest round-trip floats, hex bytes, the
 * type's own text output.
 */
final class DeltaValues {

    private DeltaValues() {
    }

    enum Kind { BOOLEAN, INTEGRAL, FLOAT, DOUBLE, DECIMAL, DATE, TIMESTAMP, BINARY, STRING, ARRAY }

    /** A Delta type as the case table names it ({@code decimal(20,0)}, {@code array<date>}). */
    record Type(Kind kind, int scale, Type element) {

        static Type parse(String name) {
            if (name.startsWith("array<") && name.endsWith(">")) {
                return new Type(Kind.ARRAY, 0, parse(name.substring("array<".length(), name.length() - 1)));
            }
            if (name.startsWith("decimal(")) {
                String[] ps = name.substring("decimal(".length(), name.length() - 1).split(",");
                return new Type(Kind.DECIMAL, Integer.parseInt(ps[1].trim()), null);
            }
            return switch (name) {
                case "boolean" -> new Type(Kind.BOOLEAN, 0, null);
                case "short", "integer", "long" -> new Type(Kind.INTEGRAL, 0, null);
                case "float" -> new Type(Kind.FLOAT, 0, null);
                case "double" -> new Type(Kind.DOUBLE, 0, null);
                case "date" -> new Type(Kind.DATE, 0, null);
                case "timestamp", "timestamp_ntz" -> new Type(Kind.TIMESTAMP, 0, null);
                case "binary" -> new Type(Kind.BINARY, 0, null);
                case "string" -> new Type(Kind.STRING, 0, null);
                default -> throw new IllegalArgumentException("unknown Delta type in the case table: " + name);
            };
        }

        /** The canonical text of a value Kernel read from Delta (a List for arrays). */
        Object render(Object deltaValue) {
            if (deltaValue == null) {
                return null;
            }
            return switch (kind) {
                case ARRAY -> ((List<?>) deltaValue).stream().map(element::render).toList();
                case FLOAT -> Float.toString((Float) deltaValue);
                case DOUBLE -> Double.toString((Double) deltaValue);
                case DECIMAL -> ((BigDecimal) deltaValue).toPlainString();
                case BINARY -> HexFormat.of().formatHex((byte[]) deltaValue);
                default -> String.valueOf(deltaValue);
            };
        }

        /** The canonical text of what the oracle SQL returned for one value (or array element). */
        String canonical(String pgText) {
            if (pgText == null) {
                return null;
            }
            return switch (kind) {
                case FLOAT -> Float.toString(Float.parseFloat(pgText));
                case DOUBLE -> Double.toString(Double.parseDouble(pgText));
                // NaN and ±Infinity of numeric are NULL in Delta (documented).
                case DECIMAL -> pgText.equals("NaN") || pgText.endsWith("Infinity") ? null
                        : new BigDecimal(pgText).setScale(scale, RoundingMode.UNNECESSARY).toPlainString();
                default -> pgText;
            };
        }

        /**
         * SQL rendering source column {@code column} (of Postgres type {@code pgType}) as the documented
         * mapping stores it, as text — or, for arrays, as a text[] of rendered elements.
         */
        String oracleSql(String column, String pgType) {
            return switch (kind) {
                case BOOLEAN -> "CASE " + column + " WHEN true THEN 'true' WHEN false THEN 'false' END";
                case DATE -> "CASE WHEN " + column + " IS NULL THEN NULL WHEN isfinite(" + column + ") THEN (" + column
                        + " - date '1970-01-01')::text WHEN " + column + " > date '1970-01-01' THEN '"
                        + PostgresDeltaTypes.DATE_POSITIVE_INFINITY.toEpochDay() + "' ELSE '"
                        + PostgresDeltaTypes.DATE_NEGATIVE_INFINITY.toEpochDay() + "' END";
                // Through an interval from 2000-01-01 (Postgres' own epoch): extract(epoch from a timestamp)
                // falls back to a double near the end of the range, an interval's epoch stays exact.
                case TIMESTAMP -> "CASE WHEN " + column + " IS NULL THEN NULL WHEN isfinite(" + column + ") THEN (extract(epoch from "
                        + column + " - '2000-01-01 00:00:00+00') * 1000000 + 946684800000000)::numeric(40,0)::text WHEN " + column
                        + " > 'epoch' THEN '"
                        + PostgresDeltaTypes.TIMESTAMP_POSITIVE_INFINITY_MICROS + "' ELSE '"
                        + PostgresDeltaTypes.TIMESTAMP_NEGATIVE_INFINITY_MICROS + "' END";
                case BINARY -> "encode(" + column + ", 'hex')";
                case STRING -> stringSql(column, pgType);
                case ARRAY -> "CASE WHEN " + column + " IS NULL THEN NULL ELSE COALESCE((SELECT array_agg("
                        + element.oracleSql("u.e", pgType.replace("[]", "")) + " ORDER BY u.o) FROM unnest(" + column
                        + ") WITH ORDINALITY AS u(e, o)), '{}'::text[]) END";
                default -> column + "::text";
            };
        }

        private static String stringSql(String column, String pgType) {
            if (pgType.equals("time") || pgType.equals("time without time zone")) {
                return "to_char(" + column + ", 'HH24:MI:SS.US')";
            }
            if (pgType.equals("timetz") || pgType.equals("time with time zone")) {
                String offset = "extract(timezone from " + column + ")::int";
                return "to_char(" + column + "::time, 'HH24:MI:SS.US') || CASE WHEN " + offset + " < 0 THEN '-' ELSE '+' END"
                        + " || lpad((abs(" + offset + ") / 3600)::text, 2, '0') || ':' || lpad((abs(" + offset
                        + ") / 60 % 60)::text, 2, '0') || CASE WHEN abs(" + offset + ") % 60 <> 0 THEN ':' || lpad((abs(" + offset
                        + ") % 60)::text, 2, '0') ELSE '' END";
            }
            // The type's output function, as the slot and the snapshot send it (a cast to text is not always
            // that: char(n) loses its padding, inet gains its /32); num_nulls, because ROW(NULL, NULL) IS NULL.
            return "CASE WHEN num_nulls(" + column + ") = 1 THEN NULL ELSE format('%s', " + column + ") END";
        }
    }
}
