package dev.tideline.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.sync.engine.SyncOutcome;
import dev.tideline.sync.model.SchedulingPolicy;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.testdelta.DeltaTestTable;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithPostgres;
import io.delta.kernel.types.ArrayType;
import io.delta.kernel.types.BinaryType;
import io.delta.kernel.types.BooleanType;
import io.delta.kernel.types.ByteType;
import io.delta.kernel.types.DateType;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.FloatType;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.MapType;
import io.delta.kernel.types.ShortType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampNTZType;
import io.delta.kernel.types.TimestampType;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Every Delta type of seed 003's mapping table, through a real snapshot and a real refresh, read back from Postgres. */
@WithPostgres
class TypeMappingIT {

    static final StructType STRUCT = new StructType().add("a", StringType.STRING, true).add("b", new ArrayType(DoubleType.DOUBLE, true), true);

    static final StructType SCHEMA = new StructType()
            .add("id", LongType.LONG, false)
            .add("c_binary", BinaryType.BINARY, true)
            .add("c_bool", BooleanType.BOOLEAN, true)
            .add("c_date", DateType.DATE, true)
            .add("c_decimal", new DecimalType(10, 2), true)
            .add("c_double", DoubleType.DOUBLE, true)
            .add("c_float", FloatType.FLOAT, true)
            .add("c_int", IntegerType.INTEGER, true)
            .add("c_short", ShortType.SHORT, true)
            .add("c_string", StringType.STRING, true)
            .add("c_ts", TimestampType.TIMESTAMP, true)
            .add("c_ts_ntz", TimestampNTZType.TIMESTAMP_NTZ, true)
            .add("c_byte", ByteType.BYTE, true)
            .add("c_array", new ArrayType(IntegerType.INTEGER, true), true)
            .add("c_map", new MapType(StringType.STRING, LongType.LONG, true), true)
            .add("c_struct", STRUCT, true)
            .add("MixedCase", StringType.STRING, true);

    private static Object[] fullRow(long id) {
        Map<String, Long> map = new LinkedHashMap<>();
        map.put("k1", 1L);
        map.put("k\"2", null);
        List<Integer> array = new ArrayList<>(List.of(1, 2));
        array.add(null);
        return new Object[] {id, new byte[] {0, 1, (byte) 0xFE, '\\'}, true, LocalDate.of(2024, 2, 29), new BigDecimal("12345678.90"),
                1.5e300, 0.25f, 2147483647, (short) -32768, "tab\there\nnewline \\ back 'quote' é 🌊",
                Instant.parse("2024-05-01T12:34:56.123456Z"), LocalDateTime.parse("2024-05-01T12:34:56.000001"), (byte) -128,
                array, map, new Object[] {"x", List.of(1.0, 2.5)}, "Upper"};
    }

    private static Object[] nullRow(long id) {
        Object[] row = new Object[SCHEMA.length()];
        row[0] = id;
        return row;
    }

    private static Object[] edgeRow(long id) {
        return new Object[] {id, new byte[0], false, LocalDate.of(-43, 3, 15), new BigDecimal("-0.01"), Double.NaN,
                Float.POSITIVE_INFINITY, 0, (short) 0, "", Instant.parse("1900-01-01T00:00:00Z"),
                LocalDateTime.parse("9999-12-31T23:59:59.999999"), (byte) 127, List.of(), Map.of(), new Object[] {null, null}, "x"};
    }

