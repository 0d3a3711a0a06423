-- Golden pgoutput fixture update-delete-full-identity.bin, recorded by
-- dev.tideline.testing.pgoutput.PgOutputFixtureRecorder; do not edit, re-record instead.
-- Server: PostgreSQL 15.18 (logical_decoding_work_mem = 64kB)
-- Slot options: proto_version '1', publication_names 'tideline_pub', messages 'true'
-- Walsender TimeZone: Asia/Kolkata (text timestamptz values carry its offset)
-- .bin format: repeated [int32 big-endian length][one XLogData payload = one pgoutput message]
-- Messages: 14, tags in order: BRIICBUCBUCBDC

-- Setup, before the slot was created (not in the fixture):
CREATE TABLE accounts (id int8 PRIMARY KEY, owner text NOT NULL, balance numeric(12,2));
ALTER TABLE accounts REPLICA IDENTITY FULL;
CREATE PUBLICATION tideline_pub FOR ALL TABLES;

-- Slot created here; the fixture holds the decoding of what follows:
INSERT INTO accounts VALUES (1, 'ann', 10.00), (2, 'bob', NULL);
UPDATE accounts SET balance = 11.25 WHERE id = 1;
UPDATE accounts SET id = 20, balance = 1 WHERE id = 2;
DELETE FROM accounts WHERE id = 1;

-- The recorder then emits pg_logical_emit_message(false, 'tideline-fixture-end', '') to find the end of the stream; that message is not in the fixture.
