package dev.tideline.sync.types;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.TidelineException;
import dev.tideline.sync.model.NullBytePolicy;
import dev.tideline.sync.testdelta.ObjectBatch;
import io.delta.kernel.types.ArrayType;
import io.delta.kernel.types.BinaryType;
import io.delta.kernel.types.DateType;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.MapType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampType;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The binary COPY form of each type, byte for byte; {@code TypeMappingIT} checks what Postgres makes of it. */
class CopyRowEncoderTest {

    static final StructType SCHEMA = new StructType()
            .add("id", LongType.LONG)
            .add("s", StringType.STRING)
            .add("b", BinaryType.BINARY)
            .add("d", DateType.DATE)
            .add("ts", TimestampType.TIMESTAMP)
            .add("x", DoubleType.DOUBLE)
            .add("tags", new ArrayType(StringType.STRING, true))
            .add("m", new MapType(LongType.LONG, StringType.STRING, true));

    private static CopyRowEncoder encoder(NullBytePolicy policy, StructType schema, List<String> key, Object... row) {
        CopyRowEncoder encoder = new CopyRowEncoder("db.s.t", PostgresTypeMapping.map("t", schema), key, null, policy);
        encoder.bind(new ObjectBatch(schema, List.<Object[]>of(row)));
        return encoder;
    }

