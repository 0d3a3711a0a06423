package dev.tideline.core.value;

import dev.tideline.core.TidelineException;
import dev.tideline.core.schema.PgType;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Converts the text output form of a Postgres value (what pgoutput sends as {@code 't'} data, what
 * {@code COPY ... TO} and JDBC {@code getString} return) into the Java value listed in
 * {@link dev.tideline.core.change.Row}'s type table. {@link PgBinaryValues} gives the same value for
 * the binary form of the same datum, so snapshot and streamed rows compare equal.
 *
 * <p>Assumes Postgres' default output settings: {@code DateStyle} ISO, {@code IntervalStyle}
 * postgres, UTF-8. Time zone offsets are taken from the text, whatever they are. Stateless and
 * thread-safe.
 */
public final class PgTextValues {

    private PgTextValues() {
    }

    /**
     * Converts one value.
     *
     * @param typeOid      the column's type OID ({@code pg_attribute.atttypid}); unknown OIDs give the text itself
     * @param typeModifier the column's {@code atttypmod}, or -1; for arrays, the element's
     * @param text         the text output form; {@code null} (SQL NULL) gives {@code null}
     * @return the typed value, see {@link dev.tideline.core.change.Row}
     * @throws TidelineException (FATAL) naming the type and a short excerpt when the text is not a
     *                           valid value of that type
     */
    public static Object decode(int typeOid, int typeModifier, String text) {
        if (text == null) {
            return null;
        }
        try {
            return decodeValue(typeOid, typeModifier, text);
        } catch (TidelineException e) {
            throw e;
        } catch (RuntimeException e) {
            // A safety net: parsers check their input, but a JDK factory (LocalDate.of, exact math)
            // may still reject a value they let through; the caller must only ever see our type.
            throw InvalidValue.text(typeOid, text, "a valid value (" + e.getMessage() + ")");
        }
    }

    static Object decodeValue(int typeOid, int typeModifier, String text) {
        switch (typeOid) {
            case PgType.TEXT:
            case PgType.VARCHAR:
            case PgType.BPCHAR:
            case PgType.NAME:
            case PgType.CHAR:
            case PgType.JSON:
            case PgType.JSONB:
            case PgType.XML:
                return text;
            case PgType.INT4:
                return (int) parseInteger(typeOid, text, Integer.MIN_VALUE, Integer.MAX_VALUE);
            case PgType.INT8:
                return parseInteger(typeOid, text, Long.MIN_VALUE, Long.MAX_VALUE);
            case PgType.INT2:
                return (short) parseInteger(typeOid, text, Short.MIN_VALUE, Short.MAX_VALUE);
            case PgType.OID:
                return parseInteger(typeOid, text, 0, 0xFFFF_FFFFL);
            case PgType.BOOL:
                return parseBool(text);
            case PgType.NUMERIC:
                return parseNumeric(text);
            case PgType.FLOAT4:
                return parseFloat4(text);
            case PgType.FLOAT8:
                return parseFloat8(text);
            case PgType.BYTEA:
                return parseBytea(text);
            case PgType.DATE:
                return PgDateTimeText.date(text);
            case PgType.TIME:
                return PgDateTimeText.time(text);
            case PgType.TIMETZ:
                return PgDateTimeText.timetz(text);
            case PgType.TIMESTAMP:
                return PgDateTimeText.timestamp(text);
            case PgType.TIMESTAMPTZ:
                return PgDateTimeText.timestamptz(text);
            case PgType.INTERVAL:
                return PgDateTimeText.interval(text);
            case PgType.UUID:
                return parseUuid(text);
            default:
                int element = arrayElement(typeOid);
                return element > 0 ? PgArrayText.parse(typeOid, element, typeModifier, text) : text;
        }
    }

    /** Decimal digits with an optional sign, nothing else (that is what int2/int4/int8/oid output). */
    static long parseInteger(int typeOid, String text, long min, long max) {
        int length = text.length();
        int i = 0;
        boolean negative = false;
        if (length > 0 && (text.charAt(0) == '-' || text.charAt(0) == '+')) {
            negative = text.charAt(0) == '-';
            i = 1;
        }
        if (i == length || length - i > 19) {
            throw InvalidValue.text(typeOid, text, "an integer of 1 to 19 decimal digits");
        }
        // Accumulate negatively so that Long.MIN_VALUE parses without overflow.
        long value = 0;
        for (; i < length; i++) {
            int digit = text.charAt(i) - '0';
            if (digit < 0 || digit > 9) {
                throw InvalidValue.text(typeOid, text, "decimal digits only");
            }
            if (value < (Long.MIN_VALUE + digit) / 10) {
                throw InvalidValue.text(typeOid, text, "an integer in range");
            }
            value = value * 10 - digit;
        }
        if (!negative) {
            if (value == Long.MIN_VALUE) {
                throw InvalidValue.text(typeOid, text, "an integer in range");
            }
            value = -value;
        }
        if (value < min || value > max) {
            throw InvalidValue.text(typeOid, text, "an integer between " + min + " and " + max);
        }
        return value;
    }

