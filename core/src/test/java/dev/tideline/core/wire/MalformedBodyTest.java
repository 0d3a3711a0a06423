package dev.tideline.core.wire;

import static dev.tideline.core.wire.Fixtures.GATEWAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tideline.core.Lsn;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.ChangeEvent.OldRowKind;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.RelationSchema;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Any damaged body must end in a TidelineException(FATAL) — never another exception, a hang or a huge allocation. */
class MalformedBodyTest {

    private static final Lsn LSN = Lsn.parse("1/2");
    private static final Instant TIME = Instant.parse("2024-05-01T12:00:00Z");

    private static List<byte[]> bodiesOfEveryKind() {
        List<Object> values = Fixtures.edgeValues();
        RelationSchema schema = Fixtures.schema("public", "tbl", values.size());
        Row row = Row.of(values);
        List<ChangeBatch> batches = List.of(
                new ChangeBatch.Rows(LSN, TIME, 5, 1, true, schema,
                        List.of(RowChange.insert(1, row), RowChange.update(2, OldRowKind.KEY, row, row), RowChange.delete(9, OldRowKind.FULL, row))),
                new ChangeBatch.Snapshot("snap", LSN, 1, 2, true, schema, List.of(row, row)),
                new ChangeBatch.SnapshotBegin("snap", LSN, schema),
                new ChangeBatch.SnapshotDone("snap", LSN, schema.table(), 10, 2),
                new ChangeBatch.Schema(LSN, 4, schema),
                new ChangeBatch.Truncate(LSN, TIME, 5, 0, true, 3, 77, schema.table(), true, true),
                new ChangeBatch.Message(true, LSN, 3, LSN, 5, "prefix", new byte[] {1, 2, 3}));
        List<byte[]> bodies = new ArrayList<>();
        for (ChangeBatch batch : batches) {
            bodies.add(WireCodec.encode(GATEWAY, batch).body());
        }
        return bodies;
    }

    private static void decodeExpectingOnlyTidelineException(byte[] body, String what) {
        try {
            WireCodec.decode(body);
        } catch (TidelineException e) {
            assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
        } catch (Throwable t) {
            fail(what + ": decode threw " + t, t);
        }
    }

    @Test
    void everyTruncationIsRejectedAsFatalNamingFieldAndOffset() {
        for (byte[] body : bodiesOfEveryKind()) {
            for (int length = 0; length < body.length; length++) {
                byte[] cut = Arrays.copyOf(body, length);
                TidelineException e = assertThrows(TidelineException.class, () -> WireCodec.decode(cut), "length " + length);
                assertEquals(TidelineException.Kind.FATAL, e.kind());
                if (length > 0) {
                    assertTrue(e.getMessage().contains("field '") && e.getMessage().contains("byte offset"), e.getMessage());
                }
            }
        }
    }

    @Test
    void trailingBytesAreRejected() {
        for (byte[] body : bodiesOfEveryKind()) {
            byte[] longer = Arrays.copyOf(body, body.length + 1);
            TidelineException e = assertThrows(TidelineException.class, () -> WireCodec.decode(longer));
            assertTrue(e.getMessage().contains("trailing"), e.getMessage());
        }
    }

    @Test
    void randomCorruptionNeverThrowsAnythingElse() {
        Random random = new Random(99);
        for (byte[] body : bodiesOfEveryKind()) {
            for (int n = 0; n < 3000; n++) {
                byte[] bad = body.clone();
                int flips = 1 + random.nextInt(4);
                for (int i = 0; i < flips; i++) {
                    int at = random.nextInt(bad.length);
                    bad[at] = random.nextInt(3) == 0 ? (byte) 0xFF : (byte) random.nextInt(256);
                }
                decodeExpectingOnlyTidelineException(bad, "corruption " + n);
            }
        }
    }

    @Test
    void randomGarbageNeverThrowsAnythingElse() {
        Random random = new Random(3);
        for (int n = 0; n < 20_000; n++) {
            byte[] garbage = new byte[random.nextInt(64)];
            random.nextBytes(garbage);
            if (garbage.length >= 4) {
                garbage[0] = 'T';
                garbage[1] = 'L';
                garbage[2] = 1;
                garbage[3] = (byte) (1 + random.nextInt(7));
            }
            decodeExpectingOnlyTidelineException(garbage, "garbage " + n);
        }
    }

    @Test
    void hugeDeclaredLengthsDoNotAllocate() {
        // A MESSAGE whose prefix claims 2^62 bytes.
        byte[] body = {'T', 'L', 1, 7, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0,
                (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x40};
        TidelineException e = assertThrows(TidelineException.class, () -> WireCodec.decode(body));
        assertTrue(e.getMessage().contains("'prefix'"), e.getMessage());
        assertTrue(e.getMessage().contains("exceeds"), e.getMessage());
    }

    @Test
    void badMagicAndUnknownKindAreNamed() {
        TidelineException magic = assertThrows(TidelineException.class, () -> WireCodec.decode("{\"json\":1}".getBytes()));
        assertTrue(magic.getMessage().contains("'magic'"), magic.getMessage());
        TidelineException kind = assertThrows(TidelineException.class, () -> WireCodec.decode(new byte[] {'T', 'L', 1, 42, 0}));
        assertTrue(kind.getMessage().contains("unknown message kind 42"), kind.getMessage());
        TidelineException format = assertThrows(TidelineException.class,
                () -> WireCodec.decode(java.util.Map.of(WireHeaders.FORMAT, "x"), new byte[] {'T', 'L', 1, 1}));
        assertEquals(TidelineException.Kind.FATAL, format.kind());
    }

    @Test
    void errorNamesTheRowAndColumn() {
        RelationSchema schema = Fixtures.schema("public", "tbl", 3);
        byte[] body = WireCodec.encode(GATEWAY, new ChangeBatch.Snapshot("snap", LSN, 0, 0, false, schema,
                List.of(Row.of(1L, 2L, 3L), Row.of(4L, 5L, 6L)))).body();
        body[body.length - 2] = 99; // the tag of the last value
        TidelineException e = assertThrows(TidelineException.class, () -> WireCodec.decode(body));
        assertTrue(e.getMessage().contains("row 1, column 2 \"c2\""), e.getMessage());
        assertTrue(e.getMessage().contains("unknown value tag 99"), e.getMessage());
        assertTrue(e.getMessage().contains("byte offset " + (body.length - 2)), e.getMessage());
    }
}
