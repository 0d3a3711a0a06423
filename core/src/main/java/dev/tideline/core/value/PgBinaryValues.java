package dev.tideline.core.value;

import dev.tideline.core.TidelineException;
import dev.tideline.core.schema.PgType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

/**
 * Converts the binary send form of a Postgres value (pgoutput {@code 'b'} data when the
 * {@code binary} option is on, or a {@code COPY ... (FORMAT binary)} field) into the same Java
 * value {@link PgTextValues} gives for the text form of that datum; see
 * {@link dev.tideline.core.change.Row} for the table. Types without a typed mapping give a copy of
 * the raw bytes. Stateless and thread-safe; never keeps a reference to the input array.
 */
public final class PgBinaryValues {

    /** Days from 1970-01-01 to 2000-01-01, Postgres' date and timestamp epoch. */
    static final long PG_EPOCH_DAY = 10_957;
    static final long PG_EPOCH_SECOND = PG_EPOCH_DAY * 86_400;
    private static final long MICROS_PER_DAY = 86_400L * 1_000_000;

    private static final int NUMERIC_POSITIVE = 0x0000;
    private static final int NUMERIC_NEGATIVE = 0x4000;
    private static final int NUMERIC_NAN = 0xC000;
    private static final int NUMERIC_POSITIVE_INFINITY = 0xD000;
    private static final int NUMERIC_NEGATIVE_INFINITY = 0xF000;
    private static final BigInteger[] POWERS_OF_10000 = new BigInteger[5];

    static {
        for (int i = 0; i < POWERS_OF_10000.length; i++) {
            POWERS_OF_10000[i] = BigInteger.TEN.pow(4 * i);
        }
    }

    private PgBinaryValues() {
    }

    /**
     * Whether {@link #decode} turns this type's binary send form into exactly the Java value
     * {@link PgTextValues} gives for its text output form, so that a producer may carry the binary
     * form instead of a decoded value. True for the built-in types with a typed mapping and arrays of
     * them; false for {@code xml} (its send form may rewrite the XML declaration's encoding) and for
     * every other type (enums, domains, ranges, {@code money}, …), whose binary form is not its text.
     */
    public static boolean isTyped(int typeOid) {
        switch (typeOid) {
            case PgType.TEXT, PgType.VARCHAR, PgType.BPCHAR, PgType.NAME, PgType.JSON, PgType.JSONB, PgType.CHAR, PgType.INT2,
                 PgType.INT4, PgType.INT8, PgType.OID, PgType.BOOL, PgType.FLOAT4, PgType.FLOAT8, PgType.NUMERIC, PgType.BYTEA,
                 PgType.DATE, PgType.TIME, PgType.TIMETZ, PgType.TIMESTAMP, PgType.TIMESTAMPTZ, PgType.INTERVAL, PgType.UUID:
                return true;
            default:
                int element = PgTextValues.arrayElement(typeOid);
                return element > 0 && isTyped(element);
        }
    }

    /**
     * Converts one value.
     *
     * @param typeOid      the column's type OID; unknown OIDs give a copy of {@code bytes}
     * @param typeModifier the column's {@code atttypmod}, or -1; for arrays, the element's
     * @param bytes        the binary send form; {@code null} (SQL NULL) gives {@code null}
     * @throws TidelineException (FATAL) naming the type when the bytes are not a valid value of it
     */
    public static Object decode(int typeOid, int typeModifier, byte[] bytes) {
        return bytes == null ? null : decode(typeOid, typeModifier, bytes, 0, bytes.length);
    }

    /**
     * Converts the value in {@code bytes[offset, offset + length)}, so that a decoder can convert
     * straight from its receive buffer without copying each value first.
     *
     * @throws TidelineException (FATAL) naming the type when the bytes are not a valid value of it,
     *                           or when the range lies outside {@code bytes}
     */
    public static Object decode(int typeOid, int typeModifier, byte[] bytes, int offset, int length) {
        if (offset < 0 || length < 0 || offset > bytes.length - length) {
            throw new TidelineException(TidelineException.Kind.FATAL, "binary " + InvalidValue.typeName(typeOid)
                    + " value range [" + offset + ", +" + length + ") lies outside the " + bytes.length + "-byte buffer", null);
        }
        try {
            return decodeValue(typeOid, typeModifier, bytes, offset, length);
        } catch (TidelineException e) {
            throw e;
        } catch (RuntimeException e) {
            // Safety net for JDK factories that reject what the checks let through (e.g. an offset past 18h).
            throw InvalidValue.binary(typeOid, length, "a valid value (" + e.getMessage() + ")");
        }
    }

