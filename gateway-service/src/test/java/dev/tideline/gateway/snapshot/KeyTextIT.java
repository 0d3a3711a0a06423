package dev.tideline.gateway.snapshot;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.value.PgTextValues;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A key value decoded from the stream's text, written back by {@link KeyText}, is read by Postgres as
 * the very same value — the lookup of a moved row finds it — and types without an exact form give none.
 */
@WithPostgres
class KeyTextIT {

    /** Values as SQL expressions, over the key types a table plausibly has. */
    private static final List<String> EXACT = List.of(
            "42::int2", "'-2147483648'::int4", "9223372036854775807::int8", "12345678901234567890.000100::numeric",
            "'NaN'::numeric", "'-Infinity'::numeric", "0.1::float4", "-1.5e-300::float8", "'Infinity'::float8", "'NaN'::float4",
            "true", "'it''s \\ a \"key\" ünï'::text", "'pad  '::char(6)", "'x'::varchar(3)", "'\\x00ff10'::bytea",
            "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", "'2024-02-29'::date", "'infinity'::date",
            "'0001-01-01 00:00:00'::timestamp", "'2024-02-29 23:59:59.999999'::timestamp", "'-infinity'::timestamp",
            "'2024-02-29 23:59:59.123456+05:30'::timestamptz", "'12:34:56.789'::time", "'12:34:56+02'::timetz",
            "'{\"a\": 1}'::jsonb::text");

    /** Values for which no exact text is produced: the snapshot starts over instead. */
    private static final List<String> NONE = List.of("'{1,2}'::int[]", "'1 day'::interval", "'0044-03-15 BC'::date",
            "'12024-01-01 00:00'::timestamp");

    /** The value of {@code expression} in a column of a table, as pgoutput would send it, decoded; and the column's type. */
    private static Object decoded(Connection c, String expression) throws Exception {
        try (java.sql.Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS pg_temp.k");
            s.execute("CREATE TEMP TABLE k AS SELECT " + expression + " AS v");
            try (ResultSet rs = s.executeQuery("SELECT format('%s', v), a.atttypid, a.atttypmod FROM pg_temp.k, pg_attribute a "
                    + "WHERE a.attrelid = 'pg_temp.k'::regclass AND a.attname = 'v'")) {
                rs.next();
                return PgTextValues.decode((int) rs.getLong(2), rs.getInt(3), rs.getString(1));
            }
        }
    }

    @Test
    void decodedKeysWrittenBackAreTheSameValues(PostgresServer pg) throws Exception {
        try (Connection c = pg.connect()) {
            for (String expression : EXACT) {
                Object value = decoded(c, expression);
                String text = KeyText.of(value);
                assertNotNull(text, expression + " decoded as " + value.getClass().getSimpleName());
                // Cast as ChunkReader does; NaN equals NaN in Postgres' ordering (not in IEEE), as an index lookup needs.
                try (PreparedStatement s = c.prepareStatement("SELECT CAST(CAST(? AS text) AS " + typeOf(c) + ") = v FROM pg_temp.k")) {
                    s.setString(1, text);
                    try (ResultSet rs = s.executeQuery()) {
                        rs.next();
                        assertTrue(rs.getBoolean(1), expression + " written back as '" + text + "'");
                    }
                }
            }
            for (String expression : NONE) {
                assertNull(KeyText.of(decoded(c, expression)), expression);
            }
        }
    }

    /** The column's type as {@link SourceTable#chunkTypes()} has it. */
    private static String typeOf(Connection c) throws Exception {
        try (java.sql.Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT format_type(a.atttypid, a.atttypmod) "
                + "FROM pg_attribute a WHERE a.attrelid = 'pg_temp.k'::regclass AND a.attname = 'v'")) {
            rs.next();
            return rs.getString(1);
        }
    }
}