    @Test
    void everyMappedTypeArrivesWithItsPostgresType(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        DeltaTestTable table = f.createTable("all_types", SCHEMA);
        table.append(List.of(fullRow(1), nullRow(2), edgeRow(3)));
        SyncedTableDefinition def = f.definition("all_types", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        f.syncer(def).sync(false);
        assertTypesAndValues(f, 1);

        // the same rows through the incremental path (staging COPY + upsert) must give identical values
        table.append(List.of(fullRow(11), nullRow(12), edgeRow(13)));
        f.snapshotFraction = 100;
        assertEquals(SyncOutcome.Mode.INCREMENTAL, f.syncer(def).sync(false).mode());
        assertTypesAndValues(f, 11);
    }

    private static void assertTypesAndValues(SyncFixture f, long firstId) throws Exception {
        try (Connection c = f.connect(); Statement s = c.createStatement()) {
            Map<String, String> types = new LinkedHashMap<>();
            try (ResultSet rs = s.executeQuery("SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                    + "WHERE a.attrelid = 'public.all_types'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")) {
                while (rs.next()) {
                    types.put(rs.getString(1), rs.getString(2));
                }
            }
            Map<String, String> expected = new LinkedHashMap<>();
            expected.put("id", "bigint");
            expected.put("c_binary", "bytea");
            expected.put("c_bool", "boolean");
            expected.put("c_date", "date");
            expected.put("c_decimal", "numeric(10,2)");
            expected.put("c_double", "double precision");
            expected.put("c_float", "real");
            expected.put("c_int", "integer");
            expected.put("c_short", "smallint");
            expected.put("c_string", "text");
            expected.put("c_ts", "timestamp with time zone");
            expected.put("c_ts_ntz", "timestamp without time zone");
            expected.put("c_byte", "smallint");
            expected.put("c_array", "jsonb");
            expected.put("c_map", "jsonb");
            expected.put("c_struct", "jsonb");
            expected.put("MixedCase", "text");
            assertEquals(expected, types);

            s.execute("SET TIME ZONE 'UTC'");
            String select = "SELECT encode(c_binary, 'hex'), c_bool, c_date::text, c_decimal::text, c_double::text, c_float::text, c_int, "
                    + "c_short, c_string, c_ts::text, c_ts_ntz::text, c_byte, c_array::text, c_map::text, c_struct::text, \"MixedCase\" "
                    + "FROM public.all_types WHERE id = ";
            try (ResultSet rs = s.executeQuery(select + firstId)) {
                assertTrue(rs.next());
                assertEquals("0001fe5c", rs.getString(1));
                assertTrue(rs.getBoolean(2));
                assertEquals("2024-02-29", rs.getString(3));
                assertEquals("12345678.90", rs.getString(4));
                assertEquals("1.5e+300", rs.getString(5));
                assertEquals("0.25", rs.getString(6));
                assertEquals(2147483647, rs.getInt(7));
                assertEquals(-32768, rs.getInt(8));
                assertEquals("tab\there\nnewline \\ back 'quote' é 🌊", rs.getString(9));
                assertEquals("2024-05-01 12:34:56.123456+00", rs.getString(10));
                assertEquals("2024-05-01 12:34:56.000001", rs.getString(11));
                assertEquals(-128, rs.getInt(12));
                assertEquals("[1, 2, null]", rs.getString(13));
                assertEquals("{\"k1\": 1, \"k\\\"2\": null}", rs.getString(14));
                assertEquals("{\"a\": \"x\", \"b\": [1.0, 2.5]}", rs.getString(15));
                assertEquals("Upper", rs.getString(16));
            }
            try (ResultSet rs = s.executeQuery(select + (firstId + 1))) {
                assertTrue(rs.next());
                for (int i = 1; i <= 16; i++) {
                    rs.getObject(i);
                    assertTrue(rs.wasNull(), "column " + i + " of the all-NULL row");
                }
            }
            try (ResultSet rs = s.executeQuery(select + (firstId + 2))) {
                assertTrue(rs.next());
                assertEquals("", rs.getString(1));
                assertEquals("0044-03-15 BC", rs.getString(3));
                assertEquals("-0.01", rs.getString(4));
                assertEquals("NaN", rs.getString(5));
                assertEquals("Infinity", rs.getString(6));
                assertEquals("", rs.getString(9));
                assertEquals("1900-01-01 00:00:00+00", rs.getString(10));
                assertEquals("9999-12-31 23:59:59.999999", rs.getString(11));
                assertEquals("[]", rs.getString(13));
                assertEquals("{}", rs.getString(14));
                assertEquals("{\"a\": null, \"b\": null}", rs.getString(15));
            }
        }
    }

    /** Dates and timestamps at the ends of Postgres' range (docs/reference/type-mapping-delta-to-postgres.md). */
    private static final StructType TEMPORAL = new StructType()
            .add("id", LongType.LONG, false)
            .add("d", DateType.DATE, true)
            .add("ts", TimestampType.TIMESTAMP, true)
            .add("ntz", TimestampNTZType.TIMESTAMP_NTZ, true);

    @Test
    void datesAndTimestampsAtPostgresLimitsArriveAndBeyondThemFailNamingColumnKeyAndRange(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        LocalDateTime first = LocalDateTime.of(-4713, 11, 24, 0, 0); // 4714-11-24 BC, Julian day 0
        // Delta's largest timestamp (int64 microseconds from 1970) is in year 294247, below Postgres' 294276
        LocalDateTime deltaMax = LocalDateTime.ofEpochSecond(Long.MAX_VALUE / 1_000_000, 0, java.time.ZoneOffset.UTC);
        DeltaTestTable limits = f.createTable("limits", TEMPORAL);
        limits.append(List.<Object[]>of(
                new Object[] {1L, first.toLocalDate(), first.toInstant(java.time.ZoneOffset.UTC), first},
                new Object[] {2L, LocalDate.of(5874897, 12, 31), deltaMax.toInstant(java.time.ZoneOffset.UTC), deltaMax}));
        SyncedTableDefinition def = f.definition("limits", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        f.syncer(def).sync(false);
        try (Connection c = f.connect(); Statement s = c.createStatement()) {
            s.execute("SET TimeZone = 'UTC'");
            try (ResultSet rs = s.executeQuery("SELECT d::text, ts::text, ntz::text FROM public.limits ORDER BY id")) {
                assertTrue(rs.next());
                assertEquals(List.of("4714-11-24 BC", "4714-11-24 00:00:00+00 BC", "4714-11-24 00:00:00 BC"),
                        List.of(rs.getString(1), rs.getString(2), rs.getString(3)));
                assertTrue(rs.next());
                assertEquals(List.of("5874897-12-31", "294247-01-10 04:00:54+00", "294247-01-10 04:00:54"),
                        List.of(rs.getString(1), rs.getString(2), rs.getString(3)));
            }
        }

        // one day / one microsecond beyond: refused before anything is written, naming column, key and range
        f.snapshotFraction = 100;
        Object[][] beyond = {
                {3L, first.toLocalDate().minusDays(1), null, null},
                {4L, LocalDate.of(5874898, 1, 1), null, null},
                {5L, null, first.minusNanos(1000).toInstant(java.time.ZoneOffset.UTC), null},
                {6L, null, null, first.minusNanos(1000)}};
        String[] column = {"d", "d", "ts", "ntz"};
        for (int i = 0; i < beyond.length; i++) {
            DeltaTestTable t = f.createTable("beyond_" + i, TEMPORAL);
            t.append(List.<Object[]>of(beyond[i]));
            SyncedTableDefinition d = f.definition("beyond_" + i, SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
            dev.tideline.core.TidelineException e = org.junit.jupiter.api.Assertions.assertThrows(dev.tideline.core.TidelineException.class,
                    () -> f.syncer(d).sync(false));
            assertEquals(dev.tideline.core.TidelineException.Kind.NEEDS_OPERATOR, e.kind(), e.getMessage());
            assertTrue(e.getMessage().contains("column '" + column[i] + "' of synced table " + d.name())
                    && e.getMessage().contains("outside the range Postgres can store (4714-11-24")
                    && e.getMessage().contains("(id)=(" + beyond[i][0] + ")"), e.getMessage());
        }
    }
}
