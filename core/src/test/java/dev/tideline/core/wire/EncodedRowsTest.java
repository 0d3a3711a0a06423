package dev.tideline.core.wire;

import static dev.tideline.core.wire.Fixtures.GATEWAY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.PgType;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import dev.tideline.core.value.PgTextValues;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pre-encoded rows (pg-binary values, format 2) against the typed encoding of the same rows. */
class EncodedRowsTest {

    private static final Lsn LSN = Lsn.parse("A/1");
    private static final int MOOD_ENUM_OID = 16_500;
    private static final RelationSchema SCHEMA = new RelationSchema(7, TableId.of("public", "t"), ReplicaIdentity.DEFAULT, List.of(
            new ColumnSchema("id", PgType.INT8, -1, true),
            new ColumnSchema("qty", PgType.INT4, -1, false),
            new ColumnSchema("note", PgType.TEXT, -1, false),
            new ColumnSchema("amount", PgType.NUMERIC, 786_438, false),
            new ColumnSchema("at", PgType.TIMESTAMPTZ, -1, false),
            new ColumnSchema("tags", PgType.INT4_ARRAY, -1, false),
            new ColumnSchema("mood", MOOD_ENUM_OID, -1, false)));

    private static byte[] int8(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    private static byte[] int4(int v) {
        return ByteBuffer.allocate(4).putInt(v).array();
    }

    /** numeric 1234.50: ndigits 2, weight 0, sign +, dscale 2, digits 1234, 5000. */
    private static byte[] numeric123450() {
        return ByteBuffer.allocate(12).putShort((short) 2).putShort((short) 0).putShort((short) 0).putShort((short) 2)
                .putShort((short) 1234).putShort((short) 5000).array();
    }

    /** int4[] {1, NULL, 3}. */
    private static byte[] int4Array() {
        return ByteBuffer.allocate(12 + 8 + 8 + 4 + 8).putInt(1).putInt(1).putInt(PgType.INT4).putInt(3).putInt(1)
                .putInt(4).putInt(1).putInt(-1).putInt(4).putInt(3).array();
    }

    private static EncodedRows sample(int rows) {
        EncodedRows encoded = new EncodedRows(SCHEMA, 64);
        for (int i = 0; i < rows; i++) {
            encoded.startRow();
            byte[] id = int8(i);
            encoded.addPgBinary(id, 0, id.length);
            if (i % 3 == 0) {
                encoded.addNull();
            } else {
                byte[] qty = int4(-i);
                encoded.addPgBinary(qty, 0, qty.length);
            }
            byte[] note = ("n\u00e9 " + i).getBytes(StandardCharsets.UTF_8);
            encoded.addPgBinary(note, 0, note.length);
            byte[] amount = numeric123450();
            encoded.addPgBinary(amount, 0, amount.length);
            byte[] at = int8(3_600_000_000L); // 2000-01-01T01:00:00Z
            encoded.addPgBinary(at, 0, at.length);
            byte[] tags = int4Array();
            encoded.addPgBinary(tags, 0, tags.length);
            byte[] mood = "happy".getBytes(StandardCharsets.UTF_8);
            encoded.addText(mood, 0, mood.length);
            encoded.endRow();
        }
        return encoded;
    }

    /** The same rows as the text decoder gives them, i.e. what the snapshot published before format 2. */
    private static Row typed(int i) {
        return Row.of((long) i, i % 3 == 0 ? null : -i, "n\u00e9 " + i, PgTextValues.decode(PgType.NUMERIC, 786_438, "1234.50"),
                PgTextValues.decode(PgType.TIMESTAMPTZ, -1, "2000-01-01 01:00:00+00"), PgTextValues.decode(PgType.INT4_ARRAY, -1, "{1,NULL,3}"),
                PgTextValues.decode(MOOD_ENUM_OID, -1, "happy"));
    }

    @Test
    void pgBinaryRowsDecodeToTheValuesOfTheTextForm() {
        EncodedRows rows = sample(10);
        assertEquals(10, rows.size());
        for (int i = 0; i < rows.size(); i++) {
            assertTrue(Fixtures.sameRow(typed(i), rows.row(i)), "row " + i);
            assertEquals((long) i, rows.value(i, 0));
        }
    }

    @Test
    void aSnapshotBatchOfEncodedRowsIsFormat2AndDecodesLikeTheTypedBatch() {
        EncodedRows rows = sample(50);
        SnapshotBatchBuilder builder = new SnapshotBatchBuilder(GATEWAY, BatchLimits.DEFAULT).start(SCHEMA, "s1", LSN, 3, 0);
        for (int i = 0; i < rows.size(); i++) {
            assertTrue(builder.add(rows, i));
        }
        EncodedMessage m = builder.finish(true);
        assertEquals(2, m.body()[2]);
        assertEquals("2", m.headers().get(WireHeaders.FORMAT));
        ChangeBatch.Snapshot decoded = (ChangeBatch.Snapshot) WireCodec.decode(m.headers(), m.body());
        List<Row> expected = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            expected.add(typed(i));
        }
        assertEquals(50, decoded.rows().size());
        for (int i = 0; i < 50; i++) {
            assertTrue(Fixtures.sameRow(expected.get(i), decoded.rows().get(i)), "row " + i);
        }
        EncodedMessage typedMessage = WireCodec.encode(GATEWAY, new ChangeBatch.Snapshot("s1", LSN, 3, 0, true, SCHEMA, expected));
        assertEquals(typedMessage.msgId(), m.msgId());
        assertEquals("1", typedMessage.headers().get(WireHeaders.FORMAT));
    }

