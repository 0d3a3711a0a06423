-- Golden pgoutput fixture type-and-relation-change.bin, recorded by
-- dev.tideline.testing.pgoutput.PgOutputFixtureRecorder; do not edit, re-record instead.
-- Server: PostgreSQL 15.18 (logical_decoding_work_mem = 64kB)
-- Slot options: proto_version '1', publication_names 'tideline_pub', messages 'true'
-- Walsender TimeZone: Asia/Kolkata (text timestamptz values carry its offset)
-- .bin format: repeated [int32 big-endian length][one XLogData payload = one pgoutput message]
-- Messages: 33, tags in order: BYRICBYRICBYRICBYRICBYRIYRICBYRIC

-- Setup, before the slot was created (not in the fixture):
CREATE TYPE color AS ENUM ('red', 'green');
CREATE TABLE widgets (id int4 PRIMARY KEY, name text, color color);
CREATE PUBLICATION tideline_pub FOR ALL TABLES;

-- Slot created here; the fixture holds the decoding of what follows:
INSERT INTO widgets VALUES (1, 'first', 'red');
ALTER TABLE widgets ADD COLUMN weight numeric(6,2);
INSERT INTO widgets VALUES (2, 'second', 'green', 1.50);
ALTER TABLE widgets DROP COLUMN name;
INSERT INTO widgets VALUES (3, 'red', 2.25);
ALTER TABLE widgets RENAME COLUMN weight TO mass;
ALTER TABLE widgets RENAME TO gadgets;
INSERT INTO gadgets VALUES (4, 'green', 3.00);
BEGIN;
INSERT INTO gadgets VALUES (5, 'red', 4.00);
ALTER TABLE gadgets ADD COLUMN tag text DEFAULT 'none';
INSERT INTO gadgets VALUES (6, 'green', 5.00, 'tagged');
COMMIT;
ALTER TYPE color ADD VALUE 'blue';
INSERT INTO gadgets VALUES (7, 'blue', 6.00, 'x');

-- The recorder then emits pg_logical_emit_message(false, 'tideline-fixture-end', '') to find the end of the stream; that message is not in the fixture.
