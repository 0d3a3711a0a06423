package dev.tideline.core.wire;

import static dev.tideline.core.wire.Fixtures.GATEWAY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.ChangeEvent.OldRowKind;
import dev.tideline.core.change.Row;
import dev.tideline.core.naming.Subjects;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WireCodecTest {

    private static final Lsn LSN = Lsn.parse("16/B374D848");
    private static final Instant TIME = Instant.parse("2024-05-01T12:00:00.123456Z");

    private static ChangeBatch roundTrip(ChangeBatch batch) {
        EncodedMessage message = WireCodec.encode(GATEWAY, batch);
        ChangeBatch decoded = WireCodec.decode(message.headers(), message.body());
        // Re-encoding what was decoded gives the same bytes: the format has one encoding per value.
        assertArrayEquals(message.body(), WireCodec.encode(GATEWAY, decoded).body());
        return decoded;
    }

    @Test
    void everyEdgeValueRoundTripsExactlyInEveryRowPosition() {
        List<Object> values = Fixtures.edgeValues();
        RelationSchema schema = Fixtures.schema("public", "edge", values.size());
        Row row = Row.of(values);
        List<RowChange> changes = List.of(
                RowChange.insert(0, row),
                RowChange.update(1, OldRowKind.FULL, row, row),
                RowChange.update(2, OldRowKind.NONE, null, row),
                RowChange.delete(7, OldRowKind.KEY, row));
        ChangeBatch.Rows decoded = (ChangeBatch.Rows) roundTrip(new ChangeBatch.Rows(LSN, TIME, 4711, 3, true, schema, changes));
        for (int c = 0; c < changes.size(); c++) {
            RowChange original = changes.get(c);
            RowChange back = decoded.changes().get(c);
            assertTrue(Fixtures.sameChange(original, back), "change " + c);
            Row newRow = back.newRow() != null ? back.newRow() : back.oldRow();
            for (int i = 0; i < values.size(); i++) {
                Object value = values.get(i);
                assertTrue(Fixtures.same(value, newRow.get(i)), () -> "value " + value + " came back as " + newRow.get(0));
                if (value instanceof List) {
                    assertInstanceOf(List.class, newRow.get(i));
                } else if (value != null) {
                    assertEquals(value.getClass(), newRow.get(i).getClass(), "Java type of " + value);
                }
            }
        }
        assertEquals(schema, decoded.schema());
        assertEquals(LSN, decoded.commitLsn());
        assertEquals(TIME, decoded.commitTime());
        assertEquals(4711, decoded.xid());
        assertEquals(3, decoded.txnSeq());
        assertTrue(decoded.lastInTxn());
    }

    @Test
    void randomRowsBatchesRoundTrip() {
        Random random = new Random(20240501L);
        for (int n = 0; n < 3000; n++) {
            int columns = random.nextInt(12);
            RelationSchema schema = Fixtures.schema("s" + random.nextInt(3), Fixtures.randomString(random).replace('\0', '0') + "t", columns);
            List<RowChange> changes = new ArrayList<>();
            long ordinal = random.nextInt(4) == 0 ? Long.MAX_VALUE - 100 : random.nextInt(1000);
            int rows = 1 + random.nextInt(20);
            for (int i = 0; i < rows; i++) {
                changes.add(Fixtures.randomChange(random, ordinal, columns));
                ordinal += 1 + random.nextInt(3);
            }
            ChangeBatch.Rows batch = new ChangeBatch.Rows(Fixtures.lsn(random), Instant.ofEpochSecond(random.nextInt(), random.nextInt(1_000_000_000)),
                    random.nextLong() & Long.MAX_VALUE, random.nextInt(Integer.MAX_VALUE), random.nextBoolean(), schema, changes);
            ChangeBatch.Rows back = (ChangeBatch.Rows) roundTrip(batch);
            assertEquals(batch.schema(), back.schema());
            assertEquals(batch.commitLsn(), back.commitLsn());
            assertEquals(batch.commitTime(), back.commitTime());
            assertEquals(batch.xid(), back.xid());
            assertEquals(batch.txnSeq(), back.txnSeq());
            assertEquals(batch.lastInTxn(), back.lastInTxn());
            for (int i = 0; i < rows; i++) {
                assertTrue(Fixtures.sameChange(batch.changes().get(i), back.changes().get(i)), "case " + n + " row " + i);
            }
        }
    }

    @Test
    void randomSnapshotBatchesRoundTrip() {
        Random random = new Random(7L);
        for (int n = 0; n < 1500; n++) {
            int columns = random.nextInt(10);
            RelationSchema schema = Fixtures.schema("public", "t" + n, columns);
            List<Row> rows = new ArrayList<>();
            int count = 1 + random.nextInt(20);
            for (int i = 0; i < count; i++) {
                rows.add(Fixtures.randomRow(random, columns));
            }
            ChangeBatch.Snapshot batch = new ChangeBatch.Snapshot("00000003-0000001B-" + n, Fixtures.lsn(random), random.nextInt(100),
                    random.nextInt(100), random.nextBoolean(), schema, rows);
            ChangeBatch.Snapshot back = (ChangeBatch.Snapshot) roundTrip(batch);
            assertEquals(batch.snapshotId(), back.snapshotId());
            assertEquals(batch.validAtLsn(), back.validAtLsn());
            assertEquals(batch.chunk(), back.chunk());
            assertEquals(batch.batch(), back.batch());
            assertEquals(batch.lastInChunk(), back.lastInChunk());
            assertEquals(batch.schema(), back.schema());
            for (int i = 0; i < count; i++) {
                assertTrue(Fixtures.sameRow(rows.get(i), back.rows().get(i)), "case " + n + " row " + i);
            }
        }
    }

    @Test
    void controlKindsRoundTrip() {
        RelationSchema schema = Fixtures.schema("my schema", "my.table", 3);
        TableId table = schema.table();
        List<ChangeBatch> batches = List.of(
                new ChangeBatch.SnapshotBegin("snap-1", LSN, schema),
                new ChangeBatch.SnapshotDone("snap-1", LSN, table, 123_456_789_012L, 17),
                new ChangeBatch.SnapshotDone("snap-1", LSN, table, 0, 0),
                new ChangeBatch.Schema(LSN, 5, schema),
                new ChangeBatch.Schema(Lsn.INVALID, 0, new RelationSchema(1, table, ReplicaIdentity.NOTHING, List.of())),
                new ChangeBatch.Truncate(LSN, TIME, 99, 2, true, 12, 16_385, table, true, false),
                new ChangeBatch.Truncate(LSN, TIME, 0, 0, false, 0, -1, table, false, true),
                new ChangeBatch.Message(true, LSN, 3, Lsn.parse("16/B374D000"), 77, "my-prefix", "{\"a\":1}".getBytes(StandardCharsets.UTF_8)),
                new ChangeBatch.Message(false, LSN, 0, LSN, 0, "", new byte[0]));
        for (ChangeBatch batch : batches) {
            assertEquals(batch, roundTrip(batch), batch.kind().name());
        }
    }

    @Test
    void headersCarryRoutingFieldsAndTheMsgId() {
        RelationSchema schema = Fixtures.schema("public", "orders", 2);
        ChangeBatch.Rows rows = new ChangeBatch.Rows(LSN, TIME, 1, 4, false, schema,
                List.of(RowChange.insert(42, Row.of(1L, "a")), RowChange.insert(45, Row.of(2L, "b"))));
        EncodedMessage m = WireCodec.encode(GATEWAY, rows);
        assertEquals(Subjects.changes(GATEWAY, schema.table()), m.subject());
        assertEquals("tideline.cdc.gw-1.public.orders", m.subject());
        Map<String, String> h = m.headers();
        assertEquals("1", h.get(WireHeaders.FORMAT));
        assertEquals("ROWS", h.get(WireHeaders.KIND));
        assertEquals("public.orders", h.get(WireHeaders.TABLE));
        assertEquals("16/B374D848", h.get(WireHeaders.COMMIT_LSN));
        assertEquals("42", h.get(WireHeaders.ORDINAL));
        assertEquals("45", h.get(WireHeaders.LAST_ORDINAL));
        assertEquals("4", h.get(WireHeaders.TXN_SEQ));
        assertEquals("false", h.get(WireHeaders.TXN_LAST));
        assertEquals("2", h.get(WireHeaders.ROW_COUNT));
        assertEquals("gw-1:ROWS:public.orders:00000016B374D848:42", m.msgId());

        ChangeBatch.Snapshot snapshot = new ChangeBatch.Snapshot("snap-1", LSN, 3, 9, true, schema, List.of(Row.of(1L, "a")));
        EncodedMessage s = WireCodec.encode(GATEWAY, snapshot);
        assertEquals("gw-1:SNAPSHOT:public.orders:snap-1:3:9", s.msgId());
        assertEquals("true", s.headers().get(WireHeaders.CHUNK_LAST));
        assertEquals("16/B374D848", s.headers().get(WireHeaders.SNAPSHOT_LSN));

        assertEquals("gw-1:SNAPSHOT_DONE:public.orders:snap-1",
                WireCodec.encode(GATEWAY, new ChangeBatch.SnapshotDone("snap-1", LSN, schema.table(), 1, 1)).msgId());
        assertEquals("gw-1:TRUNCATE:public.orders:00000016B374D848:7",
                WireCodec.encode(GATEWAY, new ChangeBatch.Truncate(LSN, TIME, 1, 0, true, 7, 1, schema.table(), false, false)).msgId());
        EncodedMessage msg = WireCodec.encode(GATEWAY, new ChangeBatch.Message(true, LSN, 8, LSN, 1, "p", new byte[] {1}));
        assertEquals("gw-1:MESSAGE:00000016B374D848:8", msg.msgId());
        assertEquals("tideline.cdc.gw-1._messages", msg.subject());
        assertFalse(msg.headers().containsKey(WireHeaders.TABLE));
    }

    @Test
    void namesThatNeedEscapingStayOneTokenInSubjectHeaderAndMsgId() {
        RelationSchema schema = Fixtures.schema("My Schema", "order.items:v2", 1);
        EncodedMessage m = WireCodec.encode(GATEWAY, new ChangeBatch.Schema(LSN, 1, schema));
        assertEquals("tideline.cdc.gw-1.My=20Schema.order=2Eitems=3Av2", m.subject());
        assertEquals("My=20Schema.order=2Eitems=3Av2", m.headers().get(WireHeaders.TABLE));
        assertEquals(schema.table(), Subjects.tableOf(m.subject()));
    }

    @Test
    void msgIdIsAPureFunctionOfGatewayAndHeaders() {
        RelationSchema schema = Fixtures.schema("public", "t", 1);
        ChangeBatch.Rows rows = new ChangeBatch.Rows(LSN, TIME, 1, 0, true, schema, List.of(RowChange.insert(3, Row.of(1L))));
        EncodedMessage a = WireCodec.encode(GATEWAY, rows);
        assertEquals(a.msgId(), WireHeaders.natsMsgId(GATEWAY, a.headers()));
        assertNotEquals(a.msgId(), WireCodec.encode("gw-2", rows).msgId());
        // A different row count or content does not change the id; the first ordering key does.
        ChangeBatch.Rows more = new ChangeBatch.Rows(LSN, TIME, 1, 0, true, schema,
                List.of(RowChange.insert(3, Row.of(9L)), RowChange.insert(4, Row.of(1L))));
        assertEquals(a.msgId(), WireCodec.encode(GATEWAY, more).msgId());
        Map<String, String> missing = new HashMap<>(a.headers());
        missing.remove(WireHeaders.ORDINAL);
        assertThrows(IllegalArgumentException.class, () -> WireHeaders.natsMsgId(GATEWAY, missing));
    }

    @Test
    void newerFormatIsRefusedWithAnUpgradeHint() {
        RelationSchema schema = Fixtures.schema("public", "t", 1);
        EncodedMessage m = WireCodec.encode(GATEWAY, new ChangeBatch.Schema(LSN, 1, schema));
        Map<String, String> headers = new HashMap<>(m.headers());
        headers.put(WireHeaders.FORMAT, "3");
        TidelineException e = assertThrows(TidelineException.class, () -> WireCodec.decode(headers, m.body()));
        assertEquals(TidelineException.Kind.NEEDS_OPERATOR, e.kind());
        assertTrue(e.getMessage().contains("written by a newer Tideline"), e.getMessage());
        assertTrue(e.getMessage().contains("upgrade the consumer"), e.getMessage());

        byte[] body = m.body().clone();
        body[2] = 9;
        TidelineException fromBody = assertThrows(TidelineException.class, () -> WireCodec.decode(body));
        assertTrue(fromBody.getMessage().contains("format 9 was written by a newer Tideline"), fromBody.getMessage());
    }

    @Test
    void bodyIsSelfContainedAndStartsWithMagicVersionKind() {
        RelationSchema schema = Fixtures.schema("public", "t", 2);
        EncodedMessage m = WireCodec.encode(GATEWAY, new ChangeBatch.Snapshot("s", LSN, 0, 0, false, schema, List.of(Row.of(1L, "x"))));
        assertEquals('T', m.body()[0]);
        assertEquals('L', m.body()[1]);
        assertEquals(WireCodec.BASE_VERSION, m.body()[2]); // format 2 only with pg-binary values
        assertEquals(BatchKind.SNAPSHOT.code(), m.body()[3]);
        assertInstanceOf(ChangeBatch.Snapshot.class, WireCodec.decode(m.body()));
        assertInstanceOf(ChangeBatch.Snapshot.class, WireCodec.decode(null, m.body()));
    }

    @Test
    void aSmallRowIsCompact() {
        RelationSchema schema = new RelationSchema(16_400, TableId.of("public", "t"), ReplicaIdentity.DEFAULT,
                List.of(new ColumnSchema("id", 20, -1, true), new ColumnSchema("name", 25, -1, false)));
        RowsBatchBuilder builder = new RowsBatchBuilder(GATEWAY, BatchLimits.DEFAULT).start(schema, LSN, TIME, 1, 0);
        builder.insert(0, Row.of(1L, "alice"));
        int one = builder.encodedSize();
        builder.insert(1, Row.of(2L, "bob"));
        // op + ordinal delta + (tag + 1-byte varint) + (tag + length + 3 chars)
        assertEquals(2 + 2 + 5, builder.encodedSize() - one);
    }
}
