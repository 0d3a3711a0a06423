package dev.tideline.testing.pgoutput;

import java.util.List;

/**
 * The scenarios behind the golden pgoutput fixtures. Each runs in a fresh database; the golden tests
 * in core assert exact values, so changing a statement here means changing the expectations there.
 */
final class FixtureScenarios {

    static final String PUBLICATION = "tideline_pub";

    private static final String CREATE_PUBLICATION = "CREATE PUBLICATION " + PUBLICATION + " FOR ALL TABLES";

    private FixtureScenarios() {
    }

    static List<FixtureScenario> all() {
        return List.of(
                new FixtureScenario("all-types-text", 1, false, false, ALL_TYPES_SETUP, ALL_TYPES_SCRIPT, "BYRIC"),
                new FixtureScenario("all-types-binary", 1, true, false, ALL_TYPES_SETUP, ALL_TYPES_SCRIPT, "BYRIC"),
                new FixtureScenario("update-delete-default-identity", 1, false, false, List.of(
                        "CREATE TABLE accounts (id int8 PRIMARY KEY, owner text NOT NULL, balance numeric(12,2))",
                        CREATE_PUBLICATION), List.of(
                        "INSERT INTO accounts VALUES (1, 'ann', 10.00), (2, 'bob', 20.50)",
                        "UPDATE accounts SET balance = 11.25 WHERE id = 1",
                        "UPDATE accounts SET id = 20 WHERE id = 2",
                        "DELETE FROM accounts WHERE id = 1"), "BRIUDC"),
                new FixtureScenario("update-delete-full-identity", 1, false, false, List.of(
                        "CREATE TABLE accounts (id int8 PRIMARY KEY, owner text NOT NULL, balance numeric(12,2))",
                        "ALTER TABLE accounts REPLICA IDENTITY FULL",
                        CREATE_PUBLICATION), List.of(
                        "INSERT INTO accounts VALUES (1, 'ann', 10.00), (2, 'bob', NULL)",
                        "UPDATE accounts SET balance = 11.25 WHERE id = 1",
                        "UPDATE accounts SET id = 20, balance = 1 WHERE id = 2",
                        "DELETE FROM accounts WHERE id = 1"), "BRIUDC"),
                new FixtureScenario("unchanged-toast", 1, false, false, List.of(
                        "CREATE TABLE docs (id int4 PRIMARY KEY, body text, note text)",
                        // EXTERNAL: stored out of line without compression, so the value is TOASTed
                        // however compressible it is
                        "ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL",
                        CREATE_PUBLICATION), List.of(
                        // 320 md5 hex digests = 10,240 characters, reproducible by the test
                        "INSERT INTO docs SELECT 1, string_agg(md5(g::text), '' ORDER BY g), 'v1' FROM generate_series(1, 320) g",
                        "UPDATE docs SET note = 'v2' WHERE id = 1",
                        "UPDATE docs SET body = 'small now', note = 'v3' WHERE id = 1",
                        "DELETE FROM docs WHERE id = 1"), "BRIUDC"),
                new FixtureScenario("truncate", 1, false, false, List.of(
                        "CREATE TABLE parent (id serial PRIMARY KEY, name text)",
                        "CREATE TABLE child (id serial PRIMARY KEY, parent_id int4 REFERENCES parent (id))",
                        CREATE_PUBLICATION), List.of(
                        "INSERT INTO parent (name) VALUES ('p1'), ('p2')",
                        "INSERT INTO child (parent_id) VALUES (1), (2)",
                        "TRUNCATE parent RESTART IDENTITY CASCADE",
                        "INSERT INTO parent (name) VALUES ('p3')",
                        "TRUNCATE child",
                        "TRUNCATE parent, child"), "BRITC"),
                new FixtureScenario("logical-messages", 1, false, false, List.of(
                        "CREATE TABLE notes (id int4 PRIMARY KEY, body text)",
                        CREATE_PUBLICATION), List.of(
                        "BEGIN",
                        "INSERT INTO notes VALUES (1, 'with message')",
                        "SELECT pg_logical_emit_message(true, 'tideline.test', 'transactional payload')",
                        "COMMIT",
                        "SELECT pg_logical_emit_message(false, 'tideline.test', '\\x00ff10'::bytea)",
                        "BEGIN",
                        "SELECT pg_logical_emit_message(false, 'tideline.audit', 'survives rollback')",
                        "SELECT pg_logical_emit_message(true, 'tideline.audit', 'rolled back')",
                        "ROLLBACK",
                        "SELECT pg_logical_emit_message(true, 'tideline.test', 'alone in its transaction')"), "BMCI"),
                new FixtureScenario("type-and-relation-change", 1, false, false, List.of(
                        "CREATE TYPE color AS ENUM ('red', 'green')",
                        "CREATE TABLE widgets (id int4 PRIMARY KEY, name text, color color)",
                        CREATE_PUBLICATION), List.of(
                        "INSERT INTO widgets VALUES (1, 'first', 'red')",
                        "ALTER TABLE widgets ADD COLUMN weight numeric(6,2)",
                        "INSERT INTO widgets VALUES (2, 'second', 'green', 1.50)",
                        "ALTER TABLE widgets DROP COLUMN name",
                        "INSERT INTO widgets VALUES (3, 'red', 2.25)",
                        "ALTER TABLE widgets RENAME COLUMN weight TO mass",
                        "ALTER TABLE widgets RENAME TO gadgets",
                        "INSERT INTO gadgets VALUES (4, 'green', 3.00)",
                        "BEGIN",
                        "INSERT INTO gadgets VALUES (5, 'red', 4.00)",
                        "ALTER TABLE gadgets ADD COLUMN tag text DEFAULT 'none'",
                        "INSERT INTO gadgets VALUES (6, 'green', 5.00, 'tagged')",
                        "COMMIT",
                        "ALTER TYPE color ADD VALUE 'blue'",
                        "INSERT INTO gadgets VALUES (7, 'blue', 6.00, 'x')"), "BYRIC"),
                new FixtureScenario("origin", 1, false, false, List.of(
                        "CREATE TABLE items (id int4 PRIMARY KEY, label text)",
                        "SELECT pg_replication_origin_create('upstream-node')",
                        CREATE_PUBLICATION), List.of(
                        "SELECT pg_replication_origin_session_setup('upstream-node')",
                        "BEGIN",
                        "SELECT pg_replication_origin_xact_setup('0/ABCDEF', '2024-05-01 12:00:00+00')",
                        "INSERT INTO items VALUES (1, 'from upstream')",
                        "COMMIT",
                        "SELECT pg_replication_origin_session_reset()",
                        "INSERT INTO items VALUES (2, 'local')"), "BORIC"),
                new FixtureScenario("proto2-streamed-commit", 2, false, true, List.of(
                        "CREATE TABLE big (id int4 PRIMARY KEY, note text)",
                        CREATE_PUBLICATION), List.of(
                        "BEGIN",
                        "INSERT INTO big SELECT g, 'row ' || g FROM generate_series(1, 1000) g",
                        "SAVEPOINT sp",
                        "INSERT INTO big SELECT g, 'rolled back ' || g FROM generate_series(1001, 2000) g",
                        FixtureScenario.AWAIT_SUBTRANSACTION_STREAMED,
                        "ROLLBACK TO SAVEPOINT sp",
                        "INSERT INTO big SELECT g, 'after rollback ' || g FROM generate_series(2001, 2010) g",
                        "COMMIT"), "SERIAc"),
                new FixtureScenario("proto2-streamed-abort", 2, false, true, List.of(
                        "CREATE TABLE big (id int4 PRIMARY KEY, note text)",
                        CREATE_PUBLICATION), List.of(
                        "BEGIN",
                        "INSERT INTO big SELECT g, 'doomed ' || g FROM generate_series(1, 1000) g",
                        FixtureScenario.AWAIT_STREAMED,
                        "ROLLBACK",
                        "INSERT INTO big VALUES (1, 'survivor')"), "SERIAB"));
    }

