-- Golden pgoutput fixture truncate.bin, recorded by
-- dev.tideline.testing.pgoutput.PgOutputFixtureRecorder; do not edit, re-record instead.
-- Server: PostgreSQL 15.18 (logical_decoding_work_mem = 64kB)
-- Slot options: proto_version '1', publication_names 'tideline_pub', messages 'true'
-- Walsender TimeZone: Asia/Kolkata (text timestamptz values carry its offset)
-- .bin format: repeated [int32 big-endian length][one XLogData payload = one pgoutput message]
-- Messages: 28, tags in order: BRIICBRIICBRRTCBRICBRTCBRRTC

-- Setup, before the slot was created (not in the fixture):
CREATE TABLE parent (id serial PRIMARY KEY, name text);
CREATE TABLE child (id serial PRIMARY KEY, parent_id int4 REFERENCES parent (id));
CREATE PUBLICATION tideline_pub FOR ALL TABLES;

-- Slot created here; the fixture holds the decoding of what follows:
INSERT INTO parent (name) VALUES ('p1'), ('p2');
INSERT INTO child (parent_id) VALUES (1), (2);
TRUNCATE parent RESTART IDENTITY CASCADE;
INSERT INTO parent (name) VALUES ('p3');
TRUNCATE child;
TRUNCATE parent, child;

-- The recorder then emits pg_logical_emit_message(false, 'tideline-fixture-end', '') to find the end of the stream; that message is not in the fixture.
