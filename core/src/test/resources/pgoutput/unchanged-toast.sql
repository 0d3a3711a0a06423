-- Golden pgoutput fixture unchanged-toast.bin, recorded by
-- dev.tideline.testing.pgoutput.PgOutputFixtureRecorder; do not edit, re-record instead.
-- Server: PostgreSQL 15.18 (logical_decoding_work_mem = 64kB)
-- Slot options: proto_version '1', publication_names 'tideline_pub', messages 'true'
-- Walsender TimeZone: Asia/Kolkata (text timestamptz values carry its offset)
-- .bin format: repeated [int32 big-endian length][one XLogData payload = one pgoutput message]
-- Messages: 13, tags in order: BRICBUCBUCBDC

-- Setup, before the slot was created (not in the fixture):
CREATE TABLE docs (id int4 PRIMARY KEY, body text, note text);
ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL;
CREATE PUBLICATION tideline_pub FOR ALL TABLES;

-- Slot created here; the fixture holds the decoding of what follows:
INSERT INTO docs SELECT 1, string_agg(md5(g::text), '' ORDER BY g), 'v1' FROM generate_series(1, 320) g;
UPDATE docs SET note = 'v2' WHERE id = 1;
UPDATE docs SET body = 'small now', note = 'v3' WHERE id = 1;
DELETE FROM docs WHERE id = 1;

-- The recorder then emits pg_logical_emit_message(false, 'tideline-fixture-end', '') to find the end of the stream; that message is not in the fixture.
