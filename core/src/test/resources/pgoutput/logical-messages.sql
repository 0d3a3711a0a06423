-- Golden pgoutput fixture logical-messages.bin, recorded by
-- dev.tideline.testing.pgoutput.PgOutputFixtureRecorder; do not edit, re-record instead.
-- Server: PostgreSQL 15.18 (logical_decoding_work_mem = 64kB)
-- Slot options: proto_version '1', publication_names 'tideline_pub', messages 'true'
-- Walsender TimeZone: Asia/Kolkata (text timestamptz values carry its offset)
-- .bin format: repeated [int32 big-endian length][one XLogData payload = one pgoutput message]
-- Messages: 10, tags in order: BRIMCMMBMC

-- Setup, before the slot was created (not in the fixture):
CREATE TABLE notes (id int4 PRIMARY KEY, body text);
CREATE PUBLICATION tideline_pub FOR ALL TABLES;

-- Slot created here; the fixture holds the decoding of what follows:
BEGIN;
INSERT INTO notes VALUES (1, 'with message');
SELECT pg_logical_emit_message(true, 'tideline.test', 'transactional payload');
COMMIT;
SELECT pg_logical_emit_message(false, 'tideline.test', '\x00ff10'::bytea);
BEGIN;
SELECT pg_logical_emit_message(false, 'tideline.audit', 'survives rollback');
SELECT pg_logical_emit_message(true, 'tideline.audit', 'rolled back');
ROLLBACK;
SELECT pg_logical_emit_message(true, 'tideline.test', 'alone in its transaction');

-- The recorder then emits pg_logical_emit_message(false, 'tideline-fixture-end', '') to find the end of the stream; that message is not in the fixture.
