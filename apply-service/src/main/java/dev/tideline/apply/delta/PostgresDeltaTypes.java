package dev.tideline.apply.delta;

import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.PgType;
import dev.tideline.core.value.PgInterval;
import dev.tideline.core.value.PgSpecial;
import io.delta.kernel.types.ArrayType;
import io.delta.kernel.types.BinaryType;
import io.delta.kernel.types.BooleanType;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.DateType;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.FloatType;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.ShortType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.TimestampNTZType;
import io.delta.kernel.types.TimestampType;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/**
 * The Postgres → Delta type mapping of ingested tables. The reference table, with the reasons, is
 * {@code docs/reference/type-mapping-postgres-to-delta.md}; this class is its only implementation.
 *
 * <p>Rule: keep every value Delta can hold exactly, in the closest Delta type; where Delta has no
 * such type, keep the exact Postgres text in a {@code string}. Values Delta cannot hold in the
 * column's type (a multi-dimensional array, an unconstrained numeric with more than 18 decimals)
 * are refused with the reason, never rounded or dropped.
 */
public final class PostgresDeltaTypes {

    /** Precision and scale given to unconstrained {@code numeric} (no typmod). */
    public static final int UNCONSTRAINED_PRECISION = 38;
    public static final int UNCONSTRAINED_SCALE = 18;
    /** Delta's (and Spark's) largest decimal precision. */
    public static final int MAX_DECIMAL_PRECISION = 38;

    /** {@code infinity} of date/timestamp columns: the largest value Spark and Delta readers accept. */
    public static final LocalDate DATE_POSITIVE_INFINITY = LocalDate.of(9999, 12, 31);
    public static final LocalDate DATE_NEGATIVE_INFINITY = LocalDate.of(1, 1, 1);
    public static final long TIMESTAMP_POSITIVE_INFINITY_MICROS =
            micros(LocalDateTime.of(9999, 12, 31, 23, 59, 59, 999_999_000).toInstant(ZoneOffset.UTC));
    public static final long TIMESTAMP_NEGATIVE_INFINITY_MICROS =
            micros(LocalDateTime.of(1, 1, 1, 0, 0, 0).toInstant(ZoneOffset.UTC));

    private static final HexFormat HEX = HexFormat.of();

    private PostgresDeltaTypes() {
    }

    /** The Delta column for a source column. */
    public static DeltaColumn column(ColumnSchema source) {
        int oid = source.typeOid();
        if (PgType.isArray(oid)) {
            int elementOid = PgType.elementOf(oid);
            ColumnSchema element = new ColumnSchema(source.name(), elementOid, source.typeModifier(), false);
            DeltaColumn elementColumn = column(element);
            Function<Object, Object> elementConverter = elementColumn.converter();
            return new DeltaColumn(source.name(), new ArrayType(elementColumn.type(), true), oid,
                    v -> convertArray(v, elementConverter));
        }
        return switch (oid) {
            case PgType.BOOL -> new DeltaColumn(source.name(), BooleanType.BOOLEAN, oid, v -> (Boolean) v);
            case PgType.INT2 -> new DeltaColumn(source.name(), ShortType.SHORT, oid, v -> ((Number) v).shortValue());
            case PgType.INT4 -> new DeltaColumn(source.name(), IntegerType.INTEGER, oid, v -> ((Number) v).intValue());
            case PgType.INT8, PgType.OID -> new DeltaColumn(source.name(), LongType.LONG, oid, v -> ((Number) v).longValue());
            case PgType.FLOAT4 -> new DeltaColumn(source.name(), FloatType.FLOAT, oid, v -> ((Number) v).floatValue());
            case PgType.FLOAT8 -> new DeltaColumn(source.name(), DoubleType.DOUBLE, oid, v -> ((Number) v).doubleValue());
            case PgType.NUMERIC -> numeric(source);
            case PgType.BYTEA -> new DeltaColumn(source.name(), BinaryType.BINARY, oid, v -> (byte[]) v);
            case PgType.DATE -> new DeltaColumn(source.name(), DateType.DATE, oid, PostgresDeltaTypes::date);
            case PgType.TIMESTAMP -> new DeltaColumn(source.name(), TimestampNTZType.TIMESTAMP_NTZ, oid,
                    PostgresDeltaTypes::timestampNtz);
            case PgType.TIMESTAMPTZ -> new DeltaColumn(source.name(), TimestampType.TIMESTAMP, oid,
                    PostgresDeltaTypes::timestamp);
            case PgType.TIME -> new DeltaColumn(source.name(), StringType.STRING, oid, PostgresDeltaTypes::time);
            case PgType.TIMETZ -> new DeltaColumn(source.name(), StringType.STRING, oid, PostgresDeltaTypes::timetz);
            case PgType.INTERVAL -> new DeltaColumn(source.name(), StringType.STRING, oid, PostgresDeltaTypes::interval);
            case PgType.UUID -> new DeltaColumn(source.name(), StringType.STRING, oid, v -> ((UUID) v).toString());
            // text, varchar, bpchar (padding kept), name, "char", json, jsonb, xml, money, enums,
            // domains, ranges, composites, extension types: the type's text output.
            default -> new DeltaColumn(source.name(), StringType.STRING, oid, PostgresDeltaTypes::text);
        };
    }

