-- Golden pgoutput fixture all-types-binary.bin, recorded by
-- dev.tideline.testing.pgoutput.PgOutputFixtureRecorder; do not edit, re-record instead.
-- Server: PostgreSQL 15.18 (logical_decoding_work_mem = 64kB)
-- Slot options: proto_version '1', publication_names 'tideline_pub', messages 'true', binary 'true'
-- Walsender TimeZone: Asia/Kolkata (text timestamptz values carry its offset)
-- .bin format: repeated [int32 big-endian length][one XLogData payload = one pgoutput message]
-- Messages: 9, tags in order: BYRI{5}C

-- Setup, before the slot was created (not in the fixture):
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
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
);
CREATE PUBLICATION tideline_pub FOR ALL TABLES;

-- Slot created here; the fixture holds the decoding of what follows:
BEGIN;
INSERT INTO all_types VALUES (1,
    32767, 2147483647, 9223372036854775807,
    123456789012345678901234567890.123456789, 12.345,
    3.14, 2.718281828459045,
    true,
    'héllo wörld ✓', 'short', 'ab', 'x', 'a_name',
    '\xdeadbeef00',
    '2024-02-29', '13:45:30.123456', '13:45:30.5+05:30', '2024-02-29 23:59:59.999999', '2024-02-29 12:00:00.123456+00',
    '1 year 2 mons 3 days 04:05:06.789', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    '{"b": [1, 2], "a": "x"}', '{"b": [1, 2], "a": "x"}', 'happy',
    ARRAY[1, NULL, 3],
    ARRAY['a,b', 'q"uote', 'NULL', NULL, '', '{braces}', 'back\slash', 'with space', 'plain'],
    ARRAY[1.50, NULL, 'NaN', 'Infinity', '-Infinity', -0.001]::numeric[],
    ARRAY['2024-01-01 00:00:00+00', NULL, 'infinity', '-infinity', '1900-01-01 00:00:00+00']::timestamptz[],
    ARRAY['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, NULL],
    ARRAY[true, false, NULL],
    ARRAY['\x0102'::bytea, NULL, '\x'::bytea],
    ARRAY['{"k": "v"}'::jsonb, NULL, '[1, "a,b"]'::jsonb],
    '{{1,2},{3,NULL}}',
    ARRAY[['a', 'b c'], ['{x}', NULL]]);
INSERT INTO all_types (id, c_int2, c_int4, c_int8, c_numeric, c_numeric_12_3, c_float4, c_float8, c_bool,
    c_text, c_varchar, c_bpchar, c_char, c_name, c_bytea, c_date, c_time, c_timetz, c_timestamp,
    c_timestamptz, c_interval, c_uuid, c_json, c_jsonb, c_mood, a_int4, a_text)
VALUES (2, -32768, -2147483648, -9223372036854775808, 'NaN', -999999999.999, 'NaN', 'NaN', false,
    E'line1\nline2 ''single'' "double" \\ back', '', 'abcde', 'Z', 'N', '\x',
    '0044-03-15 BC', '00:00:00', '23:59:59.999999-09:30', '0044-03-15 12:00:00 BC',
    'infinity', '-1 years -2 mons +3 days -04:05:06.789', '00000000-0000-0000-0000-000000000000',
    '[]', '"just a string"', 'sad', '{}', ARRAY[NULL]::text[]);
INSERT INTO all_types (id) VALUES (3);
INSERT INTO all_types (id, c_numeric, c_numeric_12_3, c_float4, c_float8, c_date, c_timestamp, c_timestamptz)
VALUES (4, 'Infinity', 0, 'Infinity', 'Infinity', 'infinity', 'infinity', '-infinity');
INSERT INTO all_types (id, c_numeric, c_numeric_12_3, c_float4, c_float8, c_date, c_timestamp, c_timestamptz)
VALUES (5, '-Infinity', 'NaN', '-Infinity', '-Infinity', '-infinity', '-infinity', '1900-01-01 00:00:00+00');
COMMIT;

-- The recorder then emits pg_logical_emit_message(false, 'tideline-fixture-end', '') to find the end of the stream; that message is not in the fixture.
