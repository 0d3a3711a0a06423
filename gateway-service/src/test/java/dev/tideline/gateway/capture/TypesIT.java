package dev.tideline.gateway.capture;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.TableId;
import dev.tideline.core.value.PgInterval;
import dev.tideline.core.value.PgSpecial;
import dev.tideline.core.wire.BatchLimits;
import dev.tideline.gateway.snapshot.SnapshotProgressStore;
import dev.tideline.gateway.snapshot.SnapshotSettings;
import dev.tideline.gateway.snapshot.SnapshotWindows;
import dev.tideline.gateway.snapshot.TableSnapshots;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithNats;
import dev.tideline.testing.WithPostgres;
import io.nats.client.Connection;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Every type of the decoder, from a real table: rows that exist before the slot arrive through the
 * snapshot, copies of them made afterwards arrive through the stream, and both decode to the same
 * typed Java values — which equal what the source holds.
 */
@WithPostgres
@WithNats
class TypesIT {

    private static final String COLUMNS = """
            id int4 PRIMARY KEY,
            c_int2 int2, c_int4 int4, c_int8 int8, c_numeric numeric, c_numeric_12_3 numeric(12,3),
            c_float4 float4, c_float8 float8, c_bool bool,
            c_text text, c_varchar varchar(10), c_bpchar bpchar(5), c_char "char", c_name name, c_bytea bytea,
            c_date date, c_time time, c_timetz timetz, c_timestamp timestamp, c_timestamptz timestamptz,
            c_interval interval, c_uuid uuid, c_json json, c_jsonb jsonb, c_mood types.mood, c_oid oid,
            a_int4 int4[], a_text text[], a_numeric numeric[], a_timestamptz timestamptz[], a_bool bool[], a_bytea bytea[],
            a_int4_2d int4[]""";

    private static final List<String> ROWS = List.of("""
            (1, 32767, 2147483647, 9223372036854775807, 123456789012345678901234567890.123456789, 12.345, 3.14, 2.718281828459045, true,
             'héllo wörld ✓', 'short', 'ab', 'x', 'a_name', '\\xdeadbeef00', '2024-02-29', '13:45:30.123456', '13:45:30.5+05:30',
             '2024-02-29 23:59:59.999999', '2024-02-29 12:00:00.123456+00', '1 year 2 mons 3 days 04:05:06.789',
             'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"b": [1, 2], "a": "x"}', '{"b": [1, 2], "a": "x"}', 'happy', 4294967295,
             ARRAY[1, NULL, 3], ARRAY['a,b', 'q"uote', 'NULL', NULL, '', '{braces}', 'back\\slash'],
             ARRAY[1.50, NULL, 'NaN', 'Infinity', -0.001]::numeric[], ARRAY['2024-01-01 00:00:00+00', NULL, 'infinity']::timestamptz[],
             ARRAY[true, false, NULL], ARRAY['\\x0102'::bytea, NULL, '\\x'::bytea], '{{1,2},{3,NULL}}')""", """
            (2, -32768, -2147483648, -9223372036854775808, 'NaN', -999999999.999, '-Infinity', '-0', false,
             E'line1\\nline2 ''single'' "double" \\\\ back', '', 'abcde', 'Z', 'N', '\\x', '0044-03-15 BC', '00:00:00', '23:59:59-12',
             'infinity', '-infinity', '-1 days -00:00:01', '00000000-0000-0000-0000-000000000000', 'null', '[]', 'sad', 0,
             '{}', '{}', NULL, NULL, NULL, NULL, NULL)""", """
            (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)""");

