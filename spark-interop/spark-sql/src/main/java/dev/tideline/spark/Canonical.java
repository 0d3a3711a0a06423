package dev.tideline.spark;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;

/**
 * The canonical text of a value in the generated fixtures' expected rows. sync-service's {@code GeneratedSparkTablesIT}
 * turns Postgres values into the same text, so the comparison is about values, not about how either side prints them:
 * integers in decimal, decimals without trailing zeros ({@code BigDecimal.stripTrailingZeros().toPlainString()}),
 * doubles as {@link Double#toString} ({@code NaN}, {@code Infinity}, {@code -0.0}), booleans {@code true}/{@code false},
 * dates {@code yyyy-MM-dd}, timestamps {@code yyyy-MM-dd HH:mm:ss.SSSSSS} in UTC (TIMESTAMP) or as written
 * (TIMESTAMP_NTZ), binary as lower-case hex, strings as they are, NULL as JSON null.
 */
final class Canonical {

    static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSSSSS");

    private Canonical() {
    }

    static String of(Object v) {
        if (v == null) {
            return null;
        } else if (v instanceof BigDecimal d) {
            return d.signum() == 0 ? "0" : d.stripTrailingZeros().toPlainString();
        } else if (v instanceof Double d) {
            return Double.toString(d);
        } else if (v instanceof Float f) {
            return Float.toString(f);
        } else if (v instanceof Instant t) {
            return TIMESTAMP.format(t.atOffset(ZoneOffset.UTC));
        } else if (v instanceof LocalDateTime t) {
            return TIMESTAMP.format(t);
        } else if (v instanceof LocalDate d) {
            return d.toString();
        } else if (v instanceof byte[] b) {
            return HexFormat.of().formatHex(b);
        } else if (v instanceof Number || v instanceof Boolean || v instanceof String) {
            return v.toString();
        }
        throw new IllegalArgumentException("no canonical form for " + v.getClass() + ": " + v);
    }
}
