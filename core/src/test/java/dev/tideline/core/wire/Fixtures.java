package dev.tideline.core.wire;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.change.ChangeEvent.OldRowKind;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.PgType;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import dev.tideline.core.value.PgInterval;
import dev.tideline.core.value.PgSpecial;
import dev.tideline.core.value.UnchangedToast;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/** Schemas, edge values and a seeded generator of rows over every value type, for the wire tests. */
final class Fixtures {

    static final String GATEWAY = "gw-1";

    private Fixtures() {
    }

    static RelationSchema schema(String schemaName, String tableName, int columns) {
        List<ColumnSchema> list = new ArrayList<>();
        int[] oids = {PgType.INT8, PgType.TEXT, PgType.NUMERIC, PgType.TIMESTAMPTZ, PgType.JSONB, PgType.INT4_ARRAY, 16_384, -5};
        for (int i = 0; i < columns; i++) {
            list.add(new ColumnSchema(i == 1 ? "we\"ird.col ü" : "c" + i, oids[i % oids.length], i % 3 == 0 ? -1 : 0x7FFF_0004 + i, i == 0));
        }
        return new RelationSchema(0x8000_1234, TableId.of(schemaName, tableName), ReplicaIdentity.DEFAULT, list);
    }

    /** Every Java value type of {@link Row}, with the edge values of each. */
    static List<Object> edgeValues() {
        List<Object> v = new ArrayList<>(Arrays.asList(
                null, UnchangedToast.VALUE, Boolean.TRUE, Boolean.FALSE,
                (short) 0, Short.MIN_VALUE, Short.MAX_VALUE, 0, -1, Integer.MIN_VALUE, Integer.MAX_VALUE,
                0L, Long.MIN_VALUE, Long.MAX_VALUE, 300L,
                0.0f, -0.0f, Float.NaN, Float.intBitsToFloat(0x7fc0_0001), Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.MIN_VALUE, Float.MAX_VALUE,
                0.0, -0.0, Double.NaN, Double.longBitsToDouble(0x7ff8_0000_0000_0abcL), Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY, Double.MIN_VALUE, Double.MAX_VALUE,
                BigDecimal.ZERO, new BigDecimal("0.000"), new BigDecimal("-0.00"), new BigDecimal("1E+5"), new BigDecimal("123.4500"),
                new BigDecimal(BigInteger.valueOf(Long.MIN_VALUE), 3), new BigDecimal(BigInteger.ONE.shiftLeft(63), 0),
                new BigDecimal(BigInteger.ONE.shiftLeft(63).negate().subtract(BigInteger.ONE), 2),
                new BigDecimal("-1234567890123456789012345678901234567890.0987654321"),
                new BigDecimal(BigInteger.TEN.pow(1000), -16383), new BigDecimal(BigInteger.ONE, Integer.MAX_VALUE),
                new BigDecimal(BigInteger.ONE, Integer.MIN_VALUE),
                PgSpecial.NAN, PgSpecial.POSITIVE_INFINITY, PgSpecial.NEGATIVE_INFINITY,
                "", "a", "plain ascii", "unicode é ü ß 漢字 🦀 \uD83D\uDE00", "nul\u0000inside", "x".repeat(300),
                new byte[0], new byte[] {0, -1, 127, -128}, new byte[1000],
                LocalDate.MIN, LocalDate.MAX, LocalDate.EPOCH, LocalDate.of(2000, 1, 1),
                LocalTime.MIN, LocalTime.MAX, LocalTime.of(12, 34, 56, 789_000),
                OffsetTime.of(LocalTime.MIN, ZoneOffset.MIN), OffsetTime.of(LocalTime.MAX, ZoneOffset.MAX),
                OffsetTime.of(10, 0, 0, 1000, ZoneOffset.ofHoursMinutes(5, 30)),
                LocalDateTime.MIN, LocalDateTime.MAX, LocalDateTime.of(1999, 12, 31, 23, 59, 59, 999_999_000),
                Instant.MIN, Instant.MAX, Instant.EPOCH, Instant.ofEpochSecond(-1, 1), Instant.parse("2024-05-01T12:00:00.123456Z"),
                new PgInterval(0, 0, 0), new PgInterval(Integer.MIN_VALUE, Integer.MIN_VALUE, Long.MIN_VALUE),
                new PgInterval(Integer.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE), new PgInterval(-1, 2, -3),
                new UUID(0, 0), new UUID(-1, -1), UUID.fromString("123e4567-e89b-12d3-a456-426614174000"),
                List.of(), Arrays.asList(1, null, 3), Arrays.asList(Arrays.asList("a", null), Arrays.asList(null, "b"), null),
                List.of(List.of()), Arrays.asList(new byte[] {1}, null), Arrays.asList((Object) null)));
        return v;
    }