    static Object decodeValue(int oid, int typeModifier, byte[] b, int off, int len) {
        switch (oid) {
            case PgType.TEXT:
            case PgType.VARCHAR:
            case PgType.BPCHAR:
            case PgType.NAME:
            case PgType.JSON:
            case PgType.XML:
                return new String(b, off, len, StandardCharsets.UTF_8);
            case PgType.JSONB:
                if (len < 1 || b[off] != 1) {
                    throw InvalidValue.binary(oid, len, "jsonb version byte 1 followed by the JSON text");
                }
                return new String(b, off + 1, len - 1, StandardCharsets.UTF_8);
            case PgType.CHAR:
                return internalChar(b, off, len);
            case PgType.INT4:
                expect(oid, len, 4);
                return int32(b, off);
            case PgType.INT8:
                expect(oid, len, 8);
                return int64(b, off);
            case PgType.INT2:
                expect(oid, len, 2);
                return (short) int16(b, off);
            case PgType.OID:
                expect(oid, len, 4);
                return Integer.toUnsignedLong(int32(b, off));
            case PgType.BOOL:
                expect(oid, len, 1);
                return b[off] != 0;
            case PgType.FLOAT4:
                expect(oid, len, 4);
                return Float.intBitsToFloat(int32(b, off));
            case PgType.FLOAT8:
                expect(oid, len, 8);
                return Double.longBitsToDouble(int64(b, off));
            case PgType.NUMERIC:
                return numeric(b, off, len);
            case PgType.BYTEA:
                return Arrays.copyOfRange(b, off, off + len);
            case PgType.DATE:
                expect(oid, len, 4);
                return date(int32(b, off));
            case PgType.TIME:
                expect(oid, len, 8);
                return time(oid, len, int64(b, off));
            case PgType.TIMETZ:
                expect(oid, len, 12);
                LocalTime time = time(oid, len, int64(b, off));
                // timetz_send stores the zone as seconds west of UTC; Java offsets count east.
                return OffsetTime.of(time, ZoneOffset.ofTotalSeconds(-int32(b, off + 8)));
            case PgType.TIMESTAMP:
                expect(oid, len, 8);
                return timestamp(int64(b, off));
            case PgType.TIMESTAMPTZ:
                expect(oid, len, 8);
                return timestamptz(int64(b, off));
            case PgType.INTERVAL:
                expect(oid, len, 16);
                return new PgInterval(int32(b, off + 12), int32(b, off + 8), int64(b, off));
            case PgType.UUID:
                expect(oid, len, 16);
                return new UUID(int64(b, off), int64(b, off + 8));
            default:
                int element = PgTextValues.arrayElement(oid);
                return element > 0 ? array(oid, typeModifier, b, off, len) : Arrays.copyOfRange(b, off, off + len);
        }
    }

    private static void expect(int oid, int len, int size) {
        if (len != size) {
            throw InvalidValue.binary(oid, len, size + " bytes");
        }
    }

    static int int16(byte[] b, int off) {
        return (short) ((b[off] & 0xFF) << 8 | (b[off + 1] & 0xFF));
    }

    static int int32(byte[] b, int off) {
        return (b[off] & 0xFF) << 24 | (b[off + 1] & 0xFF) << 16 | (b[off + 2] & 0xFF) << 8 | (b[off + 3] & 0xFF);
    }

    static long int64(byte[] b, int off) {
        return (long) int32(b, off) << 32 | (int32(b, off + 4) & 0xFFFF_FFFFL);
    }

