package dev.tideline.apply.delta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.PgType;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import dev.tideline.core.value.PgInterval;
import dev.tideline.core.value.PgSpecial;
import dev.tideline.core.wire.ChangeBatch;
import dev.tideline.core.wire.RowChange;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.TableLocations;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every Postgres type through the mapping into a real Delta table and back through Kernel. */
class PostgresDeltaTypesTest {

    static int numeric(int p, int s) {
        return ((p << 16) | (s & 0x7FF)) + 4;
    }

    static final List<ColumnSchema> COLUMNS = List.of(
            new ColumnSchema("id", PgType.INT8, -1, true),
            new ColumnSchema("b", PgType.BOOL, -1, false),
            new ColumnSchema("i2", PgType.INT2, -1, false),
            new ColumnSchema("i4", PgType.INT4, -1, false),
            new ColumnSchema("o", PgType.OID, -1, false),
            new ColumnSchema("f4", PgType.FLOAT4, -1, false),
            new ColumnSchema("f8", PgType.FLOAT8, -1, false),
            new ColumnSchema("n", PgType.NUMERIC, numeric(10, 2), false),
            new ColumnSchema("n_free", PgType.NUMERIC, -1, false),
            new ColumnSchema("n_big", PgType.NUMERIC, numeric(50, 5), false),
            new ColumnSchema("n_neg", PgType.NUMERIC, numeric(5, -2), false),
            new ColumnSchema("t", PgType.TEXT, -1, false),
            new ColumnSchema("c", PgType.BPCHAR, 8, false),
            new ColumnSchema("by", PgType.BYTEA, -1, false),
            new ColumnSchema("d", PgType.DATE, -1, false),
            new ColumnSchema("ts", PgType.TIMESTAMP, -1, false),
            new ColumnSchema("tstz", PgType.TIMESTAMPTZ, -1, false),
            new ColumnSchema("tm", PgType.TIME, -1, false),
            new ColumnSchema("tmtz", PgType.TIMETZ, -1, false),
            new ColumnSchema("iv", PgType.INTERVAL, -1, false),
            new ColumnSchema("u", PgType.UUID, -1, false),
            new ColumnSchema("j", PgType.JSONB, -1, false),
            new ColumnSchema("e", 91234, -1, false),
            new ColumnSchema("arr", PgType.INT4_ARRAY, -1, false),
            new ColumnSchema("tarr", PgType.TEXT_ARRAY, -1, false),
            new ColumnSchema("weird name, (x)", PgType.TEXT, -1, false));

    static final RelationSchema SCHEMA = new RelationSchema(5, TableId.of("public", "all types"), ReplicaIdentity.DEFAULT, COLUMNS);

    @TempDir
    Path warehouse;

    @Test
    void deltaTypesAreTheDocumentedOnes() {
        TableLayout layout = TableLayout.create(SCHEMA, List.of(), ScdType.SCD_TYPE_1);
        List<String> types = new ArrayList<>();
        layout.schema().fields().forEach(f -> types.add(f.getName() + ":" + PostgresDeltaTypes.typeName(f.getDataType())));
        assertEquals(List.of("id:long", "b:boolean", "i2:short", "i4:integer", "o:long", "f4:float", "f8:double",
                "n:decimal(10,2)", "n_free:decimal(38,18)", "n_big:string", "n_neg:decimal(7,0)", "t:string", "c:string",
                "by:binary", "d:date", "ts:timestamp_ntz", "tstz:timestamp", "tm:string", "tmtz:string", "iv:string", "u:string",
                "j:string", "e:string", "arr:array<integer>", "tarr:array<string>", "weird name, (x):string"), types);
    }