    /** A seeded random value of any type, nested lists included. */
    static Object randomValue(Random random, int depth) {
        switch (random.nextInt(depth < 3 ? 22 : 21)) {
            case 0: return null;
            case 1: return UnchangedToast.VALUE;
            case 2: return random.nextBoolean();
            case 3: return (short) random.nextInt();
            case 4: return random.nextInt(4) == 0 ? random.nextInt(100) : random.nextInt();
            case 5: return random.nextInt(4) == 0 ? (long) random.nextInt(1000) : random.nextLong();
            case 6: return random.nextInt(8) == 0 ? Float.intBitsToFloat(random.nextInt()) : random.nextFloat() * 1e6f - 5e5f;
            case 7: return random.nextInt(8) == 0 ? Double.longBitsToDouble(random.nextLong()) : random.nextGaussian() * 1e9;
            case 8: return new BigDecimal(new BigInteger(random.nextInt(200) + 1, random).multiply(BigInteger.valueOf(random.nextBoolean() ? 1 : -1)),
                    random.nextInt(80) - 20);
            case 9: return PgSpecial.values()[random.nextInt(3)];
            case 10: return randomString(random);
            case 11: {
                byte[] b = new byte[random.nextInt(40)];
                random.nextBytes(b);
                return b;
            }
            case 12: return LocalDate.ofEpochDay(random.nextInt(3_000_000) - 1_500_000);
            case 13: return LocalTime.ofNanoOfDay(Math.floorMod(random.nextLong(), 86_400_000_000_000L));
            case 14: return OffsetTime.of(LocalTime.ofNanoOfDay(Math.floorMod(random.nextLong(), 86_400_000_000_000L)),
                    ZoneOffset.ofTotalSeconds(random.nextInt(2 * 64_800 + 1) - 64_800));
            case 15: return LocalDateTime.ofEpochSecond(random.nextInt() * 16L, random.nextInt(1_000_000_000), ZoneOffset.UTC);
            case 16: return Instant.ofEpochSecond(random.nextInt() * 8L, random.nextInt(1_000_000_000));
            case 17: return new PgInterval(random.nextInt(), random.nextInt(), random.nextLong());
            case 18: return new UUID(random.nextLong(), random.nextLong());
            case 19: return "k" + random.nextInt(1000);
            case 20: return BigDecimal.valueOf(random.nextInt(1_000_000), random.nextInt(6));
            default: {
                int n = random.nextInt(5);
                List<Object> list = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    list.add(random.nextInt(4) == 0 ? null : randomValue(random, depth + 1));
                }
                return list;
            }
        }
    }

    static String randomString(Random random) {
        int n = random.nextInt(random.nextInt(10) == 0 ? 300 : 20);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int kind = random.nextInt(10);
            if (kind < 6) {
                sb.append((char) (0x20 + random.nextInt(0x5F)));
            } else if (kind < 8) {
                sb.append((char) (0xA0 + random.nextInt(0xD000)));
            } else if (kind < 9) {
                sb.appendCodePoint(0x10000 + random.nextInt(0x100000 - 0x10000));
            } else {
                sb.append((char) random.nextInt(0x20));
            }
        }
        return sb.toString();
    }

    static Row randomRow(Random random, int columns) {
        Object[] values = new Object[columns];
        for (int i = 0; i < columns; i++) {
            values[i] = randomValue(random, 0);
        }
        return Row.wrap(values);
    }

    static RowChange randomChange(Random random, long ordinal, int columns) {
        switch (random.nextInt(3)) {
            case 0:
                return RowChange.insert(ordinal, randomRow(random, columns));
            case 1: {
                OldRowKind kind = OldRowKind.values()[random.nextInt(3)];
                return RowChange.update(ordinal, kind, kind == OldRowKind.NONE ? null : randomRow(random, columns), randomRow(random, columns));
            }
            default:
                return RowChange.delete(ordinal, random.nextBoolean() ? OldRowKind.KEY : OldRowKind.FULL, randomRow(random, columns));
        }
    }

    static Lsn lsn(Random random) {
        return Lsn.of(random.nextLong());
    }

    /**
     * Exact equality of values: floats by raw bits (so -0.0 and NaN payloads count), BigDecimal with
     * its scale, byte arrays by content, lists element by element.
     */
    static boolean same(Object a, Object b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a instanceof Float x && b instanceof Float y) {
            return Float.floatToRawIntBits(x) == Float.floatToRawIntBits(y);
        }
        if (a instanceof Double x && b instanceof Double y) {
            return Double.doubleToRawLongBits(x) == Double.doubleToRawLongBits(y);
        }
        if (a instanceof byte[] x && b instanceof byte[] y) {
            return Arrays.equals(x, y);
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            for (int i = 0; i < x.size(); i++) {
                if (!same(x.get(i), y.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return a.getClass() == b.getClass() && a.equals(b);
    }

    static boolean sameRow(Row a, Row b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!same(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    static boolean sameChange(RowChange a, RowChange b) {
        return a.op() == b.op() && a.ordinal() == b.ordinal() && a.oldRowKind() == b.oldRowKind() && sameRow(a.oldRow(), b.oldRow())
                && sameRow(a.newRow(), b.newRow());
    }
}
