package dev.tideline.gateway.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.change.ChangeEvent;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.PgType;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import dev.tideline.core.value.UnchangedToast;
import dev.tideline.core.wire.BatchLimits;
import dev.tideline.core.wire.ChangeBatch;
import dev.tideline.core.wire.EncodedRows;
import dev.tideline.core.wire.EncodedMessage;
import dev.tideline.core.wire.WireCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The capture side of the watermark snapshot, driven with hand-built events in stream order. */
class SnapshotWindowsTest {

    private static final RelationSchema T = new RelationSchema(16384, TableId.of("public", "t"), ReplicaIdentity.DEFAULT,
            List.of(new ColumnSchema("id", PgType.INT8, -1, true), new ColumnSchema("v", PgType.TEXT, -1, false)));

    private final List<ChangeBatch> published = new ArrayList<>();
    private final SnapshotWindows windows = new SnapshotWindows("gw", BatchLimits.DEFAULT);
    private final SnapshotWindows.Sink sink = m -> {
        published.add(decode(m));
        return CompletableFuture.completedFuture(null);
    };

    private static ChangeBatch decode(EncodedMessage m) {
        return WireCodec.decode(m.headers(), m.body());
    }

    private void marker(SnapshotMarker.Kind kind, int read, long lsn) {
        SnapshotMarker m = new SnapshotMarker(kind, "s1", read);
        assertTrue(windows.marker(new ChangeEvent.LogicalMessage(0, false, Lsn.of(lsn), SnapshotMarker.PREFIX,
                m.content().getBytes(StandardCharsets.UTF_8)), sink));
    }

    private void txn(long xid, long commit, ChangeEvent... changes) {
        windows.begin(xid);
        for (ChangeEvent c : changes) {
            windows.change(c);
        }
        windows.commit(Lsn.of(commit));
    }

    private static ChangeEvent update(long xid, long id, Object v) {
        return new ChangeEvent.Update(xid, T, ChangeEvent.OldRowKind.NONE, null, Row.of(id, v));
    }

    private static ChangeEvent delete(long xid, long id) {
        return new ChangeEvent.Delete(xid, T, ChangeEvent.OldRowKind.KEY, Row.of(id, null));
    }

    /** Chunk rows as the reader hands them over: encoded. */
    private static EncodedRows encoded(Row... rows) {
        EncodedRows encoded = new EncodedRows(T, 64);
        for (Row row : rows) {
            encoded.addRow(row);
        }
        return encoded;
    }

    private List<Row> snapshotRows() {
        return published.stream().filter(b -> b instanceof ChangeBatch.Snapshot).flatMap(b -> ((ChangeBatch.Snapshot) b).rows().stream())
                .toList();
    }

    @Test
    void chunkRowsAreBroughtForwardByInvisibleTransactionsOfTheWindowOnly() {
        SnapshotWindows.Registration r = windows.register("s1", T, true);
        marker(SnapshotMarker.Kind.BEGIN, 0, 100);
        assertTrue(r.begun.isDone());
        CompletableFuture<SnapshotWindows.Outcome> outcome = windows.expect("s1", 0);
        marker(SnapshotMarker.Kind.LOW, 0, 200);
        // Visible to the read (xid 50 < xmin 60): already in the rows, must not be applied again.
        txn(50, 210, update(50, 1, "visible"));
        // Invisible (in progress at the read): applied, keeping the TOASTed value it did not send.
        txn(61, 220, update(61, 2, UnchangedToast.VALUE), delete(61, 3));
        windows.offer(new SnapshotWindows.ChunkRead("s1", 0, XidSnapshot.parse("60:62:61"),
                encoded(Row.of(1L, "read"), Row.of(2L, "big"), Row.of(3L, "gone"))));
        marker(SnapshotMarker.Kind.HIGH, 0, 300);
        assertTrue(outcome.join().published());
        assertEquals(Lsn.of(300), outcome.join().validAt());
        assertEquals(List.of(Row.of(1L, "read"), Row.of(2L, "big")), snapshotRows());
        assertTrue(published.get(0) instanceof ChangeBatch.SnapshotBegin);
    }

    @Test
    void aTransactionCommittedBeforeLowButInvisibleToTheReadIsAppliedFromTheHistory() {
        windows.register("s1", T, false);
        marker(SnapshotMarker.Kind.BEGIN, 0, 100);
        CompletableFuture<SnapshotWindows.Outcome> outcome = windows.expect("s1", 0);
        txn(70, 150, update(70, 1, "late")); // commit record before LOW, but still in progress when the read took its snapshot
        marker(SnapshotMarker.Kind.LOW, 0, 200);
        windows.offer(new SnapshotWindows.ChunkRead("s1", 0, XidSnapshot.parse("70:71:70"), encoded(Row.of(1L, "old"))));
        marker(SnapshotMarker.Kind.HIGH, 0, 300);
        assertTrue(outcome.join().published());
        assertEquals(List.of(Row.of(1L, "late")), snapshotRows());
    }

    @Test
    void aChunkWhoseLowWatermarkWasNotSeenIsReadAgain() {
        windows.register("s1", T, false);
        marker(SnapshotMarker.Kind.BEGIN, 0, 100);
        CompletableFuture<SnapshotWindows.Outcome> outcome = windows.expect("s1", 0);
        marker(SnapshotMarker.Kind.LOW, 0, 200);
        windows.sessionStarted(); // reconnected past LOW
        windows.offer(new SnapshotWindows.ChunkRead("s1", 0, XidSnapshot.parse("70:71:"), encoded(Row.of(1L, "x"))));
        marker(SnapshotMarker.Kind.HIGH, 0, 300);
        assertFalse(outcome.join().published());
        assertEquals(List.of(), snapshotRows());
    }

    @Test
    void doneCarriesTheTotalsAndOtherMessagesAreNotMarkers() {
        SnapshotWindows.Registration r = windows.register("s1", T, false);
        marker(SnapshotMarker.Kind.BEGIN, 0, 100);
        r.setTotals(42, 3);
        marker(SnapshotMarker.Kind.DONE, 0, 400);
        ChangeBatch.SnapshotDone done = (ChangeBatch.SnapshotDone) published.get(published.size() - 1);
        assertEquals(42, done.rowCount());
        assertEquals(3, done.chunkCount());
        assertEquals(Lsn.of(400), r.done.join());
        assertFalse(windows.marker(new ChangeEvent.LogicalMessage(0, false, Lsn.of(1), "app", new byte[0]), sink));
    }

    @Test
    void xidVisibilityFollowsPostgres() {
        XidSnapshot s = XidSnapshot.parse("100:105:101,103");
        assertTrue(s.isVisible(99));
        assertTrue(s.isVisible(100));
        assertFalse(s.isVisible(101));
        assertTrue(s.isVisible(102));
        assertFalse(s.isVisible(103));
        assertFalse(s.isVisible(105));
        // 64-bit epoch-extended ids compare with pgoutput's 32-bit xids modulo 2^32
        XidSnapshot epoch = XidSnapshot.parse(((1L << 32) + 10) + ":" + ((1L << 32) + 12) + ":" + ((1L << 32) + 11));
        assertTrue(epoch.isVisible(10));
        assertFalse(epoch.isVisible(11));
        assertFalse(epoch.isVisible(12));
    }
}