    @Test
    void everyTypeRoundTripsThroughARealDeltaTable() {
        UUID uuid = UUID.fromString("123e4567-e89b-12d3-a456-426614174000");
        Row row1 = Row.of(1L, true, (short) -7, 42, 4_000_000_000L, Float.NaN, Double.NEGATIVE_INFINITY, new BigDecimal("12345678.9"),
                new BigDecimal("3.141592653589793238"), new BigDecimal("123456789012345678901234567890123456789012345.12345"),
                new BigDecimal("9999900"), "héllo", "ab      ", new byte[] {0, -1, 7}, LocalDate.of(-43, 3, 15),
                LocalDateTime.of(2024, 2, 29, 23, 59, 59, 123_456_000), Instant.parse("2024-05-01T12:00:00.000001Z"), LocalTime.MAX,
                OffsetTime.of(10, 30, 0, 5000, ZoneOffset.ofHoursMinutesSeconds(5, 21, 10)), new PgInterval(14, -3, 14_706_500_000L), uuid,
                "{\"a\": [1, 2]}", "happy", Arrays.asList(1, null, 3), List.of("x", "y,z"), "w");
        Row row2 = Row.of(2L, null, null, null, null, null, null, PgSpecial.NAN, null, null, null, null, null, null,
                PgSpecial.POSITIVE_INFINITY, PgSpecial.NEGATIVE_INFINITY, PgSpecial.POSITIVE_INFINITY, null, null,
                new PgInterval(0, 0, 0), null, null, null, List.of(), null, null);

        DeltaTableWriter writer = DeltaTableWriter.open(DeltaEngines.forWarehouse(warehouse.toString(),
                EngineSettings.defaults().withFsync(false)), TableLocations.of(warehouse.toString(), "c", "public", "all types"), "p/t",
                SCHEMA.table(), WriterSettings.DEFAULT);
        writer.create(TableLayout.create(SCHEMA, List.of(), ScdType.SCD_TYPE_1));
        List<RowOp> ops = new ArrayList<>();
        RowOps.add(new ChangeBatch.Rows(Lsn.of(100), Instant.EPOCH, 1, 0, true, SCHEMA,
                List.of(RowChange.insert(0, row1), RowChange.insert(1, row2))), writer.layout().converter(SCHEMA), ops);
        writer.apply(writer.layout(), ops, Lsn.of(100)).orElseThrow();

        List<Object[]> rows = writer.readAll();
        rows.sort((a, b) -> Long.compare((Long) a[0], (Long) b[0]));
        Object[] r = rows.get(0);
        assertEquals(true, r[1]);
        assertEquals((short) -7, r[2]);
        assertEquals(42, r[3]);
        assertEquals(4_000_000_000L, r[4]);
        assertTrue(Float.isNaN((Float) r[5]));
        assertEquals(Double.NEGATIVE_INFINITY, r[6]);
        assertEquals(new BigDecimal("12345678.90"), r[7]);
        assertEquals(new BigDecimal("3.141592653589793238"), r[8]);
        assertEquals("123456789012345678901234567890123456789012345.12345", r[9]);
        assertEquals(new BigDecimal("9999900"), r[10]);
        assertEquals("héllo", r[11]);
        assertEquals("ab      ", r[12]);
        assertArrayEquals(new byte[] {0, -1, 7}, (byte[]) r[13]);
        assertEquals((int) LocalDate.of(-43, 3, 15).toEpochDay(), r[14]);
        assertEquals(LocalDateTime.of(2024, 2, 29, 23, 59, 59, 123_456_000).toEpochSecond(ZoneOffset.UTC) * 1_000_000 + 123_456, r[15]);
        assertEquals(Instant.parse("2024-05-01T12:00:00Z").getEpochSecond() * 1_000_000 + 1, r[16]);
        assertEquals("24:00:00.000000", r[17]);
        assertEquals("10:30:00.000005+05:21:10", r[18]);
        assertEquals("P1Y2M-3DT4H5M6.5S", r[19]);
        assertEquals("123e4567-e89b-12d3-a456-426614174000", r[20]);
        assertEquals("{\"a\": [1, 2]}", r[21]);
        assertEquals("happy", r[22]);
        assertEquals(Arrays.asList(1, null, 3), r[23]);
        assertEquals(List.of("x", "y,z"), r[24]);
        assertEquals("w", r[25]);

        Object[] s = rows.get(1);
        assertNull(s[7], "numeric NaN is NULL");
        assertEquals((int) PostgresDeltaTypes.DATE_POSITIVE_INFINITY.toEpochDay(), s[14]);
        assertEquals(PostgresDeltaTypes.TIMESTAMP_NEGATIVE_INFINITY_MICROS, s[15]);
        assertEquals(PostgresDeltaTypes.TIMESTAMP_POSITIVE_INFINITY_MICROS, s[16]);
        assertEquals("PT0S", s[19]);
        assertEquals(List.of(), s[23]);
    }

    @Test
    void valuesDeltaCannotHoldFailNamingTheColumn() {
        TableLayout layout = TableLayout.create(SCHEMA, List.of(), ScdType.SCD_TYPE_1);
        RowConverter converter = layout.converter(SCHEMA);
        Object[] values = new Object[COLUMNS.size()];
        values[0] = 1L;
        values[8] = new BigDecimal("1.0000000000000000001"); // 19 decimals in unconstrained numeric
        TidelineException e = assertThrows(TidelineException.class, () -> converter.toDelta(Row.of(values), null));
        assertTrue(e.getMessage().contains("'n_free'") && e.getMessage().contains("decimal(38,18)"), e.getMessage());
        values[8] = null;
        values[23] = List.of(List.of(1, 2), List.of(3, 4));
        e = assertThrows(TidelineException.class, () -> converter.toDelta(Row.of(values), null));
        assertTrue(e.getMessage().contains("'arr'") && e.getMessage().contains("multi-dimensional"), e.getMessage());
        values[23] = null;
        values[7] = new BigDecimal("123456789.5"); // numeric(10,2) holds 8 integer digits, not 9
        assertThrows(TidelineException.class, () -> converter.toDelta(Row.of(values), null));
    }

    @Test
    void trailingZerosBeyondTheScaleAreNotALoss() {
        TableLayout layout = TableLayout.create(SCHEMA, List.of(), ScdType.SCD_TYPE_1);
        Object[] values = new Object[COLUMNS.size()];
        values[0] = 1L;
        values[8] = new BigDecimal("2.50000000000000000000000");
        assertEquals(new BigDecimal("2.500000000000000000"), layout.converter(SCHEMA).toDelta(Row.of(values), null)[8]);
    }
}
