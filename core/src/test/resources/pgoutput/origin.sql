-- Golden pgoutput fixture origin.bin, recorded by
-- dev.tideline.testing.pgoutput.PgOutputFixtureRecorder; do not edit, re-record instead.
-- Server: PostgreSQL 15.18 (logical_decoding_work_mem = 64kB)
-- Slot options: proto_version '1', publication_names 'tideline_pub', messages 'true'
-- Walsender TimeZone: Asia/Kolkata (text timestamptz values carry its offset)
-- .bin format: repeated [int32 big-endian length][one XLogData payload = one pgoutput message]
-- Messages: 8, tags in order: BORICBIC

-- Setup, before the slot was created (not in the fixture):
CREATE TABLE items (id int4 PRIMARY KEY, label text);
SELECT pg_replication_origin_create('upstream-node');
CREATE PUBLICATION tideline_pub FOR ALL TABLES;

-- Slot created here; the fixture holds the decoding of what follows:
SELECT pg_replication_origin_session_setup('upstream-node');
BEGIN;
SELECT pg_replication_origin_xact_setup('0/ABCDEF', '2024-05-01 12:00:00+00');
INSERT INTO items VALUES (1, 'from upstream');
COMMIT;
SELECT pg_replication_origin_session_reset();
INSERT INTO items VALUES (2, 'local');

-- The recorder then emits pg_logical_emit_message(false, 'tideline-fixture-end', '') to find the end of the stream; that message is not in the fixture.