    /** The same string charout prints: the character, empty for NUL, or an octal escape for high bytes. */
    private static String internalChar(byte[] b, int off, int len) {
        if (len == 0) {
            return "";
        }
        expect(PgType.CHAR, len, 1);
        int c = b[off] & 0xFF;
        if (c == 0) {
            return "";
        }
        if (c < 0x80) {
            return String.valueOf((char) c);
        }
        return "\\" + (c >> 6) + ((c >> 3) & 7) + (c & 7);
    }

    private static Object numeric(byte[] b, int off, int len) {
        if (len < 8) {
            throw InvalidValue.binary(PgType.NUMERIC, len, "an 8-byte header (ndigits, weight, sign, dscale)");
        }
        int ndigits = int16(b, off);
        int weight = int16(b, off + 2);
        int sign = int16(b, off + 4) & 0xFFFF;
        int dscale = int16(b, off + 6);
        switch (sign) {
            case NUMERIC_NAN:
                return PgSpecial.NAN;
            case NUMERIC_POSITIVE_INFINITY:
                return PgSpecial.POSITIVE_INFINITY;
            case NUMERIC_NEGATIVE_INFINITY:
                return PgSpecial.NEGATIVE_INFINITY;
            case NUMERIC_POSITIVE:
            case NUMERIC_NEGATIVE:
                break;
            default:
                throw InvalidValue.binary(PgType.NUMERIC, len, "sign 0x0000, 0x4000, 0xC000, 0xD000 or 0xF000, not 0x" + Integer.toHexString(sign));
        }
        if (ndigits < 0 || len != 8 + 2 * ndigits || dscale < 0 || dscale > 0x3FFF) {
            throw InvalidValue.binary(PgType.NUMERIC, len, "8 + 2 * ndigits bytes and a display scale of 0 to 16383");
        }
        // The digits are an integer in base 10000 whose last digit has weight (weight - ndigits + 1).
        BigInteger big = null;
        long small = 0;
        int inSmall = 0;
        for (int i = 0; i < ndigits; i++) {
            int digit = int16(b, off + 8 + 2 * i);
            if (digit < 0 || digit > 9999) {
                throw InvalidValue.binary(PgType.NUMERIC, len, "base-10000 digits of 0 to 9999");
            }
            small = small * 10_000 + digit;
            if (++inSmall == 4) {
                big = big == null ? BigInteger.valueOf(small) : big.multiply(POWERS_OF_10000[4]).add(BigInteger.valueOf(small));
                small = 0;
                inSmall = 0;
            }
        }
        BigInteger unscaled;
        if (big == null) {
            unscaled = BigInteger.valueOf(small);
        } else if (inSmall > 0) {
            unscaled = big.multiply(POWERS_OF_10000[inSmall]).add(BigInteger.valueOf(small));
        } else {
            unscaled = big;
        }
        if (sign == NUMERIC_NEGATIVE) {
            unscaled = unscaled.negate();
        }
        int scale = 4 * (ndigits - 1 - weight);
        // numeric_out prints exactly dscale fractional digits, dropping any beyond (always zeros when
        // Postgres wrote them); DOWN keeps us equal to the text form even if they are not.
        return new BigDecimal(unscaled, scale).setScale(dscale, RoundingMode.DOWN);
    }

    private static Object date(int days) {
        if (days == Integer.MAX_VALUE) {
            return PgSpecial.POSITIVE_INFINITY;
        }
        if (days == Integer.MIN_VALUE) {
            return PgSpecial.NEGATIVE_INFINITY;
        }
        return LocalDate.ofEpochDay(PG_EPOCH_DAY + days);
    }

    private static LocalTime time(int oid, int len, long micros) {
        if (micros == MICROS_PER_DAY) {
            return LocalTime.MAX; // 24:00:00, as PgTextValues gives for the text form
        }
        if (micros < 0 || micros > MICROS_PER_DAY) {
            throw InvalidValue.binary(oid, len, "microseconds within a day, not " + micros);
        }
        return LocalTime.ofNanoOfDay(micros * 1000);
    }