    private static final List<String> ALL_TYPES_SETUP = List.of(
            "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
            """
            CREATE TABLE all_types (
                id int4 PRIMARY KEY,
                c_int2 int2, c_int4 int4, c_int8 int8,
                c_numeric numeric, c_numeric_12_3 numeric(12,3),
                c_float4 float4, c_float8 float8,
                c_bool bool,
                c_text text, c_varchar varchar(10), c_bpchar bpchar(5), c_char "char", c_name name,
                c_bytea bytea,
                c_date date, c_time time, c_timetz timetz, c_timestamp timestamp, c_timestamptz timestamptz,
                c_interval interval, c_uuid uuid, c_json json, c_jsonb jsonb, c_mood mood,
                a_int4 int4[], a_text text[], a_numeric numeric[], a_timestamptz timestamptz[], a_uuid uuid[],
                a_bool bool[], a_bytea bytea[], a_jsonb jsonb[], a_int4_2d int4[], a_text_2d text[]
            )""",
            CREATE_PUBLICATION);

    private static final List<String> ALL_TYPES_SCRIPT = List.of(
            "BEGIN",
            // 1: ordinary values, every array with a NULL element and strings that need quoting
            """
            INSERT INTO all_types VALUES (1,
                32767, 2147483647, 9223372036854775807,
                123456789012345678901234567890.123456789, 12.345,
                3.14, 2.718281828459045,
                true,
                'héllo wörld ✓', 'short', 'ab', 'x', 'a_name',
                '\\xdeadbeef00',
                '2024-02-29', '13:45:30.123456', '13:45:30.5+05:30', '2024-02-29 23:59:59.999999', '2024-02-29 12:00:00.123456+00',
                '1 year 2 mons 3 days 04:05:06.789', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
                '{"b": [1, 2], "a": "x"}', '{"b": [1, 2], "a": "x"}', 'happy',
                ARRAY[1, NULL, 3],
                ARRAY['a,b', 'q"uote', 'NULL', NULL, '', '{braces}', 'back\\slash', 'with space', 'plain'],
                ARRAY[1.50, NULL, 'NaN', 'Infinity', '-Infinity', -0.001]::numeric[],
                ARRAY['2024-01-01 00:00:00+00', NULL, 'infinity', '-infinity', '1900-01-01 00:00:00+00']::timestamptz[],
                ARRAY['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, NULL],
                ARRAY[true, false, NULL],
                ARRAY['\\x0102'::bytea, NULL, '\\x'::bytea],
                ARRAY['{"k": "v"}'::jsonb, NULL, '[1, "a,b"]'::jsonb],
                '{{1,2},{3,NULL}}',
                ARRAY[['a', 'b c'], ['{x}', NULL]])""",
            // 2: extremes, NaN, a BC date, a negative interval, empty values
            """
            INSERT INTO all_types (id, c_int2, c_int4, c_int8, c_numeric, c_numeric_12_3, c_float4, c_float8, c_bool,
                c_text, c_varchar, c_bpchar, c_char, c_name, c_bytea, c_date, c_time, c_timetz, c_timestamp,
                c_timestamptz, c_interval, c_uuid, c_json, c_jsonb, c_mood, a_int4, a_text)
            VALUES (2, -32768, -2147483648, -9223372036854775808, 'NaN', -999999999.999, 'NaN', 'NaN', false,
                E'line1\\nline2 ''single'' "double" \\\\ back', '', 'abcde', 'Z', 'N', '\\x',
                '0044-03-15 BC', '00:00:00', '23:59:59.999999-09:30', '0044-03-15 12:00:00 BC',
                'infinity', '-1 years -2 mons +3 days -04:05:06.789', '00000000-0000-0000-0000-000000000000',
                '[]', '"just a string"', 'sad', '{}', ARRAY[NULL]::text[])""",
            // 3: every column NULL but the key
            "INSERT INTO all_types (id) VALUES (3)",
            // 4 and 5: the infinities
            """
            INSERT INTO all_types (id, c_numeric, c_numeric_12_3, c_float4, c_float8, c_date, c_timestamp, c_timestamptz)
            VALUES (4, 'Infinity', 0, 'Infinity', 'Infinity', 'infinity', 'infinity', '-infinity')""",
            """
            INSERT INTO all_types (id, c_numeric, c_numeric_12_3, c_float4, c_float8, c_date, c_timestamp, c_timestamptz)
            VALUES (5, '-Infinity', 'NaN', '-Infinity', '-Infinity', '-infinity', '-infinity', '1900-01-01 00:00:00+00')""",
            "COMMIT");
}
