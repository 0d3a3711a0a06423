package dev.tideline.core.value;

import static dev.tideline.core.schema.PgType.*;
import static dev.tideline.core.value.PgTextValuesTest.assertSameValue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tideline.core.TidelineException;
import dev.tideline.core.pgoutput.PgBytes;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each case is one datum in both forms: binary must decode to exactly what the text form gives. */
class PgBinaryValuesTest {

    static final LocalDateTime PG_EPOCH = LocalDateTime.of(2000, 1, 1, 0, 0);

    static Arguments same(int oid, String text, PgBytes binary) {
        return Arguments.of(oid, text, binary.bytes());
    }

    static PgBytes b() {
        return PgBytes.empty();
    }

    static PgBytes utf8(String s) {
        return b().raw(s.getBytes(StandardCharsets.UTF_8));
    }

    static long micros(LocalDateTime t) {
        return ChronoUnit.MICROS.between(PG_EPOCH, t);
    }

    static int days(LocalDate d) {
        return (int) ChronoUnit.DAYS.between(PG_EPOCH.toLocalDate(), d);
    }

    /** numeric_send of a decimal literal: base-10000 digit groups around the decimal point, zero groups trimmed. */
    static PgBytes numeric(String text) {
        switch (text) {
            case "NaN": return b().i16(0).i16(0).i16(0xC000).i16(0);
            case "Infinity": return b().i16(0).i16(0).i16(0xD000).i16(0);
            case "-Infinity": return b().i16(0).i16(0).i16(0xF000).i16(0);
            default: break;
        }
        boolean negative = text.startsWith("-");
        String digits = negative ? text.substring(1) : text;
        int dot = digits.indexOf('.');
        String whole = dot < 0 ? digits : digits.substring(0, dot);
        String fraction = dot < 0 ? "" : digits.substring(dot + 1);
        int dscale = fraction.length();
        whole = "0".repeat((4 - whole.length() % 4) % 4) + whole;
        fraction = fraction + "0".repeat((4 - fraction.length() % 4) % 4);
        List<Integer> groups = new ArrayList<>();
        String all = whole + fraction;
        for (int i = 0; i < all.length(); i += 4) {
            groups.add(Integer.parseInt(all.substring(i, i + 4)));
        }
        int weight = whole.length() / 4 - 1;
        while (!groups.isEmpty() && groups.get(0) == 0) {
            groups.remove(0);
            weight--;
        }
        while (!groups.isEmpty() && groups.get(groups.size() - 1) == 0) {
            groups.remove(groups.size() - 1);
        }
        if (groups.isEmpty()) {
            weight = 0;
        }
        PgBytes out = b().i16(groups.size()).i16(weight).i16(negative ? 0x4000 : 0).i16(dscale);
        groups.forEach(out::i16);
        return out;
    }

    /** array_send: ndim, has-null flag, element type, (size, lower bound) per dimension, then the elements. */
    static PgBytes array(int elementOid, int[] sizes, int lowerBound, byte[]... elements) {
        boolean hasNull = false;
        for (byte[] e : elements) {
            hasNull |= e == null;
        }
        PgBytes out = b().i32(sizes.length).i32(hasNull ? 1 : 0).i32(elementOid);
        for (int size : sizes) {
            out.i32(size).i32(lowerBound);
        }
        for (byte[] e : elements) {
            if (e == null) {
                out.i32(-1);
            } else {
                out.counted(e);
            }
        }
        return out;
    }

    static byte[] i32(int v) {
        return b().i32(v).bytes();
    }