    private static Object timestamp(long micros) {
        if (micros == Long.MAX_VALUE) {
            return PgSpecial.POSITIVE_INFINITY;
        }
        if (micros == Long.MIN_VALUE) {
            return PgSpecial.NEGATIVE_INFINITY;
        }
        return LocalDateTime.ofEpochSecond(PG_EPOCH_SECOND + Math.floorDiv(micros, 1_000_000L),
                (int) Math.floorMod(micros, 1_000_000L) * 1000, ZoneOffset.UTC);
    }

    private static Object timestamptz(long micros) {
        if (micros == Long.MAX_VALUE) {
            return PgSpecial.POSITIVE_INFINITY;
        }
        if (micros == Long.MIN_VALUE) {
            return PgSpecial.NEGATIVE_INFINITY;
        }
        return instant(micros);
    }

    private static Instant instant(long microsSince2000) {
        return Instant.ofEpochSecond(PG_EPOCH_SECOND + Math.floorDiv(microsSince2000, 1_000_000L),
                Math.floorMod(microsSince2000, 1_000_000L) * 1000);
    }

    /**
     * {@code ndim, flags, elemtype, (size, lbound) × ndim, (length | -1, bytes) × n}; bounds are
     * dropped, as in the text form.
     */
    private static List<Object> array(int oid, int typeModifier, byte[] b, int off, int len) {
        int end = off + len;
        if (len < 12) {
            throw InvalidValue.binary(oid, len, "a 12-byte array header (ndim, flags, element type)");
        }
        int ndim = int32(b, off);
        int flags = int32(b, off + 4);
        int elementOid = int32(b, off + 8);
        if (ndim < 0 || ndim > PgArrayText.MAX_DIMENSIONS || (flags & ~1) != 0) {
            throw InvalidValue.binary(oid, len, "0 to 6 dimensions and flags 0 or 1, not " + ndim + " and " + flags);
        }
        if (ndim == 0) {
            if (len != 12) {
                throw InvalidValue.binary(oid, len, "nothing after the header of an empty array");
            }
            return Collections.emptyList();
        }
        int pos = off + 12;
        if (end - pos < 8 * ndim) {
            throw InvalidValue.binary(oid, len, ndim + " (size, lower bound) pairs");
        }
        int[] sizes = new int[ndim];
        long total = 1;
        for (int d = 0; d < ndim; d++) {
            sizes[d] = int32(b, pos);
            pos += 8;
            total *= Math.max(sizes[d], 0);
            // Each element takes at least its 4-byte length; this also bounds what we allocate.
            if (sizes[d] < 0 || total > (end - pos) / 4 + 1) {
                throw InvalidValue.binary(oid, len, "dimension sizes that fit the " + len + " bytes");
            }
        }
        Object[] flat = new Object[(int) total];
        for (int i = 0; i < flat.length; i++) {
            if (end - pos < 4) {
                throw InvalidValue.binary(oid, len, "a 4-byte length for element " + i + " of " + total);
            }
            int elementLength = int32(b, pos);
            pos += 4;
            if (elementLength == -1) {
                continue;
            }
            if (elementLength < 0 || elementLength > end - pos) {
                throw InvalidValue.binary(oid, len, "element " + i + " of " + elementLength + " bytes within the value");
            }
            flat[i] = decodeValue(elementOid, typeModifier, b, pos, elementLength);
            pos += elementLength;
        }
        if (pos != end) {
            throw InvalidValue.binary(oid, len, "no bytes after the last element, found " + (end - pos));
        }
        return nest(flat, sizes, 0, 0);
    }

    private static List<Object> nest(Object[] flat, int[] sizes, int dimension, int start) {
        int size = sizes[dimension];
        if (dimension == sizes.length - 1) {
            return Collections.unmodifiableList(Arrays.asList(Arrays.copyOfRange(flat, start, start + size)));
        }
        int stride = 1;
        for (int d = dimension + 1; d < sizes.length; d++) {
            stride *= sizes[d];
        }
        List<Object> values = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            values.add(nest(flat, sizes, dimension + 1, start + i * stride));
        }
        return Collections.unmodifiableList(values);
    }
}