    private static DeltaColumn numeric(ColumnSchema source) {
        int p = source.numericPrecision();
        int s = source.numericScale();
        if (p < 0) {
            DecimalType type = new DecimalType(UNCONSTRAINED_PRECISION, UNCONSTRAINED_SCALE);
            return new DeltaColumn(source.name(), type, PgType.NUMERIC, v -> decimal(v, type, true));
        }
        // Postgres 15+ allows a negative scale (rounding to tens, hundreds…) and a scale above the
        // precision (0.00xyz): widen to the Delta decimal that holds every value of the type.
        int precision = s < 0 ? p - s : Math.max(p, s);
        int scale = Math.max(s, 0);
        if (precision > MAX_DECIMAL_PRECISION) {
            // Delta cannot hold numeric(39+): keep the exact digits as text.
            return new DeltaColumn(source.name(), StringType.STRING, PgType.NUMERIC,
                    v -> v instanceof BigDecimal d ? d.toPlainString() : specialText(v));
        }
        DecimalType type = new DecimalType(precision, scale);
        return new DeltaColumn(source.name(), type, PgType.NUMERIC, v -> decimal(v, type, false));
    }

    private static Object decimal(Object v, DecimalType type, boolean unconstrained) {
        if (v instanceof PgSpecial) {
            return null; // NaN and ±Infinity have no decimal form: documented as NULL
        }
        BigDecimal d = (BigDecimal) v;
        BigDecimal scaled;
        try {
            scaled = d.setScale(type.getScale(), RoundingMode.UNNECESSARY);
        } catch (ArithmeticException e) {
            BigDecimal stripped = d.stripTrailingZeros();
            if (stripped.scale() <= type.getScale()) {
                scaled = stripped.setScale(type.getScale(), RoundingMode.UNNECESSARY);
            } else {
                throw new IllegalArgumentException("a numeric value with " + stripped.scale() + " decimal places does not fit "
                        + "decimal(" + type.getPrecision() + "," + type.getScale() + ")"
                        + (unconstrained ? " (the type given to unconstrained numeric)" : ""));
            }
        }
        if (scaled.precision() > type.getPrecision()) {
            throw new IllegalArgumentException("a numeric value with " + (scaled.precision() - scaled.scale())
                    + " integer digits does not fit decimal(" + type.getPrecision() + "," + type.getScale() + ")"
                    + (unconstrained ? " (the type given to unconstrained numeric)" : ""));
        }
        return scaled;
    }

    private static Object date(Object v) {
        if (v instanceof PgSpecial special) {
            return (int) (special == PgSpecial.NEGATIVE_INFINITY ? DATE_NEGATIVE_INFINITY : DATE_POSITIVE_INFINITY).toEpochDay();
        }
        return Math.toIntExact(((LocalDate) v).toEpochDay());
    }

    private static Object timestampNtz(Object v) {
        if (v instanceof PgSpecial special) {
            return special == PgSpecial.NEGATIVE_INFINITY ? TIMESTAMP_NEGATIVE_INFINITY_MICROS : TIMESTAMP_POSITIVE_INFINITY_MICROS;
        }
        return micros(((LocalDateTime) v).toInstant(ZoneOffset.UTC));
    }

    private static Object timestamp(Object v) {
        if (v instanceof PgSpecial special) {
            return special == PgSpecial.NEGATIVE_INFINITY ? TIMESTAMP_NEGATIVE_INFINITY_MICROS : TIMESTAMP_POSITIVE_INFINITY_MICROS;
        }
        return micros((Instant) v);
    }

    /** Microseconds since the epoch, the unit of Delta timestamps. */
    public static long micros(Instant instant) {
        try {
            return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
        } catch (ArithmeticException e) {
            // Postgres timestamps reach 294276 AD; Delta's 64-bit microseconds end in 294247 AD.
            throw new IllegalArgumentException("a timestamp after 294247-01-10 04:00:54.775807 UTC is outside Delta's timestamp range "
                    + "(64-bit microseconds since 1970)");
        }
    }