    @Test
    void rowsWithoutPgBinaryValuesStayFormat1ByteForByte() {
        EncodedRows rows = new EncodedRows(SCHEMA, 64);
        List<Row> typedRows = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            typedRows.add(typed(i));
            rows.addRow(typed(i));
        }
        SnapshotBatchBuilder builder = new SnapshotBatchBuilder(GATEWAY, BatchLimits.DEFAULT).start(SCHEMA, "s1", LSN, 0, 0);
        for (int i = 0; i < rows.size(); i++) {
            builder.add(rows, i);
        }
        EncodedMessage m = builder.finish(false);
        EncodedMessage typedMessage = WireCodec.encode(GATEWAY, new ChangeBatch.Snapshot("s1", LSN, 0, 0, false, SCHEMA, typedRows));
        assertArrayEquals(typedMessage.body(), m.body());
        assertEquals(typedMessage.headers(), m.headers());
    }

    @Test
    void encodedRowsMixWithCopiedAndTypedRows() {
        EncodedRows source = sample(4);
        EncodedRows mixed = new EncodedRows(SCHEMA, 16);
        mixed.addRow(source, 2);
        mixed.addRow(typed(7));
        mixed.addRow(source, 0);
        assertTrue(Fixtures.sameRow(typed(2), mixed.row(0)));
        assertTrue(Fixtures.sameRow(typed(7), mixed.row(1)));
        assertTrue(Fixtures.sameRow(typed(0), mixed.row(2)));
    }

    @Test
    void batchesAreCutAtRowBoundariesLikeTypedRows() {
        EncodedRows rows = sample(2_000);
        BatchLimits limits = new BatchLimits(4096, 8192);
        List<Row> all = new ArrayList<>();
        SnapshotBatchBuilder builder = new SnapshotBatchBuilder(GATEWAY, limits).start(SCHEMA, "s1", LSN, 0, 0);
        int batch = 0;
        for (int i = 0; i < rows.size(); i++) {
            if (!builder.add(rows, i) || builder.isFull()) {
                boolean added = builder.rowCount() > 0 && !builder.isFull();
                EncodedMessage m = builder.finish(false);
                assertTrue(m.body().length <= limits.maxBytes());
                all.addAll(((ChangeBatch.Snapshot) WireCodec.decode(m.body())).rows());
                builder.start(SCHEMA, "s1", LSN, 0, ++batch);
                if (added) {
                    assertTrue(builder.add(rows, i));
                }
            }
        }
        if (!builder.isEmpty()) {
            all.addAll(((ChangeBatch.Snapshot) WireCodec.decode(builder.finish(true).body())).rows());
        }
        assertEquals(2_000, all.size());
        for (int i = 0; i < all.size(); i++) {
            assertTrue(Fixtures.sameRow(typed(i), all.get(i)), "row " + i);
        }
    }

    @Test
    void misuseIsRefused() {
        EncodedRows rows = new EncodedRows(SCHEMA, 16);
        assertThrows(IllegalStateException.class, rows::addNull);
        rows.startRow();
        byte[] text = "x".getBytes(StandardCharsets.UTF_8);
        assertThrows(IllegalArgumentException.class, () -> rows.addText(text, 0, 1)); // id is int8: binary only
        byte[] id = int8(1);
        rows.addPgBinary(id, 0, 8);
        assertThrows(IllegalArgumentException.class, rows::endRow);
        for (int i = 1; i < 6; i++) {
            rows.addNull();
        }
        assertThrows(IllegalArgumentException.class, () -> rows.addPgBinary(text, 0, 1)); // the enum column takes text
        rows.addNull();
        assertThrows(IllegalArgumentException.class, rows::addNull);
        rows.endRow();
        assertEquals(1, rows.size());
    }

    @Test
    void pgBinaryValuesAreRefusedInFormat1BodiesInsideListsAndForUntypedColumns() {
        EncodedRows rows = sample(1);
        SnapshotBatchBuilder builder = new SnapshotBatchBuilder(GATEWAY, BatchLimits.DEFAULT).start(SCHEMA, "s1", LSN, 0, 0);
        builder.add(rows, 0);
        byte[] body = builder.finish(true).body();
        byte[] asFormat1 = body.clone();
        asFormat1[2] = 1;
        TidelineException e = assertThrows(TidelineException.class, () -> WireCodec.decode(asFormat1));
        assertTrue(e.getMessage().contains("format 1"), e.getMessage());

        // A pg-binary int4 value for a column declared as the enum: the writer refuses, and so does the reader.
        RelationSchema enumOnly = new RelationSchema(8, TableId.of("public", "e"), ReplicaIdentity.FULL,
                List.of(new ColumnSchema("mood", MOOD_ENUM_OID, -1, false)));
        byte[] forged = forgedSnapshot(enumOnly, new byte[] {ValueTag.PG_BINARY, 1, 'x'});
        TidelineException untyped = assertThrows(TidelineException.class, () -> WireCodec.decode(forged));
        assertTrue(untyped.getMessage().contains("no typed binary decoding"), untyped.getMessage());

        RelationSchema listOnly = new RelationSchema(9, TableId.of("public", "l"), ReplicaIdentity.FULL,
                List.of(new ColumnSchema("xs", PgType.INT4_ARRAY, -1, false)));
        byte[] nested = forgedSnapshot(listOnly, new byte[] {ValueTag.LIST, 1, ValueTag.PG_BINARY, 4, 0, 0, 0, 1});
        TidelineException inList = assertThrows(TidelineException.class, () -> WireCodec.decode(nested));
        assertTrue(inList.getMessage().contains("only as a column value"), inList.getMessage());

        byte[] badInt = forgedSnapshot(listOnly, new byte[] {ValueTag.PG_BINARY, 3, 0, 0, 1});
        TidelineException invalid = assertThrows(TidelineException.class, () -> WireCodec.decode(badInt));
        assertTrue(invalid.getMessage().contains("column 0 \"xs\""), invalid.getMessage());
        assertFalse(invalid.getMessage().isEmpty());
    }

    /** A format-2 SNAPSHOT body of one row whose single value is {@code value}, written by hand. */
    private static byte[] forgedSnapshot(RelationSchema schema, byte[] value) {
        WireWriter w = new WireWriter(64);
        w.u8('T');
        w.u8('L');
        w.u8(2);
        w.u8(BatchKind.SNAPSHOT.code());
        w.u8(1);
        w.u64(LSN.value());
        w.str("s1");
        w.uvarint(0);
        w.uvarint(0);
        w.schema(schema);
        w.uvarint(1);
        w.raw(value, 0, value.length);
        return w.toArray();
    }
}