    @Test
    void everyTypeArrivesTypedAndEqualThroughSnapshotAndStream(PostgresServer pg, NatsServer nats) throws Exception {
        CaptureFixture f = new CaptureFixture("types", pg, nats, 1, 21, false);
        TableId table = TableId.of("types", "all_types");
        f.sql("CREATE TYPE types.mood AS ENUM ('sad', 'ok', 'happy')", "CREATE TABLE types.all_types (" + COLUMNS + ")",
                "INSERT INTO types.all_types VALUES " + String.join(", ", ROWS),
                "ALTER PUBLICATION types_pub ADD TABLE types.all_types");
        f.createSlot();
        SnapshotWindows windows = new SnapshotWindows(f.name, new BatchLimits(4096, 16384));
        try (ChangeCapture capture = new ChangeCapture(f.settings(Duration.ofMillis(50)), pg::replicationConnection,
                ChangeCapture.NatsConnector.of(nats.url()), windows, p -> false); Connection client = f.natsClient();
             TableSnapshots snapshots = new TableSnapshots(f.name, pg::connect, windows, new SnapshotProgressStore(client, f.name),
                     new SnapshotSettings(2, 2, Duration.ofSeconds(30), 5, Duration.ofMillis(500)))) {
            capture.start();
            snapshots.start(List.of(table));
            await().atMost(Duration.ofSeconds(60)).until(() -> snapshots.states().get(table) != null
                    && "DONE".equals(snapshots.states().get(table).progress().state()));
            // The same values again, written after the snapshot is done: they come through the stream only.
            f.sql("INSERT INTO types.all_types SELECT id + 1000, c_int2, c_int4, c_int8, c_numeric, c_numeric_12_3, c_float4, c_float8, "
                    + "c_bool, c_text, c_varchar, c_bpchar, c_char, c_name, c_bytea, c_date, c_time, c_timetz, c_timestamp, c_timestamptz, "
                    + "c_interval, c_uuid, c_json, c_jsonb, c_mood, c_oid, a_int4, a_text, a_numeric, a_timestamptz, a_bool, a_bytea, "
                    + "a_int4_2d FROM types.all_types WHERE id < 1000");
            Map<Object, List<Object>>[] rows = new Map[1];
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() -> {
                StreamReconstructor r = StreamReconstructor.read(client, f.name);
                assertEquals(1, r.snapshotsDone.getOrDefault(table, 0));
                assertEquals(6, r.rows(table).size());
                rows[0] = r.rows(table);
            });
            for (int id = 1; id <= 3; id++) {
                List<Object> snapshot = comparable(rows[0].get(id));
                List<Object> streamed = comparable(rows[0].get(id + 1000));
                assertEquals(snapshot.subList(1, snapshot.size()), streamed.subList(1, streamed.size()), "row " + id + ": snapshot vs stream");
            }
            List<Object> r1 = rows[0].get(1);
            assertEquals((short) 32767, r1.get(1));
            assertEquals(2147483647, r1.get(2));
            assertEquals(9223372036854775807L, r1.get(3));
            assertEquals(new BigDecimal("123456789012345678901234567890.123456789"), r1.get(4));
            assertEquals(new BigDecimal("12.345"), r1.get(5));
            assertEquals(3.14f, r1.get(6));
            assertEquals(2.718281828459045, r1.get(7));
            assertEquals(true, r1.get(8));
            assertEquals("héllo wörld ✓", r1.get(9));
            assertEquals("ab   ", r1.get(11), "bpchar keeps its padding");
            assertEquals(ByteBuffer.wrap(new byte[] {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef, 0}), ByteBuffer.wrap((byte[]) r1.get(14)));
            assertEquals(LocalDate.of(2024, 2, 29), r1.get(15));
            assertEquals(LocalTime.parse("13:45:30.123456"), r1.get(16));
            assertEquals(OffsetTime.parse("13:45:30.5+05:30"), r1.get(17));
            assertEquals(LocalDateTime.parse("2024-02-29T23:59:59.999999"), r1.get(18));
            assertEquals(Instant.parse("2024-02-29T12:00:00.123456Z"), r1.get(19));
            assertInstanceOf(PgInterval.class, r1.get(20));
            assertEquals(UUID.fromString("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), r1.get(21));
            assertEquals("happy", r1.get(24));
            assertEquals(4294967295L, r1.get(25));
            assertEquals(java.util.Arrays.asList(1, null, 3), r1.get(26));
            assertEquals(List.of(List.of(1, 2), java.util.Arrays.asList(3, null)), r1.get(32));
            List<Object> r2 = rows[0].get(2);
            assertInstanceOf(PgSpecial.class, r2.get(4), "numeric NaN");
            assertTrue(Float.isInfinite((Float) r2.get(6)));
            assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits((Double) r2.get(7)), "-0.0 keeps its sign");
            assertInstanceOf(PgSpecial.class, r2.get(18), "timestamp infinity");
            assertTrue(rows[0].get(3).subList(1, 33).stream().allMatch(v -> v == null), "NULLs stay NULL");
            // And equal to the source where JDBC has the same Java type.
            try (java.sql.Connection c = pg.connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT c_int2, c_int4, c_int8, c_numeric_12_3, c_float8, c_bool, c_text, c_varchar, c_uuid "
                         + "FROM types.all_types WHERE id = 1")) {
                rs.next();
                assertEquals(List.of(rs.getShort(1), rs.getInt(2), rs.getLong(3), rs.getBigDecimal(4), rs.getDouble(5), rs.getBoolean(6),
                        rs.getString(7), rs.getString(8), rs.getObject(9)),
                        List.of(r1.get(1), r1.get(2), r1.get(3), r1.get(5), r1.get(7), r1.get(8), r1.get(9), r1.get(10), r1.get(21)));
            }
        }
    }

    /** Byte arrays compared by content. */
    private static List<Object> comparable(List<Object> values) {
        List<Object> out = new ArrayList<>();
        for (Object v : values) {
            out.add(v instanceof byte[] b ? ByteBuffer.wrap(b) : v instanceof List<?> l ? comparable(new ArrayList<>(l)) : v);
        }
        return out;
    }
}