    /** {@code HH:MM:SS.ffffff}, fixed width so that text order is time order; 24:00:00 stays 24:00:00. */
    private static Object time(Object v) {
        LocalTime t = (LocalTime) v;
        if (t.equals(LocalTime.MAX)) {
            return "24:00:00.000000";
        }
        return String.format("%02d:%02d:%02d.%06d", t.getHour(), t.getMinute(), t.getSecond(), t.getNano() / 1000);
    }

    private static Object timetz(Object v) {
        OffsetTime t = (OffsetTime) v;
        String local = (String) time(t.toLocalTime());
        int offset = t.getOffset().getTotalSeconds();
        int abs = Math.abs(offset);
        String zone = String.format("%s%02d:%02d", offset < 0 ? "-" : "+", abs / 3600, abs / 60 % 60);
        if (abs % 60 != 0) {
            zone += String.format(":%02d", abs % 60);
        }
        return local + zone;
    }

    /**
     * ISO 8601 with Postgres' own field split, as {@code IntervalStyle iso_8601} prints it: months,
     * days and time are separate and keep their signs ({@code P1Y2M-3DT4H5M6.5S}).
     */
    static String interval(Object v) {
        PgInterval i = (PgInterval) v;
        if (i.months() == Integer.MAX_VALUE && i.days() == Integer.MAX_VALUE && i.microseconds() == Long.MAX_VALUE) {
            return "infinity";
        }
        if (i.months() == Integer.MIN_VALUE && i.days() == Integer.MIN_VALUE && i.microseconds() == Long.MIN_VALUE) {
            return "-infinity";
        }
        StringBuilder out = new StringBuilder("P");
        int years = i.months() / 12;
        int months = i.months() % 12;
        if (years != 0) {
            out.append(years).append('Y');
        }
        if (months != 0) {
            out.append(months).append('M');
        }
        if (i.days() != 0) {
            out.append(i.days()).append('D');
        }
        long micros = i.microseconds();
        if (micros != 0) {
            out.append('T');
            boolean negative = micros < 0;
            // Long.MIN_VALUE cannot be negated; BigDecimal keeps every digit.
            BigDecimal total = BigDecimal.valueOf(micros).abs();
            BigDecimal[] hoursRest = total.divideAndRemainder(BigDecimal.valueOf(3_600_000_000L));
            BigDecimal[] minutesRest = hoursRest[1].divideAndRemainder(BigDecimal.valueOf(60_000_000L));
            BigDecimal seconds = minutesRest[1].movePointLeft(6).stripTrailingZeros();
            String sign = negative ? "-" : "";
            if (hoursRest[0].signum() != 0) {
                out.append(sign).append(hoursRest[0].toPlainString()).append('H');
            }
            if (minutesRest[0].signum() != 0) {
                out.append(sign).append(minutesRest[0].toPlainString()).append('M');
            }
            if (seconds.signum() != 0) {
                out.append(sign).append(seconds.toPlainString()).append('S');
            }
        }
        return out.length() == 1 ? "PT0S" : out.toString();
    }

    private static Object text(Object v) {
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof byte[] bytes) {
            // A type the slot sent in binary form: Postgres' bytea text form of its send bytes.
            return "\\x" + HEX.formatHex(bytes);
        }
        if (v instanceof List<?> list) {
            return list.toString();
        }
        return String.valueOf(v);
    }

    private static String specialText(Object v) {
        return switch ((PgSpecial) v) {
            case NAN -> "NaN";
            case POSITIVE_INFINITY -> "Infinity";
            case NEGATIVE_INFINITY -> "-Infinity";
        };
    }

    private static Object convertArray(Object v, Function<Object, Object> element) {
        List<?> list = (List<?>) v;
        List<Object> out = new ArrayList<>(list.size());
        for (Object e : list) {
            if (e instanceof List<?>) {
                throw new IllegalArgumentException("a multi-dimensional array cannot be stored in a Delta array column "
                        + "(Postgres gives all dimensions one type)");
            }
            out.add(e == null ? null : element.apply(e));
        }
        return out;
    }

    /** The Delta type name as Spark SQL prints it (for docs, errors and status). */
    public static String typeName(DataType type) {
        if (type instanceof ArrayType a) {
            return "array<" + typeName(a.getElementType()) + ">";
        }
        if (type instanceof DecimalType d) {
            return "decimal(" + d.getPrecision() + "," + d.getScale() + ")";
        }
        if (type instanceof TimestampNTZType) {
            return "timestamp_ntz";
        }
        if (type instanceof TimestampType) {
            return "timestamp";
        }
        return type.toString().toLowerCase(java.util.Locale.ROOT);
    }
}
