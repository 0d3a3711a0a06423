package dev.tideline.core.wire;

import static dev.tideline.core.wire.Fixtures.GATEWAY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.Lsn;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.RelationSchema;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BatchBuilderTest {

    private static final Lsn LSN = Lsn.parse("A/1");
    private static final Instant TIME = Instant.parse("2024-05-01T12:00:00Z");
    private static final RelationSchema SCHEMA = Fixtures.schema("public", "t", 4);

    /** The publisher loop of the RowsBatchBuilder Javadoc. */
    private static List<EncodedMessage> publish(List<RowChange> changes, BatchLimits limits) {
        List<EncodedMessage> out = new ArrayList<>();
        RowsBatchBuilder builder = new RowsBatchBuilder(GATEWAY, limits);
        int txnSeq = 0;
        builder.start(SCHEMA, LSN, TIME, 1, txnSeq);
        for (RowChange change : changes) {
            if (builder.isFull()) {
                out.add(builder.finish(false));
                builder.start(SCHEMA, LSN, TIME, 1, ++txnSeq);
            }
            if (!builder.add(change)) {
                out.add(builder.finish(false));
                builder.start(SCHEMA, LSN, TIME, 1, ++txnSeq);
                assertTrue(builder.add(change));
            }
        }
        out.add(builder.finish(true));
        return out;
    }

    private static List<RowChange> randomChanges(long seed, int count) {
        Random random = new Random(seed);
        List<RowChange> changes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            changes.add(Fixtures.randomChange(random, i * 2L, SCHEMA.columnCount()));
        }
        return changes;
    }

    @Test
    void encodedSizeIsExactAndMatchesTheCodec() {
        Random random = new Random(1);
        RowsBatchBuilder builder = new RowsBatchBuilder(GATEWAY, BatchLimits.DEFAULT).start(SCHEMA, LSN, TIME, 1, 0);
        List<RowChange> changes = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            RowChange change = Fixtures.randomChange(random, i, SCHEMA.columnCount());
            changes.add(change);
            assertTrue(builder.add(change));
        }
        int size = builder.encodedSize();
        EncodedMessage built = builder.finish(true);
        assertEquals(size, built.body().length);
        EncodedMessage encoded = WireCodec.encode(GATEWAY, new ChangeBatch.Rows(LSN, TIME, 1, 0, true, SCHEMA, changes));
        assertArrayEquals(encoded.body(), built.body());
        assertEquals(encoded.headers(), built.headers());
    }

    @Test
    void batchesAreCutBySizeDeterministicallyAndCoverEveryChange() {
        List<RowChange> changes = randomChanges(5, 3000);
        BatchLimits limits = new BatchLimits(4096, 8192);
        List<EncodedMessage> first = publish(changes, limits);
        List<EncodedMessage> again = publish(changes, limits);
        assertTrue(first.size() > 10, "expected several batches, got " + first.size());
        assertEquals(first.size(), again.size());
        List<RowChange> decoded = new ArrayList<>();
        for (int i = 0; i < first.size(); i++) {
            EncodedMessage m = first.get(i);
            assertEquals(m.msgId(), again.get(i).msgId(), "re-publish yields the same ids");
            assertTrue(m.body().length <= limits.maxBytes());
            ChangeBatch.Rows rows = (ChangeBatch.Rows) WireCodec.decode(m.headers(), m.body());
            assertEquals(i, rows.txnSeq());
            assertEquals(i == first.size() - 1, rows.lastInTxn());
            assertEquals(Long.toString(rows.changes().get(0).ordinal()), m.headers().get(WireHeaders.ORDINAL));
            decoded.addAll(rows.changes());
        }
        assertEquals(changes.size(), decoded.size());
        for (int i = 0; i < changes.size(); i++) {
            assertTrue(Fixtures.sameChange(changes.get(i), decoded.get(i)));
        }
    }

    @Test
    void aRowThatDoesNotFitIsTakenBackAndGoesIntoTheNextBatch() {
        BatchLimits limits = new BatchLimits(1000, 2000);
        RelationSchema schema = Fixtures.schema("public", "t", 1);
        RowsBatchBuilder builder = new RowsBatchBuilder(GATEWAY, limits).start(schema, LSN, TIME, 1, 0);
        assertTrue(builder.insert(0, Row.of("x".repeat(900))));
        int size = builder.encodedSize();
        assertFalse(builder.insert(1, Row.of("y".repeat(1200))));
        assertEquals(size, builder.encodedSize());
        assertEquals(1, builder.rowCount());
        ChangeBatch.Rows rows = (ChangeBatch.Rows) WireCodec.decode(builder.finish(false).body());
        assertEquals(1, rows.changes().size());
        assertTrue(builder.start(schema, LSN, TIME, 1, 1).insert(1, Row.of("y".repeat(1200))));
    }

    @Test
    void aSingleRowLargerThanTheLimitGivesAClearError() {
        BatchLimits limits = new BatchLimits(1000, 2000);
        RelationSchema schema = Fixtures.schema("public", "big", 1);
        RowsBatchBuilder builder = new RowsBatchBuilder(GATEWAY, limits).start(schema, LSN, TIME, 1, 0);
        TidelineException e = assertThrows(TidelineException.class, () -> builder.insert(5, Row.of(new byte[5000])));
        assertEquals(TidelineException.Kind.NEEDS_OPERATOR, e.kind());
        assertTrue(e.getMessage().contains("public.big") && e.getMessage().contains("A/1#5"), e.getMessage());
        assertTrue(e.hint().contains("max_payload"), e.hint());
        assertTrue(builder.isEmpty());

        SnapshotBatchBuilder snapshots = new SnapshotBatchBuilder(GATEWAY, limits).start(schema, "s1", LSN, 0, 0);
        assertThrows(TidelineException.class, () -> snapshots.add(Row.of(new byte[5000])));
    }

    @Test
    void limitsFollowTheServersMaxPayload() {
        assertEquals(BatchLimits.DEFAULT, BatchLimits.forMaxPayload(1024 * 1024));
        BatchLimits eight = BatchLimits.forMaxPayload(8L * 1024 * 1024);
        assertEquals(BatchLimits.DEFAULT_TARGET_BYTES, eight.targetBytes());
        assertEquals(8 * 1024 * 1024 - 16 * 1024, eight.maxBytes());
        RelationSchema schema = Fixtures.schema("public", "big", 1);
        assertTrue(new RowsBatchBuilder(GATEWAY, eight).start(schema, LSN, TIME, 1, 0).insert(0, Row.of(new byte[3 * 1024 * 1024])),
                "a 3 MiB row fits under an 8 MB max_payload");
        BatchLimits tiny = BatchLimits.forMaxPayload(64 * 1024);
        assertEquals(48 * 1024, tiny.maxBytes());
        assertEquals(48 * 1024, tiny.targetBytes());
    }

    @Test
    void aRowUpToTheDefaultMaximumIsPublishable() {
        RelationSchema schema = Fixtures.schema("public", "big", 1);
        RowsBatchBuilder builder = new RowsBatchBuilder(GATEWAY, BatchLimits.DEFAULT).start(schema, LSN, TIME, 1, 0);
        assertTrue(builder.insert(0, Row.of(new byte[BatchLimits.DEFAULT_MAX_BYTES - 200])));
        assertTrue(builder.isFull());
        assertTrue(builder.finish(true).body().length <= BatchLimits.DEFAULT_MAX_BYTES);
    }

    @Test
    void unsupportedJavaTypeNamesTheColumnAndLeavesTheBatchIntact() {
        RowsBatchBuilder builder = new RowsBatchBuilder(GATEWAY, BatchLimits.DEFAULT).start(SCHEMA, LSN, TIME, 1, 0);
        builder.insert(0, Row.of(1L, 2L, 3L, 4L));
        int size = builder.encodedSize();
        TidelineException e = assertThrows(TidelineException.class,
                () -> builder.insert(1, Row.of(1L, new java.util.Date(), 3L, 4L)));
        assertEquals(TidelineException.Kind.FATAL, e.kind());
        assertTrue(e.getMessage().contains("java.util.Date") && e.getMessage().contains("we\"ird.col ü"), e.getMessage());
        assertEquals(size, builder.encodedSize());
        assertEquals(1, ((ChangeBatch.Rows) WireCodec.decode(builder.finish(true).body())).changes().size());
    }

    @Test
    void misuseIsRefused() {
        RowsBatchBuilder builder = new RowsBatchBuilder(GATEWAY, BatchLimits.DEFAULT);
        assertThrows(IllegalStateException.class, () -> builder.insert(0, Row.of(1L, 2L, 3L, 4L)));
        builder.start(SCHEMA, LSN, TIME, 1, 0);
        assertThrows(IllegalStateException.class, () -> builder.finish(true));
        builder.insert(3, Row.of(1L, 2L, 3L, 4L));
        assertThrows(IllegalArgumentException.class, () -> builder.insert(3, Row.of(1L, 2L, 3L, 4L)));
        assertThrows(IllegalArgumentException.class, () -> builder.insert(4, Row.of(1L)));
        builder.finish(true);
        assertThrows(IllegalStateException.class, () -> builder.insert(9, Row.of(1L, 2L, 3L, 4L)));
        assertThrows(IllegalArgumentException.class, () -> new RowsBatchBuilder("bad id", BatchLimits.DEFAULT));
    }
}
