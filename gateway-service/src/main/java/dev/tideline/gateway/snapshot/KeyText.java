package dev.tideline.gateway.snapshot;

import dev.tideline.core.value.PgSpecial;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.UUID;

/**
 * The text a key value decoded from the stream (see {@link dev.tideline.core.change.Row}) has as
 * Postgres input, so that a row can be looked up again by the key a change gave it. Only forms
 * Postgres reads back as exactly the same value are produced; anything else — arrays, intervals,
 * dates outside years 1 to 9999 — has none ({@code null}), and the caller must find the row another way.
 */
final class KeyText {

    private KeyText() {
    }

    /** The value's Postgres input text, or {@code null} when there is no exact one here. */
    static String of(Object value) {
        if (value instanceof String s) {
            return s; // text types, and every type decoded as its own text output (enums, domains, …)
        }
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Boolean
                || value instanceof UUID || value instanceof LocalTime || value instanceof OffsetTime) {
            return value.toString();
        }
        if (value instanceof BigDecimal d) {
            return d.toPlainString();
        }
        if (value instanceof Float || value instanceof Double) {
            return value.toString(); // shortest text that parses back to the same binary value; NaN and ±Infinity as Postgres spells them
        }
        if (value instanceof PgSpecial special) {
            return switch (special) {
                case NAN -> "NaN";
                case POSITIVE_INFINITY -> "Infinity";
                case NEGATIVE_INFINITY -> "-Infinity";
            };
        }
        if (value instanceof byte[] bytes) {
            return "\\x" + HexFormat.of().formatHex(bytes);
        }
        if (value instanceof LocalDate d) {
            return inCommonEra(d.getYear()) ? d.toString() : null;
        }
        if (value instanceof LocalDateTime t) {
            return inCommonEra(t.getYear()) ? t.toString() : null;
        }
        if (value instanceof Instant i) {
            return inCommonEra(i.atOffset(ZoneOffset.UTC).getYear()) ? i.toString() : null;
        }
        return null;
    }

    /** ISO-8601 years Postgres reads without an era or a sign. */
    private static boolean inCommonEra(int year) {
        return year >= 1 && year <= 9999;
    }
}
