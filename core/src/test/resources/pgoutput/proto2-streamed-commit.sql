-- Golden pgoutput fixture proto2-streamed-commit.bin, recorded by
-- dev.tideline.testing.pgoutput.PgOutputFixtureRecorder; do not edit, re-record instead.
-- Server: PostgreSQL 15.18 (logical_decoding_work_mem = 64kB)
-- Slot options: proto_version '2', publication_names 'tideline_pub', messages 'true', streaming 'on'
-- Walsender TimeZone: Asia/Kolkata (text timestamptz values carry its offset)
-- .bin format: repeated [int32 big-endian length][one XLogData payload = one pgoutput message]
-- Messages: 1846, tags in order: SRI{469}ESI{469}ESI{444}ESI{440}EASRI{10}Ec

-- Setup, before the slot was created (not in the fixture):
CREATE TABLE big (id int4 PRIMARY KEY, note text);
CREATE PUBLICATION tideline_pub FOR ALL TABLES;

-- Slot created here; the fixture holds the decoding of what follows:
BEGIN;
INSERT INTO big SELECT g, 'row ' || g FROM generate_series(1, 1000) g;
SAVEPOINT sp;
INSERT INTO big SELECT g, 'rolled back ' || g FROM generate_series(1001, 2000) g;
-- recorder: wait until the subtransaction's changes have been streamed
ROLLBACK TO SAVEPOINT sp;
INSERT INTO big SELECT g, 'after rollback ' || g FROM generate_series(2001, 2010) g;
COMMIT;

-- The recorder then emits pg_logical_emit_message(false, 'tideline-fixture-end', '') to find the end of the stream; that message is not in the fixture.
