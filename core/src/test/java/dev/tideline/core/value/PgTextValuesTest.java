package dev.tideline.core.value;

import static dev.tideline.core.schema.PgType.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.TidelineException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PgTextValuesTest {

    static final long MAX_INTERVAL_MICROS = Long.MAX_VALUE;
    static final String UUID_TEXT = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";

    static Arguments v(int oid, String text, Object expected) {
        return Arguments.of(oid, -1, text, expected);
    }

    static List<Object> list(Object... values) {
        return Arrays.asList(values);
    }

    static Stream<Arguments> values() {
        return Stream.of(
                v(BOOL, "t", true), v(BOOL, "f", false), v(BOOL, "true", true), v(BOOL, "OFF", false),
                v(INT2, "-32768", (short) -32768), v(INT2, "32767", (short) 32767), v(INT4, "-2147483648", Integer.MIN_VALUE),
                v(INT4, "0", 0), v(INT8, "-9223372036854775808", Long.MIN_VALUE), v(INT8, "9223372036854775807", Long.MAX_VALUE),
                v(OID, "4294967295", 4294967295L),
                v(NUMERIC, "NaN", PgSpecial.NAN), v(NUMERIC, "Infinity", PgSpecial.POSITIVE_INFINITY),
                v(NUMERIC, "-Infinity", PgSpecial.NEGATIVE_INFINITY), v(NUMERIC, "123.4500", new BigDecimal("123.4500")),
                v(NUMERIC, "-0.000012", new BigDecimal("-0.000012")), v(NUMERIC, "0", BigDecimal.ZERO),
                Arguments.of(NUMERIC, (10 << 16 | 2) + 4, "9.50", new BigDecimal("9.50")),
                v(NUMERIC, "123456789012345678901234567890.123456789012345678901234567890",
                        new BigDecimal("123456789012345678901234567890.123456789012345678901234567890")),
                v(FLOAT4, "NaN", Float.NaN), v(FLOAT4, "Infinity", Float.POSITIVE_INFINITY), v(FLOAT4, "-Infinity", Float.NEGATIVE_INFINITY),
                v(FLOAT4, "1.5e+20", 1.5e20f), v(FLOAT4, "-1e-05", -1e-5f), v(FLOAT8, "3.141592653589793", Math.PI),
                v(FLOAT8, "1e+308", 1e308), v(FLOAT8, "-0", -0.0), v(FLOAT8, "-Infinity", Double.NEGATIVE_INFINITY),
                v(TEXT, "héllo ☃ 😀", "héllo ☃ 😀"), v(VARCHAR, "", ""), v(BPCHAR, "ab   ", "ab   "), v(NAME, "pg_class", "pg_class"),
                v(CHAR, "x", "x"), v(JSON, "{\"a\": [1, 2]}", "{\"a\": [1, 2]}"), v(JSONB, "{\"a\": 1}", "{\"a\": 1}"), v(XML, "<a/>", "<a/>"),
                v(BYTEA, "\\x00ff10", new byte[] {0, -1, 16}), v(BYTEA, "\\x", new byte[0]), v(BYTEA, "\\xDEADbeef", new byte[] {-34, -83, -66, -17}),
                v(BYTEA, "ab\\\\c\\001\\377", new byte[] {'a', 'b', '\\', 'c', 1, -1}),
                v(DATE, "2024-02-29", LocalDate.of(2024, 2, 29)), v(DATE, "infinity", PgSpecial.POSITIVE_INFINITY),
                v(DATE, "-infinity", PgSpecial.NEGATIVE_INFINITY), v(DATE, "0044-03-15 BC", LocalDate.of(-43, 3, 15)),
                v(DATE, "0045-02-29 BC", LocalDate.of(-44, 2, 29)), v(DATE, "0001-01-01 BC", LocalDate.of(0, 1, 1)),
                v(DATE, "10000-01-01", LocalDate.of(10000, 1, 1)), v(DATE, "5874897-12-31", LocalDate.of(5874897, 12, 31)),
                v(TIME, "12:34:56.789", LocalTime.of(12, 34, 56, 789_000_000)), v(TIME, "00:00:00", LocalTime.MIDNIGHT),
                v(TIME, "23:59:59.999999", LocalTime.of(23, 59, 59, 999_999_000)), v(TIME, "24:00:00", LocalTime.MAX),
                v(TIMETZ, "12:34:56.789+05:30", OffsetTime.of(12, 34, 56, 789_000_000, ZoneOffset.ofHoursMinutes(5, 30))),
                v(TIMETZ, "01:02:03-08", OffsetTime.of(1, 2, 3, 0, ZoneOffset.ofHours(-8))),
                v(TIMETZ, "01:02:03+00:53:28", OffsetTime.of(1, 2, 3, 0, ZoneOffset.ofHoursMinutesSeconds(0, 53, 28))),
                v(TIMESTAMP, "2024-01-02 03:04:05.123456", LocalDateTime.of(2024, 1, 2, 3, 4, 5, 123_456_000)),
                v(TIMESTAMP, "2024-01-02T03:04:05", LocalDateTime.of(2024, 1, 2, 3, 4, 5)),
                v(TIMESTAMP, "0044-03-15 12:00:00 BC", LocalDateTime.of(-43, 3, 15, 12, 0)),
                v(TIMESTAMP, "294276-12-31 23:59:59.999999", LocalDateTime.of(294276, 12, 31, 23, 59, 59, 999_999_000)),
                v(TIMESTAMP, "infinity", PgSpecial.POSITIVE_INFINITY), v(TIMESTAMP, "-infinity", PgSpecial.NEGATIVE_INFINITY),
                v(TIMESTAMPTZ, "2024-01-02 03:04:05.123456+00", Instant.parse("2024-01-02T03:04:05.123456Z")),
                v(TIMESTAMPTZ, "2024-01-02 03:04:05+05:30", Instant.parse("2024-01-01T21:34:05Z")),
                v(TIMESTAMPTZ, "1900-01-01 00:00:00-00:53:28", Instant.parse("1900-01-01T00:53:28Z")),
                v(TIMESTAMPTZ, "0044-03-15 12:00:00+00 BC", LocalDateTime.of(-43, 3, 15, 12, 0).toInstant(ZoneOffset.UTC)),
                v(TIMESTAMPTZ, "-infinity", PgSpecial.NEGATIVE_INFINITY),
                v(INTERVAL, "1 year 2 mons 3 days 04:05:06.789", new PgInterval(14, 3, 14_706_789_000L)),
                v(INTERVAL, "-1 days +02:03:00", new PgInterval(0, -1, 7_380_000_000L)),
                v(INTERVAL, "00:00:00", new PgInterval(0, 0, 0)), v(INTERVAL, "-00:00:01.5", new PgInterval(0, 0, -1_500_000)),
                v(INTERVAL, "-1 years -2 mons", new PgInterval(-14, 0, 0)), v(INTERVAL, "1 day", new PgInterval(0, 1, 0)),
                v(INTERVAL, "1 mon -1 days -00:00:00.000001", new PgInterval(1, -1, -1)),
                v(INTERVAL, "2562047788:00:54.775807", new PgInterval(0, 0, MAX_INTERVAL_MICROS)),
                v(INTERVAL, "-178956970 years -8 mons -2147483648 days -2562047788:00:54.775808",
                        new PgInterval(Integer.MIN_VALUE, Integer.MIN_VALUE, Long.MIN_VALUE)),
                v(INTERVAL, "infinity", new PgInterval(Integer.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE)),
                v(UUID, UUID_TEXT, java.util.UUID.fromString(UUID_TEXT)), v(UUID, "A0EEBC999C0B4EF8BB6D6BB9BD380A11", java.util.UUID.fromString(UUID_TEXT)),
                v(99999, "happy", "happy"), v(1020, "{(1,1),(0,0);(2,2),(1,1)}", "{(1,1),(0,0);(2,2),(1,1)}"), v(MONEY, "$1.00", "$1.00"),
                v(INT4_ARRAY, "{1,2,NULL}", list(1, 2, null)), v(INT4_ARRAY, "{}", List.of()), v(INT4_ARRAY, "{ 1 , 2 }", List.of(1, 2)),
                v(INT4_ARRAY, "{{1,2},{3,4}}", List.of(List.of(1, 2), List.of(3, 4))), v(INT4_ARRAY, "[0:1]={1,2}", List.of(1, 2)),
                v(INT4_ARRAY, "[1:2][-1:-1]={{1},{2}}", List.of(List.of(1), List.of(2))), v(INT4_ARRAY, "{null}", list((Object) null)),
                v(TEXT_ARRAY, "{\"a b\",\"c\\\"d\",NULL,\"NULL\"}", list("a b", "c\"d", null, "NULL")),
                v(TEXT_ARRAY, "{\"\\\\\",\"{}\",\" x \",\"\",a\\,b}", list("\\", "{}", " x ", "", "a,b")),
                v(TEXT_ARRAY, "{{\"a,b\",NULL},{c,\"}\"}}", List.of(list("a,b", null), List.of("c", "}"))),
                v(BPCHAR_ARRAY, "{\"a \",b}", List.of("a ", "b")), v(VARCHAR_ARRAY, "{héllo}", List.of("héllo")), v(NAME_ARRAY, "{x}", List.of("x")),
                v(CHAR_ARRAY, "{a,\"\\\\\"}", List.of("a", "\\")), v(BOOL_ARRAY, "{t,f,NULL}", list(true, false, null)),
                v(INT2_ARRAY, "{1,-2}", List.of((short) 1, (short) -2)), v(INT8_ARRAY, "{9223372036854775807}", List.of(Long.MAX_VALUE)),
                v(OID_ARRAY, "{26}", List.of(26L)), v(FLOAT4_ARRAY, "{1.5,NaN}", List.of(1.5f, Float.NaN)),
                v(FLOAT8_ARRAY, "{NaN,Infinity,-Infinity,1e-05}", List.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e-5)),
                v(NUMERIC_ARRAY, "{1.50,NaN,-Infinity,NULL}", list(new BigDecimal("1.50"), PgSpecial.NAN, PgSpecial.NEGATIVE_INFINITY, null)),
                v(BYTEA_ARRAY, "{\"\\\\x00ff\",NULL}", list(new byte[] {0, -1}, null)),
                v(DATE_ARRAY, "{2024-01-01,infinity,\"0044-03-15 BC\"}", List.of(LocalDate.of(2024, 1, 1), PgSpecial.POSITIVE_INFINITY, LocalDate.of(-43, 3, 15))),
                v(TIME_ARRAY, "{12:00:00,24:00:00}", List.of(LocalTime.NOON, LocalTime.MAX)),
                v(TIMETZ_ARRAY, "{12:00:00+01}", List.of(OffsetTime.of(LocalTime.NOON, ZoneOffset.ofHours(1)))),
                v(TIMESTAMP_ARRAY, "{\"2024-01-02 03:04:05\",-infinity}", List.of(LocalDateTime.of(2024, 1, 2, 3, 4, 5), PgSpecial.NEGATIVE_INFINITY)),
                v(TIMESTAMPTZ_ARRAY, "{\"2024-01-02 03:04:05.5+00\"}", List.of(Instant.parse("2024-01-02T03:04:05.5Z"))),
                v(INTERVAL_ARRAY, "{\"1 day\",\"-1 days +02:03:00\"}", List.of(new PgInterval(0, 1, 0), new PgInterval(0, -1, 7_380_000_000L))),
                v(UUID_ARRAY, "{" + UUID_TEXT + "}", List.of(java.util.UUID.fromString(UUID_TEXT))),
                v(JSON_ARRAY, "{\"{\\\"a\\\": 1}\",NULL}", list("{\"a\": 1}", null)), v(JSONB_ARRAY, "{\"[1, 2]\"}", List.of("[1, 2]")));
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("values")
    void decodesTheTextForm(int oid, int typmod, String text, Object expected) {
        assertSameValue(expected, PgTextValues.decode(oid, typmod, text));
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                v(INT4, "12a", "int4"), v(INT4, "2147483648", "int4"), v(INT2, "40000", "int2"), v(INT8, "99999999999999999999", "int8"),
                v(INT8, "9223372036854775808", "int8"), v(INT4, "", "int4"), v(INT4, "-", "int4"), v(OID, "-1", "oid"), v(BOOL, "maybe", "bool"),
                v(NUMERIC, "1.2.3", "numeric"), v(NUMERIC, "abc", "numeric"), v(NUMERIC, "", "numeric"), v(NUMERIC, "nan", "numeric"),
                v(FLOAT8, "0x1p3", "float8"), v(FLOAT8, "1d", "float8"), v(FLOAT4, "", "float4"), v(FLOAT8, "--1", "float8"),
                v(DATE, "2024-02-30", "date"), v(DATE, "2023-02-29", "date"), v(DATE, "2024-13-01", "date"), v(DATE, "24-01-01", "date"),
                v(DATE, "2024-01-01 AD", "date"), v(DATE, "0000-01-01", "date"), v(TIME, "25:00:00", "time"), v(TIME, "24:00:01", "time"),
                v(TIME, "12:60:00", "time"), v(TIME, "12:00", "time"), v(TIME, "12:00:00.1234567890", "time"), v(TIMETZ, "12:00:00", "timetz"),
                v(TIMETZ, "12:00:00+19", "timetz"), v(TIMESTAMPTZ, "2024-01-02 03:04:05", "timestamptz"), v(TIMESTAMP, "2024-01-02", "timestamp"),
                v(TIMESTAMP, "2024-01-02 24:00:00", "timestamp"), v(TIMESTAMP, "Infinity", "timestamp"),
                v(INTERVAL, "1 fortnight", "interval"), v(INTERVAL, "", "interval"), v(INTERVAL, "@ 1 day", "interval"),
                v(INTERVAL, "1 day 00:61:00", "interval"), v(INTERVAL, "3000000000 days", "interval"),
                v(UUID, "xyz", "uuid"), v(UUID, UUID_TEXT + "0", "uuid"), v(UUID, "-" + UUID_TEXT.substring(1), "uuid"),
                v(BYTEA, "\\xabc", "bytea"), v(BYTEA, "\\xzz", "bytea"), v(BYTEA, "\\q", "bytea"), v(BYTEA, "a\\", "bytea"),
                v(INT4_ARRAY, "{1,2", "int4[]"), v(INT4_ARRAY, "{1,{2}}", "int4[]"), v(INT4_ARRAY, "1,2", "int4[]"),
                v(INT4_ARRAY, "{{{{{{{1}}}}}}}", "int4[]"), v(INT4_ARRAY, "[0:1]{1}", "int4[]"), v(INT4_ARRAY, "{1,x}", "int4 text 'x'"),
                v(INT4_ARRAY, "{1,}", "int4[]"), v(INT4_ARRAY, "{1} x", "int4[]"), v(TEXT_ARRAY, "{a\"b}", "text[]"),
                v(TEXT_ARRAY, "{\"ab}", "text[]"), v(TEXT_ARRAY, "{a\\", "text[]"), v(TEXT_ARRAY, "", "text[]"));
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("invalid")
    void rejectsInvalidTextNamingTheType(int oid, int typmod, String text, String expectedInMessage) {
        TidelineException e = assertThrows(TidelineException.class, () -> PgTextValues.decode(oid, typmod, text));
        assertTrue(e.getMessage().contains("invalid " + expectedInMessage), e.getMessage());
        assertEquals(TidelineException.Kind.FATAL, e.kind());
    }

    @Test
    void nullIsNullAndLongValuesAreExcerpted() {
        assertNull(PgTextValues.decode(INT4, -1, null));
        TidelineException e = assertThrows(TidelineException.class, () -> PgTextValues.decode(NUMERIC, -1, "9".repeat(500) + "x"));
        assertTrue(e.getMessage().contains("'" + "9".repeat(40) + "…'"), e.getMessage());
    }

    @Test
    void keepsTheNumericScaleAsSent() {
        assertEquals(4, ((BigDecimal) PgTextValues.decode(NUMERIC, -1, "1.0000")).scale());
    }

    /** Deep equality that also compares byte arrays (inside lists, too) by content. */
    static void assertSameValue(Object expected, Object actual) {
        assertEquals(normalize(expected), normalize(actual), () -> "got " + normalize(actual));
    }

    static Object normalize(Object value) {
        if (value instanceof byte[] bytes) {
            return "bytes:" + java.util.HexFormat.of().formatHex(bytes);
        }
        if (value instanceof List<?> list) {
            return list.stream().map(PgTextValuesTest::normalize).map(v -> v == null ? "NULL" : v).toList();
        }
        if (value != null) {
            return value.getClass().getSimpleName() + ":" + value;
        }
        return null;
    }
}