    static Stream<Arguments> data() {
        LocalDateTime ts = LocalDateTime.of(2024, 1, 2, 3, 4, 5, 123_456_000);
        LocalDateTime bc = LocalDateTime.of(-43, 3, 15, 12, 0);
        long timeMicros = (12 * 3600 + 34 * 60 + 56) * 1_000_000L + 789_000;
        return Stream.of(
                same(BOOL, "t", b().i8(1)), same(BOOL, "f", b().i8(0)),
                same(INT2, "-2", b().i16(-2)), same(INT4, "-2147483648", b().i32(Integer.MIN_VALUE)),
                same(INT8, "9223372036854775807", b().i64(Long.MAX_VALUE)), same(OID, "4294967295", b().i32(-1)),
                same(FLOAT4, "1.5", b().i32(Float.floatToIntBits(1.5f))), same(FLOAT4, "NaN", b().i32(Float.floatToIntBits(Float.NaN))),
                same(FLOAT8, "-Infinity", b().i64(Double.doubleToLongBits(Double.NEGATIVE_INFINITY))),
                same(FLOAT8, "1e-05", b().i64(Double.doubleToLongBits(1e-5))),
                same(NUMERIC, "123.4500", numeric("123.4500")), same(NUMERIC, "-0.000012", numeric("-0.000012")),
                same(NUMERIC, "0", numeric("0")), same(NUMERIC, "0.00", numeric("0.00")), same(NUMERIC, "1000000", numeric("1000000")),
                same(NUMERIC, "-98765432109876543210.0123456789", numeric("-98765432109876543210.0123456789")),
                same(NUMERIC, "123456789012345678901234567890.123456789012345678901234567890",
                        numeric("123456789012345678901234567890.123456789012345678901234567890")),
                same(NUMERIC, "NaN", numeric("NaN")), same(NUMERIC, "Infinity", numeric("Infinity")), same(NUMERIC, "-Infinity", numeric("-Infinity")),
                same(TEXT, "héllo ☃", utf8("héllo ☃")), same(VARCHAR, "", b()), same(BPCHAR, "ab  ", utf8("ab  ")), same(NAME, "n", utf8("n")),
                same(CHAR, "x", b().i8('x')), same(CHAR, "\\351", b().i8(0xE9)), same(CHAR, "", b().i8(0)),
                same(JSON, "{\"a\": 1}", utf8("{\"a\": 1}")), same(JSONB, "{\"a\": 1}", b().i8(1).raw(utf8("{\"a\": 1}").bytes())),
                same(XML, "<a/>", utf8("<a/>")), same(BYTEA, "\\x00ff", b().i8(0).i8(0xFF)), same(BYTEA, "\\x", b()),
                same(DATE, "2000-01-01", b().i32(0)), same(DATE, "1999-12-31", b().i32(-1)),
                same(DATE, "0044-03-15 BC", b().i32(days(LocalDate.of(-43, 3, 15)))),
                same(DATE, "infinity", b().i32(Integer.MAX_VALUE)), same(DATE, "-infinity", b().i32(Integer.MIN_VALUE)),
                same(TIME, "12:34:56.789", b().i64(timeMicros)), same(TIME, "24:00:00", b().i64(86_400_000_000L)),
                same(TIMETZ, "12:34:56.789+05:30", b().i64(timeMicros).i32(-19_800)),
                same(TIMETZ, "12:34:56.789-03:00:15", b().i64(timeMicros).i32(10_815)),
                same(TIMESTAMP, "2024-01-02 03:04:05.123456", b().i64(micros(ts))),
                same(TIMESTAMP, "0044-03-15 12:00:00 BC", b().i64(micros(bc))), same(TIMESTAMP, "1999-12-31 23:59:59.999999", b().i64(-1)),
                same(TIMESTAMP, "infinity", b().i64(Long.MAX_VALUE)), same(TIMESTAMP, "-infinity", b().i64(Long.MIN_VALUE)),
                same(TIMESTAMPTZ, "2024-01-02 08:34:05.123456+05:30", b().i64(micros(ts))),
                same(TIMESTAMPTZ, "0044-03-15 12:00:00+00 BC", b().i64(micros(bc))),
                same(TIMESTAMPTZ, "infinity", b().i64(Long.MAX_VALUE)),
                same(INTERVAL, "1 year 2 mons 3 days 04:05:06.789", b().i64(14_706_789_000L).i32(3).i32(14)),
                same(INTERVAL, "-1 days +02:03:00", b().i64(7_380_000_000L).i32(-1).i32(0)),
                same(INTERVAL, "infinity", b().i64(Long.MAX_VALUE).i32(Integer.MAX_VALUE).i32(Integer.MAX_VALUE)),
                same(UUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", b().i64(0xa0eebc999c0b4ef8L).i64(0xbb6d6bb9bd380a11L)),
                same(INT4_ARRAY, "{1,NULL,3}", array(INT4, new int[] {3}, 1, i32(1), null, i32(3))),
                same(INT4_ARRAY, "{{1,2},{3,4}}", array(INT4, new int[] {2, 2}, 1, i32(1), i32(2), i32(3), i32(4))),
                same(INT4_ARRAY, "[0:2]={{1},{2},{3}}", array(INT4, new int[] {3, 1}, 0, i32(1), i32(2), i32(3))),
                same(INT4_ARRAY, "{}", b().i32(0).i32(0).i32(INT4)),
                same(TEXT_ARRAY, "{\"a b\",\"c\\\"d\",NULL,\"NULL\"}",
                        array(TEXT, new int[] {4}, 1, utf8("a b").bytes(), utf8("c\"d").bytes(), null, utf8("NULL").bytes())),
                same(NUMERIC_ARRAY, "{1.50,NaN}", array(NUMERIC, new int[] {2}, 1, numeric("1.50").bytes(), numeric("NaN").bytes())),
                same(DATE_ARRAY, "{2000-01-01,-infinity}", array(DATE, new int[] {2}, 1, i32(0), i32(Integer.MIN_VALUE))),
                same(BYTEA_ARRAY, "{\"\\\\x00ff\",NULL}", array(BYTEA, new int[] {2}, 1, new byte[] {0, -1}, null)),
                same(JSONB_ARRAY, "{\"[1]\"}", array(JSONB, new int[] {1}, 1, b().i8(1).raw(utf8("[1]").bytes()).bytes())),
                same(TIMESTAMPTZ_ARRAY, "{\"2024-01-02 03:04:05.123456+00\",infinity}",
                        array(TIMESTAMPTZ, new int[] {2}, 1, b().i64(micros(ts)).bytes(), b().i64(Long.MAX_VALUE).bytes())));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("data")
    void binaryGivesTheSameValueAsText(int oid, String text, byte[] binary) {
        assertSameValue(PgTextValues.decode(oid, -1, text), PgBinaryValues.decode(oid, -1, binary));
    }

    @Test
    void unknownTypesGiveACopyOfTheBytes() {
        byte[] raw = {1, 2, 3};
        Object value = PgBinaryValues.decode(99999, -1, raw);
        assertArrayEquals(raw, (byte[]) value);
        assertNotSame(raw, value);
        assertNull(PgBinaryValues.decode(INT4, -1, null));
    }

    @Test
    void decodesARangeOfALargerBuffer() {
        byte[] buffer = {9, 9, 0, 0, 0, 7, 9};
        assertEquals(7, PgBinaryValues.decode(INT4, -1, buffer, 2, 4));
        assertThrows(TidelineException.class, () -> PgBinaryValues.decode(INT4, -1, buffer, 5, 4));
        assertEquals(new BigDecimal("1.50"), PgBinaryValues.decode(NUMERIC, -1, numeric("1.50").bytes()));
        assertEquals(LocalTime.MAX, PgBinaryValues.decode(TIME, -1, b().i64(86_400_000_000L).bytes()));
        assertEquals(Instant.parse("2000-01-01T00:00:00Z"), PgBinaryValues.decode(TIMESTAMPTZ, -1, b().i64(0).bytes()));
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of(INT4, b().i16(1), "int4 binary value (2 bytes): expected 4 bytes"),
                Arguments.of(BOOL, b(), "bool"), Arguments.of(UUID, b().i64(1), "uuid"), Arguments.of(INTERVAL, b().i64(1).i32(1), "interval"),
                Arguments.of(NUMERIC, b().i16(0).i16(0).i16(0x1234).i16(0), "numeric binary value (8 bytes): expected sign"),
                Arguments.of(NUMERIC, b().i16(1).i16(0).i16(0).i16(0).i16(10000), "numeric"),
                Arguments.of(NUMERIC, b().i16(2).i16(0).i16(0).i16(0).i16(1), "numeric"),
                Arguments.of(NUMERIC, b().i16(0).i16(0).i16(0).i16(-1), "numeric"), Arguments.of(NUMERIC, b().i16(0), "numeric"),
                Arguments.of(JSONB, b().i8(2).i8('1'), "jsonb"), Arguments.of(JSONB, b(), "jsonb"),
                Arguments.of(TIMETZ, b().i64(0).i32(20 * 3600), "timetz"), Arguments.of(TIME, b().i64(-1), "time"),
                Arguments.of(TIME, b().i64(86_400_000_001L), "time"), Arguments.of(CHAR, b().i8(1).i8(2), "\"char\""),
                Arguments.of(INT4_ARRAY, b().i32(1).i32(0), "int4[]"),
                Arguments.of(INT4_ARRAY, b().i32(7).i32(0).i32(INT4), "int4[]"),
                Arguments.of(INT4_ARRAY, b().i32(1).i32(2).i32(INT4).i32(1).i32(1), "int4[]"),
                Arguments.of(INT4_ARRAY, b().i32(2).i32(0).i32(INT4).i32(1 << 20).i32(1).i32(1 << 20).i32(1), "int4[]"),
                Arguments.of(INT4_ARRAY, b().i32(1).i32(0).i32(INT4).i32(-1).i32(1), "int4[]"),
                Arguments.of(INT4_ARRAY, array(INT4, new int[] {2}, 1, i32(1)), "int4[]"),
                Arguments.of(INT4_ARRAY, array(INT4, new int[] {1}, 1, i32(1)).i8(0), "int4[]"),
                Arguments.of(INT4_ARRAY, b().i32(1).i32(0).i32(INT4).i32(1).i32(1).i32(-7), "int4[]"),
                Arguments.of(INT4_ARRAY, b().i32(0).i32(0).i32(INT4).i32(0), "int4[]"),
                Arguments.of(INT4_ARRAY, array(INT4, new int[] {1}, 1, new byte[] {1}), "int4 binary value (1 bytes)"));
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("invalid")
    void rejectsInvalidBytesNamingTheType(int oid, PgBytes bytes, String expectedInMessage) {
        TidelineException e = assertThrows(TidelineException.class, () -> PgBinaryValues.decode(oid, -1, bytes.bytes()));
        assertTrue(e.getMessage().contains("invalid " + expectedInMessage), e.getMessage());
    }

    @Test
    void randomBytesOnlyEverThrowTidelineException() {
        int[] types = {BOOL, INT2, INT4, INT8, OID, FLOAT4, FLOAT8, NUMERIC, TEXT, CHAR, JSONB, BYTEA, DATE, TIME, TIMETZ, TIMESTAMP,
                TIMESTAMPTZ, INTERVAL, UUID, INT4_ARRAY, TEXT_ARRAY, NUMERIC_ARRAY, TIMETZ_ARRAY, 99999};
        Random random = new Random(7);
        for (int i = 0; i < 20_000; i++) {
            int oid = types[random.nextInt(types.length)];
            byte[] bytes = new byte[random.nextInt(40)];
            random.nextBytes(bytes);
            if (oid == INT4_ARRAY || oid == TEXT_ARRAY || oid == NUMERIC_ARRAY || oid == TIMETZ_ARRAY) {
                // Mostly-plausible headers reach the element loop instead of failing on the first int.
                if (bytes.length >= 20) {
                    System.arraycopy(b().i32(1).i32(random.nextInt(2)).i32(PgTextValues.arrayElement(oid)).i32(random.nextInt(4)).bytes(), 0, bytes, 0, 16);
                }
            }
            try {
                PgBinaryValues.decode(oid, -1, bytes);
            } catch (TidelineException expected) {
                // fine
            } catch (RuntimeException e) {
                fail("type " + oid + " threw " + e + " for " + java.util.HexFormat.of().formatHex(bytes), e);
            }
        }
    }

    @Test
    void randomTextOnlyEverThrowsTidelineException() {
        int[] types = {BOOL, INT2, INT4, INT8, OID, FLOAT4, FLOAT8, NUMERIC, BYTEA, DATE, TIME, TIMETZ, TIMESTAMP, TIMESTAMPTZ,
                INTERVAL, UUID, INT4_ARRAY, TEXT_ARRAY, DATE_ARRAY, INTERVAL_ARRAY};
        String alphabet = "0123456789-+:. {}[]=,\"\\NULafinityBCxe\t";
        Random random = new Random(11);
        for (int i = 0; i < 20_000; i++) {
            int oid = types[random.nextInt(types.length)];
            StringBuilder text = new StringBuilder();
            for (int n = random.nextInt(30); n > 0; n--) {
                text.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            try {
                PgTextValues.decode(oid, -1, text.toString());
            } catch (TidelineException expected) {
                // fine
            } catch (RuntimeException e) {
                fail("type " + oid + " threw " + e + " for '" + text + "'", e);
            }
        }
    }
}