    private static Boolean parseBool(String text) {
        if (text.length() == 1) {
            switch (text.charAt(0)) {
                case 't': case 'T': case 'y': case 'Y': case '1':
                    return Boolean.TRUE;
                case 'f': case 'F': case 'n': case 'N': case '0':
                    return Boolean.FALSE;
                default:
                    break;
            }
        }
        // Postgres' boolean input words; COPY and pgoutput print 't'/'f', but a JDBC layer may not.
        switch (text.toLowerCase(java.util.Locale.ROOT)) {
            case "true": case "yes": case "on":
                return Boolean.TRUE;
            case "false": case "no": case "off":
                return Boolean.FALSE;
            default:
                throw InvalidValue.text(PgType.BOOL, text, "'t' or 'f'");
        }
    }

    private static Object parseNumeric(String text) {
        switch (text) {
            case "NaN":
                return PgSpecial.NAN;
            case "Infinity":
                return PgSpecial.POSITIVE_INFINITY;
            case "-Infinity":
                return PgSpecial.NEGATIVE_INFINITY;
            default:
                break;
        }
        int length = text.length();
        int start = length > 0 && (text.charAt(0) == '-' || text.charAt(0) == '+') ? 1 : 0;
        boolean digits = false;
        for (int i = start; i < length; i++) {
            char c = text.charAt(i);
            if (c >= '0' && c <= '9') {
                digits = true;
            } else if (c != '.' && c != 'e' && c != 'E' && c != '-' && c != '+') {
                digits = false;
                break;
            }
        }
        if (!digits) {
            throw InvalidValue.text(PgType.NUMERIC, text, "a decimal number, NaN, Infinity or -Infinity");
        }
        try {
            return new BigDecimal(text);
        } catch (NumberFormatException e) {
            throw InvalidValue.text(PgType.NUMERIC, text, "a decimal number, NaN, Infinity or -Infinity");
        }
    }

    private static Float parseFloat4(String text) {
        if (!looksLikeFloat(text)) {
            throw InvalidValue.text(PgType.FLOAT4, text, "a floating-point number, NaN, Infinity or -Infinity");
        }
        try {
            return Float.parseFloat(text);
        } catch (NumberFormatException e) {
            throw InvalidValue.text(PgType.FLOAT4, text, "a floating-point number, NaN, Infinity or -Infinity");
        }
    }