    /** The fields of one encoded tuple: null for SQL NULL, else the field's bytes. */
    private static byte[][] fields(NullBytePolicy policy, Object... row) {
        ByteBuffer in = ByteBuffer.wrap(encoder(policy, SCHEMA, List.of("id"), row).row(0));
        byte[][] fields = new byte[in.getShort()][];
        for (int i = 0; i < fields.length; i++) {
            int length = in.getInt();
            if (length >= 0) {
                fields[i] = new byte[length];
                in.get(fields[i]);
            }
        }
        assertEquals(0, in.remaining());
        return fields;
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void binaryFormOfEachType() {
        byte[][] f = fields(NullBytePolicy.FAIL, 1L, "a\tb\nc\\d é", new byte[] {(byte) 0xAB, 1}, LocalDate.of(-43, 3, 15),
                Instant.parse("2024-01-02T03:04:05.000006Z"), Double.NaN, List.of("q\"uote", "tab\t"), Map.of(7L, "seven"));
        assertEquals(8, f.length);
        assertEquals(1L, ByteBuffer.wrap(f[0]).getLong());
        assertEquals("a\tb\nc\\d é", utf8(f[1]), "no escaping in binary COPY");
        assertArrayEquals(new byte[] {(byte) 0xAB, 1}, f[2]);
        // Postgres dates count days from 2000-01-01, timestamps microseconds from 2000-01-01 00:00 UTC.
        assertEquals(LocalDate.of(-43, 3, 15).toEpochDay() - LocalDate.of(2000, 1, 1).toEpochDay(), ByteBuffer.wrap(f[3]).getInt());
        long micros = Instant.parse("2024-01-02T03:04:05.000006Z").getEpochSecond() * 1_000_000 + 6;
        assertEquals(micros - 946_684_800_000_000L, ByteBuffer.wrap(f[4]).getLong());
        assertTrue(Double.isNaN(ByteBuffer.wrap(f[5]).getDouble()));
        assertEquals(1, f[6][0], "JSONB binary format version");
        assertEquals("[\"q\\\"uote\",\"tab\\t\"]", utf8(Arrays.copyOfRange(f[6], 1, f[6].length)));
        assertEquals("{\"7\":\"seven\"}", utf8(Arrays.copyOfRange(f[7], 1, f[7].length)));
    }

    @Test
    void nullsHaveLengthMinusOne() {
        byte[][] f = fields(NullBytePolicy.FAIL, 2L, null, null, null, null, null, Arrays.asList((String) null), null);
        assertEquals(null, f[1]);
        assertEquals(null, f[7]);
        assertEquals("[null]", utf8(Arrays.copyOfRange(f[6], 1, f[6].length)));
    }

    @Test
    void numericDigitsRoundTrip() {
        for (String v : List.of("0", "0.00", "1", "-1", "12345678.90", "0.05", "-0.0001", "10000", "99999999999999999999.123456789",
                "123456789012345678901234567890.12", "-5.5", "0.10000")) {
            BigDecimal d = new BigDecimal(v);
            CopyBuffer out = new CopyBuffer(64);
            CopyRowEncoder.Numeric.encode(d, out);
            ByteBuffer in = ByteBuffer.wrap(out.array(), 0, out.size());
            assertEquals(out.size() - 4, in.getInt());
            BigDecimal back = CopyRowEncoder.Numeric.decode(in);
            assertEquals(d, back, v);
        }
        // 12345678.90 is digits 1234 5678 9000, weight 1, positive, display scale 2.
        CopyBuffer out = new CopyBuffer(64);
        CopyRowEncoder.Numeric.encode(new BigDecimal("12345678.90"), out);
        ByteBuffer in = ByteBuffer.wrap(out.array(), 4, out.size() - 4);
        assertArrayEquals(new short[] {3, 1, 0, 2, 1234, 5678, 9000},
                new short[] {in.getShort(), in.getShort(), in.getShort(), in.getShort(), in.getShort(), in.getShort(), in.getShort()});
    }

    @Test
    void keysCompareByValueAndDescribeThemselves() {
        StructType schema = new StructType().add("region", StringType.STRING).add("day", DateType.DATE).add("amount", new DecimalType(10, 2));
        List<String> key = List.of("region", "day", "amount");
        CopyRowEncoder a = encoder(NullBytePolicy.FAIL, schema, key, "eu", LocalDate.of(2024, 2, 29), new BigDecimal("-12.50"));
        CopyRowEncoder b = encoder(NullBytePolicy.FAIL, schema, key, "eu", LocalDate.of(2024, 2, 29), new BigDecimal("-12.50"));
        CopyRowEncoder c = encoder(NullBytePolicy.FAIL, schema, key, "us", LocalDate.of(2024, 2, 29), new BigDecimal("-12.50"));
        assertEquals(a.key(0), b.key(0));
        assertEquals(a.key(0).hashCode(), b.key(0).hashCode());
        assertNotEquals(a.key(0), c.key(0));
        assertEquals("(region, day, amount)=(eu, 2024-02-29, -12.50)", a.describeKey(a.key(0)));
        assertEquals(a.describeKey(0), a.describeKey(a.key(0)));
    }

    @Test
    void stringsDeliveredAsUtf8BytesEncodeTheSameAndKeepTheNullBytePolicy() {
        StructType strings = new StructType().add("id", LongType.LONG).add("s", StringType.STRING);
        StructType asRead = new StructType().add("id", LongType.LONG).add("s", BinaryType.BINARY); // how KernelFiles reads them
        CopyRowEncoder encoder = new CopyRowEncoder("db.s.t", PostgresTypeMapping.map("t", strings), List.of("id"), null, NullBytePolicy.FAIL);
        encoder.bind(new ObjectBatch(strings, List.<Object[]>of(new Object[] {1L, "é 🌊"})));
        byte[] fromString = encoder.row(0);
        encoder.bind(new ObjectBatch(asRead, List.<Object[]>of(new Object[] {1L, "é 🌊".getBytes(StandardCharsets.UTF_8)})));
        assertArrayEquals(fromString, encoder.row(0));

        encoder.bind(new ObjectBatch(asRead, List.<Object[]>of(new Object[] {7L, "a\0b".getBytes(StandardCharsets.UTF_8)})));
        TidelineException e = assertThrows(TidelineException.class, () -> encoder.row(0));
        assertTrue(e.getMessage().contains("column 's'") && e.getMessage().contains("(id)=(7)"), e.getMessage());
        CopyRowEncoder strip = new CopyRowEncoder("db.s.t", PostgresTypeMapping.map("t", strings), List.of("id"), null, NullBytePolicy.STRIP);
        strip.bind(new ObjectBatch(asRead, List.<Object[]>of(new Object[] {7L, "a\0b".getBytes(StandardCharsets.UTF_8)})));
        ByteBuffer row = ByteBuffer.wrap(strip.row(0));
        row.position(2 + 4 + 8);
        assertEquals(2, row.getInt());
        assertEquals('a', row.get());
        assertEquals('b', row.get());
    }

    @Test
    void nullBytesFailNamingColumnAndKeyOrAreStripped() {
        TidelineException top = assertThrows(TidelineException.class,
                () -> fields(NullBytePolicy.FAIL, 42L, "a\0b", null, null, null, null, null, null));
        assertTrue(top.getMessage().contains("column 's'") && top.getMessage().contains("db.s.t") && top.getMessage().contains("(id)=(42)"),
                top.getMessage());
        assertTrue(top.hint().contains("STRIP"));
        TidelineException nested = assertThrows(TidelineException.class,
                () -> fields(NullBytePolicy.FAIL, 43L, null, null, null, null, null, List.of("x\0"), null));
        assertTrue(nested.getMessage().contains("column 'tags'") && nested.getMessage().contains("(id)=(43)"), nested.getMessage());
        byte[][] stripped = fields(NullBytePolicy.STRIP, 44L, "a\0b", null, null, null, null, List.of("x\0"), null);
        assertEquals("ab", utf8(stripped[1]));
        assertEquals("[\"x\"]", utf8(Arrays.copyOfRange(stripped[6], 1, stripped[6].length)));
    }
}
