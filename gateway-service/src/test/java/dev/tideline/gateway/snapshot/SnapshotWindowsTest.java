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
        assertEquals(Lsn.of(400), r.doneAnswer.join());
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

    // ---- rows moved to a new key with their TOASTed values unsent ----

    private final List<CompletableFuture<Void>> holds = new ArrayList<>();

    /** A transaction committed with the capture's holds on the slot recorded. */
    private void heldTxn(long xid, long commit, ChangeEvent... changes) {
        windows.begin(xid);
        for (ChangeEvent c : changes) {
            windows.change(c);
        }
        windows.commit(Lsn.of(commit), () -> {
            CompletableFuture<Void> hold = new CompletableFuture<>();
            holds.add(hold);
            return hold;
        });
    }

    /** {@code UPDATE t SET id = to WHERE id = from}, with v unchanged in TOAST: pgoutput sends the old key and no v. */
    private static ChangeEvent move(long xid, long from, long to) {
        return new ChangeEvent.Update(xid, T, ChangeEvent.OldRowKind.KEY, Row.of(from, null), Row.of(to, UnchangedToast.VALUE));
    }

    private boolean doneRefused(SnapshotWindows.Registration r, long lsn) {
        CompletableFuture<Lsn> answer = r.expectDone();
        marker(SnapshotMarker.Kind.DONE, 0, lsn);
        return !answer.join().isValid();
    }

    /** Reads the queued moved rows again as {@code read}, the read seeing {@code visibility}, and finding {@code rows}. */
    private SnapshotWindows.Outcome readMoved(int read, long low, String visibility, Row... rows) {
        List<MovedKeys.Move> moves = windows.movedKeys(T.table()).peek(TableSnapshot.MOVED_KEYS_PER_READ);
        SnapshotWindows.Outcome result = handOverMoved(moves, read, low, visibility, rows).join();
        if (result.published()) {
            windows.movedKeys(T.table()).served(moves);
        }
        return result;
    }

    /** A read of {@code moves} between its LOW and HIGH markers, handed to the capture; the outcome as the capture gives it. */
    private CompletableFuture<SnapshotWindows.Outcome> handOverMoved(List<MovedKeys.Move> moves, int read, long low, String visibility,
                                                                    Row... rows) {
        CompletableFuture<SnapshotWindows.Outcome> outcome = windows.expect("s1", read);
        marker(SnapshotMarker.Kind.LOW, read, low);
        windows.offer(new SnapshotWindows.ChunkRead("s1", read, XidSnapshot.parse(visibility), encoded(rows), moves));
        marker(SnapshotMarker.Kind.HIGH, read, low + 10);
        return outcome;
    }

    @Test
    void aRowMovedWithoutItsToastedValueIsReadAgainByItsNewKeyBeforeTheSnapshotIsDone() {
        SnapshotWindows.Registration r = windows.register("s1", T, true);
        marker(SnapshotMarker.Kind.BEGIN, 0, 100);
        heldTxn(70, 150, move(70, 5, -5), update(70, 6, UnchangedToast.VALUE)); // only the key change is a move
        assertEquals(1, holds.size());
        assertFalse(holds.get(0).isDone(), "the slot is held at the move until the row is published again");
        assertTrue(doneRefused(r, 200), "DONE waits for the moved row");
        assertFalse(published.stream().anyMatch(b -> b instanceof ChangeBatch.SnapshotDone));

        // A read whose snapshot does not see the move cannot serve it.
        assertFalse(readMoved(1, 300, "70:71:70", Row.of(-5L, "stale?")).published());
        assertFalse(holds.get(0).isDone());
        assertTrue(readMoved(2, 400, "71:71:", Row.of(-5L, "big")).published());
        assertEquals(List.of(Row.of(-5L, "big")), snapshotRows());
        assertTrue(holds.get(0).isDone(), "released once published again");

        assertFalse(doneRefused(r, 500));
        assertTrue(published.get(published.size() - 1) instanceof ChangeBatch.SnapshotDone);
        assertEquals(null, windows.movedKeys(T.table()), "done: no longer watched");
    }

    @Test
    void onceEveryChunkIsPublishedOnlyMovesFromRowsNotYetReadAgainAreRead() {
        SnapshotWindows.Registration r = windows.register("s1", T, true);
        marker(SnapshotMarker.Kind.BEGIN, 0, 100);
        heldTxn(70, 150, move(70, 5, -5));
        r.chunksPublished = true;
        heldTxn(71, 160, move(71, 8, -8)); // the consumer holds row 8 as the source does: the update suffices
        heldTxn(72, 170, move(72, -5, -6)); // row -5 is not published again yet: -6 must be read too
        assertEquals(2, holds.size());
        List<MovedKeys.Move> queued = windows.movedKeys(T.table()).peek(10);
        assertEquals(List.of(List.of(-5L), List.of(-6L)), queued.stream().map(MovedKeys.Move::values).toList());
        assertTrue(readMoved(1, 300, "73:73:", Row.of(-6L, "big")).published());
        heldTxn(74, 400, move(74, -6, -7)); // -6 was published again: its value is known downstream
        assertTrue(windows.movedKeys(T.table()).isEmpty());
        assertFalse(doneRefused(r, 500));
    }

    @Test
    void aRowReadAgainButNotYetAcknowledgedIsUnsureAgainInTheNextSession() {
        SnapshotWindows.Registration r = windows.register("s1", T, true);
        marker(SnapshotMarker.Kind.BEGIN, 0, 100);
        heldTxn(70, 150, move(70, 5, -5));
        r.chunksPublished = true;
        // Handed to the stream (not marked served); its publish then fails and the session restarts.
        CompletableFuture<SnapshotWindows.Outcome> outcome = handOverMoved(windows.movedKeys(T.table()).peek(10), 1, 200, "71:71:",
                Row.of(-5L, "big"));
        windows.sessionStarted();
        heldTxn(72, 300, move(72, -5, -6)); // moved on from a row the consumer may still not hold
        assertEquals(2, windows.movedKeys(T.table()).peek(10).size());
        assertTrue(outcome.isDone());
    }

    @Test
    void movesAreWatchedBeforeARunRegistersAndReleasedWhenTheTableSettlesOrStartsAfresh() {
        windows.watch(List.of(T.table()));
        heldTxn(70, 150, move(70, 5, -5)); // replayed after a restart, before the resumed run registered
        assertEquals(1, windows.movedKeys(T.table()).peek(10).size());
        windows.register("s1", T, false); // resumed: the move stays queued
        marker(SnapshotMarker.Kind.BEGIN, 0, 200);
        assertEquals(1, windows.movedKeys(T.table()).peek(10).size());
        windows.register("s2", T, true); // a run from scratch reads every row after its BEGIN
        windows.marker(new ChangeEvent.LogicalMessage(0, false, Lsn.of(300), SnapshotMarker.PREFIX,
                new SnapshotMarker(SnapshotMarker.Kind.BEGIN, "s2", 0).content().getBytes(StandardCharsets.UTF_8)), sink);
        assertTrue(holds.get(0).isDone());
        assertTrue(windows.movedKeys(T.table()).isEmpty());

        heldTxn(71, 400, move(71, 9, -9));
        windows.settle(T.table()); // e.g. found done, or failed for good
        assertTrue(holds.get(1).isDone());
        heldTxn(72, 500, move(72, 10, -10));
        assertEquals(2, holds.size(), "a settled table is not watched");
    }
}