    private static Double parseFloat8(String text) {
        if (!looksLikeFloat(text)) {
            throw InvalidValue.text(PgType.FLOAT8, text, "a floating-point number, NaN, Infinity or -Infinity");
        }
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw InvalidValue.text(PgType.FLOAT8, text, "a floating-point number, NaN, Infinity or -Infinity");
        }
    }

    /**
     * Screens out what Java's parser would accept but Postgres never prints (hex floats, 'd'/'f'
     * suffixes, surrounding blanks), and keeps the common error path free of exceptions.
     */
    private static boolean looksLikeFloat(String text) {
        switch (text) {
            case "NaN": case "Infinity": case "-Infinity":
                return true;
            default:
                break;
        }
        int length = text.length();
        if (length == 0) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+')) {
                return false;
            }
        }
        char last = text.charAt(length - 1);
        return last >= '0' && last <= '9' || last == '.';
    }

    /** Both bytea output formats: hex ({@code \x0a0b}, the default) and the legacy escape format. */
    private static byte[] parseBytea(String text) {
        int length = text.length();
        if (length >= 2 && text.charAt(0) == '\\' && text.charAt(1) == 'x') {
            byte[] out = new byte[(length - 2) / 2];
            int n = 0;
            for (int i = 2; i < length; ) {
                char c = text.charAt(i);
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                    i++;
                    continue;
                }
                int high = hexDigit(c);
                int low = i + 1 < length ? hexDigit(text.charAt(i + 1)) : -1;
                if (high < 0 || low < 0) {
                    throw InvalidValue.text(PgType.BYTEA, text, "pairs of hex digits after \\x");
                }
                out[n++] = (byte) (high << 4 | low);
                i += 2;
            }
            return n == out.length ? out : java.util.Arrays.copyOf(out, n);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(length);
        for (int i = 0; i < length; ) {
            char c = text.charAt(i);
            if (c != '\\') {
                if (c < 0x80) {
                    out.write(c);
                    i++;
                } else {
                    int end = Character.isHighSurrogate(c) && i + 1 < length ? i + 2 : i + 1;
                    out.writeBytes(text.substring(i, end).getBytes(StandardCharsets.UTF_8));
                    i = end;
                }
            } else if (i + 1 < length && text.charAt(i + 1) == '\\') {
                out.write('\\');
                i += 2;
            } else if (i + 3 < length && isOctal(text.charAt(i + 1), '3') && isOctal(text.charAt(i + 2), '7')
                    && isOctal(text.charAt(i + 3), '7')) {
                out.write((text.charAt(i + 1) - '0') << 6 | (text.charAt(i + 2) - '0') << 3 | (text.charAt(i + 3) - '0'));
                i += 4;
            } else {
                throw InvalidValue.text(PgType.BYTEA, text, "\\\\ or a three-digit octal escape after a backslash");
            }
        }
        return out.toByteArray();
    }

    static int hexDigit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    /**
     * The element type of the built-in array types Tideline types, or -1. A switch rather than
     * {@link PgType#elementOf} because this runs for every value of a non-built-in type.
     */
    static int arrayElement(int oid) {
        switch (oid) {
            case PgType.BOOL_ARRAY: return PgType.BOOL;
            case PgType.BYTEA_ARRAY: return PgType.BYTEA;
            case PgType.CHAR_ARRAY: return PgType.CHAR;
            case PgType.NAME_ARRAY: return PgType.NAME;
            case PgType.INT2_ARRAY: return PgType.INT2;
            case PgType.INT4_ARRAY: return PgType.INT4;
            case PgType.TEXT_ARRAY: return PgType.TEXT;
            case PgType.BPCHAR_ARRAY: return PgType.BPCHAR;
            case PgType.VARCHAR_ARRAY: return PgType.VARCHAR;
            case PgType.INT8_ARRAY: return PgType.INT8;
            case PgType.FLOAT4_ARRAY: return PgType.FLOAT4;
            case PgType.FLOAT8_ARRAY: return PgType.FLOAT8;
            case PgType.OID_ARRAY: return PgType.OID;
            case PgType.TIMESTAMP_ARRAY: return PgType.TIMESTAMP;
            case PgType.DATE_ARRAY: return PgType.DATE;
            case PgType.TIME_ARRAY: return PgType.TIME;
            case PgType.TIMESTAMPTZ_ARRAY: return PgType.TIMESTAMPTZ;
            case PgType.INTERVAL_ARRAY: return PgType.INTERVAL;
            case PgType.NUMERIC_ARRAY: return PgType.NUMERIC;
            case PgType.TIMETZ_ARRAY: return PgType.TIMETZ;
            case PgType.UUID_ARRAY: return PgType.UUID;
            case PgType.JSON_ARRAY: return PgType.JSON;
            case PgType.JSONB_ARRAY: return PgType.JSONB;
            default: return -1;
        }
    }

    private static boolean isOctal(char c, char max) {
        return c >= '0' && c <= max;
    }

    /** The canonical 8-4-4-4-12 form Postgres prints; hyphens are optional, as on Postgres input. */
    private static UUID parseUuid(String text) {
        int length = text.length();
        int start = 0;
        int end = length;
        if (length > 2 && text.charAt(0) == '{' && text.charAt(length - 1) == '}') {
            start = 1;
            end = length - 1;
        }
        long high = 0;
        long low = 0;
        int digits = 0;
        for (int i = start; i < end; i++) {
            char c = text.charAt(i);
            if (c == '-' && digits > 0 && digits % 4 == 0 && i + 1 < end && text.charAt(i + 1) != '-') {
                continue;
            }
            int d = hexDigit(c);
            if (d < 0 || digits == 32) {
                throw InvalidValue.text(PgType.UUID, text, "32 hex digits, e.g. a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
            }
            if (digits < 16) {
                high = high << 4 | d;
            } else {
                low = low << 4 | d;
            }
            digits++;
        }
        if (digits != 32) {
            throw InvalidValue.text(PgType.UUID, text, "32 hex digits, e.g. a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
        }
        return new UUID(high, low);
    }
}
