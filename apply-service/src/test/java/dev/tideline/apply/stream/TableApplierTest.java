package dev.tideline.apply.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.apply.delta.ScdType;
import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.ChangeEvent.OldRowKind;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import dev.tideline.core.sink.SinkCommit;
import dev.tideline.core.wire.Ack;
import dev.tideline.core.wire.ChangeBatch;
import dev.tideline.core.wire.RowChange;
import dev.tideline.testing.InMemoryTableSink;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The exactly-once core against the in-memory sink: no NATS, no Delta. Every test feeds
 * {@link TableApplier} the messages a staging stream would deliver, with acknowledgements that record
 * when they were sent, and checks the sink's content, its commits and the acknowledgements.
 */
class TableApplierTest {

    static final TableId TABLE = TableId.of("public", "orders");
    static final RelationSchema SCHEMA = new RelationSchema(1, TABLE, ReplicaIdentity.DEFAULT,
            List.of(new ColumnSchema("id", 20, -1, true), new ColumnSchema("v", 25, -1, false)));
    static final RelationSchema KEYLESS = new RelationSchema(2, TABLE, ReplicaIdentity.FULL,
            List.of(new ColumnSchema("a", 20, -1, false), new ColumnSchema("b", 25, -1, false)));
    static final TableTarget TARGET = new TableTarget(TABLE, "main", "sales", "orders", ScdType.SCD_TYPE_1, List.of());
    static final ApplySettings SETTINGS = ApplySettings.DEFAULT.withMaxBatchRows(100).withMaxBatchDelay(Duration.ofHours(1));

    final InMemoryTableSink sink = new InMemoryTableSink("orders", List.of());
    final List<String> events = new ArrayList<>();
    final ApplyListener listener = new ApplyListener() {
        @Override
        public void committed(TableTarget target, String location, Lsn appliedLsn, long rowChanges, SinkCommit outcome) {
            events.add("committed " + appliedLsn + " " + rowChanges);
        }

        @Override
        public void failed(TableTarget target, TidelineException error) {
            events.add("failed " + error.getMessage());
        }
    };
    long nextSequence = 1;

    /** An acknowledgement that remembers whether, and against which applied LSN of the sink, it was sent. */
    final class RecordedAck implements Ack {
        final long sequence = nextSequence++;
        boolean acked;
        Lsn sinkLsnWhenAcked;
        int inProgress;

        @Override
        public void ack() {
            acked = true;
            sinkLsnWhenAcked = sink.appliedLsn();
        }

        @Override
        public void inProgress() {
            inProgress++;
        }

        @Override
        public long streamSequence() {
            return sequence;
        }
    }

    TableApplier applier(ApplySettings settings) {
        return new TableApplier("p", TARGET, sink, listener, settings, ApplyFaults.NONE);
    }

    RecordedAck deliver(TableApplier applier, ChangeBatch batch) {
        RecordedAck ack = new RecordedAck();
        applier.accept(ack, batch);
        return ack;
    }

    List<RecordedAck> deliverAll(TableApplier applier, List<ChangeBatch> batches) {
        List<RecordedAck> acks = new ArrayList<>();
        for (ChangeBatch b : batches) {
            acks.add(deliver(applier, b));
        }
        return acks;
    }

    static ChangeBatch.Rows rows(long lsn, int seq, boolean last, RowChange... changes) {
        return new ChangeBatch.Rows(Lsn.of(lsn), Instant.EPOCH, lsn, seq, last, SCHEMA, List.of(changes));
    }

    static ChangeBatch.Rows keyless(long lsn, int seq, boolean last, RowChange... changes) {
        return new ChangeBatch.Rows(Lsn.of(lsn), Instant.EPOCH, lsn, seq, last, KEYLESS, List.of(changes));
    }

    /** One single-message transaction inserting {@code ids} (value "v" + id). */
    static ChangeBatch.Rows inserts(long lsn, long... ids) {
        RowChange[] changes = new RowChange[ids.length];
        for (int i = 0; i < ids.length; i++) {
            changes[i] = RowChange.insert(i, Row.of(ids[i], "v" + ids[i]));
        }
        return rows(lsn, 0, true, changes);
    }

    static ChangeBatch.Truncate truncate(long lsn, int seq, boolean last) {
        return new ChangeBatch.Truncate(Lsn.of(lsn), Instant.EPOCH, lsn, seq, last, 0, 1, TABLE, false, false);
    }

    static Map<String, Object> row(Object id, Object v) {
        Map<String, Object> m = new HashMap<>();
        m.put("id", id);
        m.put("v", v);
        return m;
    }

    List<Object> ids() {
        return sink.rows().stream().map(r -> r.get("id")).sorted(Comparator.comparingLong(o -> (Long) o)).map(o -> (Object) o).toList();
    }

    static void assertAckedAfterCommitOf(long lsn, List<RecordedAck> acks) {
        for (RecordedAck a : acks) {
            assertTrue(a.acked, "message " + a.sequence + " acknowledged");
            assertFalse(a.sinkLsnWhenAcked.isBefore(Lsn.of(lsn)), "message " + a.sequence + " acknowledged only after the commit of " + lsn
                    + " returned, was at " + a.sinkLsnWhenAcked);
        }
    }

    static void assertNoneAcked(List<RecordedAck> acks) {
        for (RecordedAck a : acks) {
            assertFalse(a.acked, "message " + a.sequence + " acknowledged too early");
        }
    }

    @Test
    void completeTransactionsAreCommittedTogetherInSourceOrderAndAcknowledgedAfterTheCommit() {
        TableApplier applier = applier(SETTINGS);
        List<RecordedAck> acks = deliverAll(applier, List.of(
                rows(0x100, 0, false, RowChange.insert(0, Row.of(1L, "a"))),
                rows(0x100, 1, true, RowChange.insert(1, Row.of(2L, "b"))),
                rows(0x200, 0, true, RowChange.update(0, OldRowKind.NONE, null, Row.of(1L, "a2")),
                        RowChange.delete(1, OldRowKind.KEY, Row.of(2L, null)))));
        assertNoneAcked(acks);
        assertEquals(List.of(), sink.commits());
        assertEquals(4, applier.pendingRows());

        applier.flush();

        assertEquals(List.of(new InMemoryTableSink.Commit(Lsn.of(0x200), 4, "commit")), sink.commits(), "one commit, at the last LSN");
        assertEquals(List.of(row(1L, "a2")), sink.rows(), "applied in source order: the update and delete after the inserts");
        assertAckedAfterCommitOf(0x200, acks);
        assertEquals(Lsn.of(0x200), applier.appliedLsn());
        assertFalse(applier.holdsMessages());
        assertEquals(List.of("committed " + Lsn.of(0x200) + " 4"), events);
    }

    @Test
    void aTransactionIsNeverSplitAcrossCommits() {
        TableApplier applier = applier(SETTINGS.withMaxBatchRows(3));
        List<RecordedAck> acks = new ArrayList<>();
        acks.add(deliver(applier, inserts(0x100, 1, 2, 3)));
        acks.add(deliver(applier, rows(0x200, 0, false, RowChange.insert(0, Row.of(4L, "d")))));
        // A batch's worth is buffered, but only the first transaction is complete.
        assertTrue(applier.due(System.nanoTime(), false), "the buffered rows are due by size");
        applier.flush();
        assertEquals(List.of(1L, 2L, 3L), ids(), "only the complete transaction");
        assertEquals(List.of(true, false), acks.stream().map(a -> a.acked).toList());

        acks.add(deliver(applier, rows(0x200, 1, true, RowChange.insert(1, Row.of(5L, "e")))));
        applier.flush();
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), ids());
        assertEquals(List.of(Lsn.of(0x100), Lsn.of(0x200)), sink.commits().stream().map(InMemoryTableSink.Commit::lsn).toList(),
                "0x200 in one commit, although it arrived in two messages around a flush");
        assertAckedAfterCommitOf(0x200, acks.subList(1, 3));
    }

    @Test
    void redeliveredTransactionsAtOrBelowTheAppliedLsnAreAcknowledgedWithoutApplying() {
        TableApplier first = applier(SETTINGS);
        deliver(first, inserts(0x100, 1));
        deliver(first, inserts(0x200, 2));
        first.flush();
        deliver(first, rows(0x300, 0, true, RowChange.delete(0, OldRowKind.KEY, Row.of(1L, null))));
        first.flush();

        // A restart: the new applier learns the applied LSN from the sink, and the stream redelivers.
        TableApplier restarted = applier(SETTINGS);
        assertEquals(Lsn.of(0x300), restarted.appliedLsn());
        List<RecordedAck> copies = deliverAll(restarted, List.of(inserts(0x100, 1), inserts(0x200, 2),
                rows(0x300, 0, true, RowChange.delete(0, OldRowKind.KEY, Row.of(1L, null)))));
        assertTrue(copies.stream().allMatch(a -> a.acked), "acknowledged at once");
        assertFalse(restarted.holdsMessages());
        restarted.flush();
        assertEquals(2, sink.commits().size(), "nothing applied twice");
        assertEquals(List.of(2L), ids(), "the row deleted at 0x300 did not come back");
    }

    @Test
    void aCopyOfAHeldMessageIsAcknowledgedWithTheCommit() {
        TableApplier applier = applier(SETTINGS);
        RecordedAck original = deliver(applier, inserts(0x100, 1));
        RecordedAck copy = deliver(applier, inserts(0x100, 1));
        assertFalse(copy.acked);
        applier.flush();
        assertAckedAfterCommitOf(0x100, List.of(original, copy));
        assertEquals(1, sink.rows().size());
    }

    @Test
    void aRetryableFailureLeavesTheMessagesUnacknowledgedAndTheRedeliveryAppliesOnce() {
        TableApplier applier = applier(SETTINGS);
        List<RecordedAck> acks = deliverAll(applier, List.of(inserts(0x100, 1, 2), inserts(0x200, 3)));
        sink.failNext(new TidelineException(TidelineException.Kind.RETRYABLE, "storage unreachable", "retry"));

        TidelineException e = assertThrows(TidelineException.class, applier::flush);
        assertTrue(e.isRetryable());
        assertNoneAcked(acks);
        assertEquals(List.of(), sink.commits());
        assertFalse(applier.isFailed());

        // The process dies; its unacknowledged messages come back to the next one.
        TableApplier next = applier(SETTINGS);
        List<RecordedAck> redelivered = deliverAll(next, List.of(inserts(0x100, 1, 2), inserts(0x200, 3)));
        next.flush();
        assertAckedAfterCommitOf(0x200, redelivered);
        assertEquals(List.of(1L, 2L, 3L), ids());
        assertEquals(1, sink.commits().size());

        // And the old applier, had it survived, retries without applying anything twice.
        applier.flush();
        assertAckedAfterCommitOf(0x200, acks);
        assertEquals(1, sink.commits().size());
        assertEquals(List.of(1L, 2L, 3L), ids());
    }

    @Test
    void aFailedTableAcknowledgesAndDropsChangesUntilASnapshotReplacesIt() {
        TableApplier applier = applier(SETTINGS);
        deliver(applier, inserts(0x100, 1));
        applier.flush();
        List<RecordedAck> acks = deliverAll(applier, List.of(inserts(0x200, 2)));
        sink.failNext(new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, "column v cannot hold the value",
                "run a full refresh of this table"));
        applier.flush();

        assertTrue(applier.isFailed());
        assertEquals("column v cannot hold the value — run a full refresh of this table", sink.failure(), "recorded in the table");
        assertTrue(acks.get(0).acked, "a change the table cannot take is dropped");
        assertEquals(List.of("committed " + Lsn.of(0x100) + " 1", "failed column v cannot hold the value"), events);

        RecordedAck dropped = deliver(applier, inserts(0x300, 3));
        assertTrue(dropped.acked);
        applier.flush();
        assertEquals(List.of(1L), ids(), "nothing applied while FAILED");

        // A restart reads the mark from the table.
        TableApplier restarted = applier(SETTINGS);
        assertTrue(restarted.isFailed());
        assertTrue(deliver(restarted, inserts(0x400, 4)).acked);

        List<RecordedAck> snapshot = deliverAll(restarted, List.of(
                new ChangeBatch.SnapshotBegin("s1", Lsn.of(0x500), SCHEMA),
                new ChangeBatch.Snapshot("s1", Lsn.of(0x500), 0, 0, true, SCHEMA, List.of(Row.of(7L, "x"), Row.of(8L, "y"))),
                new ChangeBatch.SnapshotDone("s1", Lsn.of(0x500), TABLE, 2, 1)));
        assertAckedAfterCommitOf(0x500, snapshot);
        assertFalse(restarted.isFailed());
        assertNull(sink.failure());
        assertEquals(List.of(7L, 8L), ids());

        deliver(restarted, inserts(0x600, 9));
        restarted.flush();
        assertEquals(List.of(7L, 8L, 9L), ids(), "changes are applied again after the snapshot");
    }

    @Test
    void aLostMessageFailsTheTableWithTheRemedy() {
        TableApplier applier = applier(SETTINGS);
        deliver(applier, rows(0x100, 0, false, RowChange.insert(0, Row.of(1L, "a"))));
        RecordedAck gap = deliver(applier, rows(0x100, 2, true, RowChange.insert(2, Row.of(3L, "c"))));
        assertTrue(gap.acked);
        assertTrue(applier.isFailed());
        assertTrue(applier.failure().contains("message 2 arrived while 1 was expected"), applier.failure());
        assertTrue(applier.failure().contains("run a full refresh"), applier.failure());
        assertFalse(sink.exists(), "nothing of the broken transaction was applied");
    }

    @Test
    void changesDuringASnapshotAreReplayedOnTopOfItAndEverythingIsAcknowledgedAfterIt() {
        TableApplier applier = applier(SETTINGS);
        deliver(applier, inserts(0x100, 1, 2));
        applier.flush();

        List<RecordedAck> acks = deliverAll(applier, List.of(
                new ChangeBatch.SnapshotBegin("s1", Lsn.of(0x300), SCHEMA),
                new ChangeBatch.Snapshot("s1", Lsn.of(0x300), 0, 0, false, SCHEMA, List.of(Row.of(10L, "a"), Row.of(11L, "b"))),
                // Written while the chunks are read: 0x200 is already in the snapshot, 0x400 is not.
                rows(0x200, 0, true, RowChange.insert(0, Row.of(10L, "a"))),
                rows(0x400, 0, true, RowChange.update(0, OldRowKind.NONE, null, Row.of(11L, "b2")), RowChange.insert(1, Row.of(13L, "d"))),
                new ChangeBatch.Snapshot("s1", Lsn.of(0x300), 0, 1, true, SCHEMA, List.of(Row.of(12L, "c"))),
                // A copy of a batch already written is dropped.
                new ChangeBatch.Snapshot("s1", Lsn.of(0x300), 0, 1, true, SCHEMA, List.of(Row.of(12L, "c")))));
        applier.flush();
        assertEquals(List.of(1L, 2L), ids(), "readers see the old content until the snapshot is done");
        assertNoneAcked(acks);

        acks.add(deliver(applier, new ChangeBatch.SnapshotDone("s1", Lsn.of(0x300), TABLE, 3, 1)));

        assertEquals(List.of(10L, 11L, 12L, 13L), ids());
        assertTrue(sink.rows().contains(row(11L, "b2")), "the change after the snapshot's LSN replayed on top");
        assertEquals(Lsn.of(0x400), applier.appliedLsn());
        assertEquals("s1", sink.snapshotId());
        assertAckedAfterCommitOf(0x400, acks);

        // BEGIN redelivered after the replacement committed (a crash before the acks): ignored.
        List<RecordedAck> copies = deliverAll(applier, List.of(new ChangeBatch.SnapshotBegin("s1", Lsn.of(0x300), SCHEMA),
                new ChangeBatch.Snapshot("s1", Lsn.of(0x300), 0, 0, false, SCHEMA, List.of(Row.of(10L, "a"))),
                new ChangeBatch.SnapshotDone("s1", Lsn.of(0x300), TABLE, 3, 1)));
        assertTrue(copies.stream().allMatch(a -> a.acked));
        assertEquals(List.of(10L, 11L, 12L, 13L), ids());
    }

    @Test
    void aTruncateDuringASnapshotDiscardsTheReadsBeforeIt() {
        TableApplier applier = applier(SETTINGS);
        deliverAll(applier, List.of(
                new ChangeBatch.SnapshotBegin("s1", Lsn.of(0x300), SCHEMA),
                new ChangeBatch.Snapshot("s1", Lsn.of(0x300), 0, 0, true, SCHEMA, List.of(Row.of(1L, "a"))),
                truncate(0x400, 0, true),
                new ChangeBatch.Snapshot("s1", Lsn.of(0x300), 1, 0, true, SCHEMA, List.of(Row.of(2L, "b"))),
                rows(0x500, 0, true, RowChange.insert(0, Row.of(3L, "c"))),
                new ChangeBatch.SnapshotDone("s1", Lsn.of(0x300), TABLE, 2, 2)));
        assertEquals(List.of(2L, 3L), ids());
        assertEquals(Lsn.of(0x500), applier.appliedLsn());
    }

    @Test
    void aSnapshotWhoseRowCountDoesNotAddUpFailsTheTable() {
        TableApplier applier = applier(SETTINGS);
        List<RecordedAck> acks = deliverAll(applier, List.of(
                new ChangeBatch.SnapshotBegin("s1", Lsn.of(0x300), SCHEMA),
                new ChangeBatch.Snapshot("s1", Lsn.of(0x300), 0, 0, false, SCHEMA, List.of(Row.of(1L, "a"))),
                new ChangeBatch.SnapshotDone("s1", Lsn.of(0x300), TABLE, 1, 1)));
        assertTrue(applier.isFailed(), "the chunk read never completed");
        assertTrue(acks.stream().allMatch(a -> a.acked));
        assertFalse(sink.exists());
    }

    @Test
    void aLargeTransactionIsWrittenInStagedRoundsAndPublishedByOneCommit() {
        TableApplier applier = applier(SETTINGS.withMaxBatchRows(2));
        deliver(applier, inserts(0x100, 1));
        List<RecordedAck> acks = new ArrayList<>();
        for (int seq = 0; seq < 5; seq++) {
            acks.add(deliver(applier, rows(0x200, seq, false, RowChange.insert(2 * seq, Row.of(10L + 2 * seq, "x")),
                    RowChange.insert(2 * seq + 1, Row.of(11L + 2 * seq, "y")))));
            assertEquals(List.of(Lsn.of(0x100)), sink.commits().stream().map(InMemoryTableSink.Commit::lsn).toList(),
                    "the transaction before it committed first, nothing of 0x200 is published");
            assertEquals(List.of(1L), ids());
        }
        assertEquals(5, sink.stagedRounds(), "written in rounds while it arrived");
        assertEquals(0, applier.pendingRows(), "its rows are not held in memory");
        assertNoneAcked(acks);

        acks.add(deliver(applier, rows(0x200, 5, true, RowChange.delete(10, OldRowKind.KEY, Row.of(10L, null)))));
        assertTrue(applier.due(System.nanoTime(), false), "a complete staged transaction is published at once");
        applier.flush();

        assertEquals(List.of(new InMemoryTableSink.Commit(Lsn.of(0x100), 1, "commit"), new InMemoryTableSink.Commit(Lsn.of(0x200), 11, "staged")),
                sink.commits(), "published by one commit");
        assertEquals(List.of(1L, 11L, 12L, 13L, 14L, 15L, 16L, 17L, 18L, 19L), ids());
        assertAckedAfterCommitOf(0x200, acks);
        assertEquals(List.of("committed " + Lsn.of(0x100) + " 1", "committed " + Lsn.of(0x200) + " 11"), events);
    }

    @Test
    void aKeylessTableKeepsIdenticalRowsAsAMultiset() {
        InMemoryTableSink history = new InMemoryTableSink("history", List.of());
        TableApplier applier = new TableApplier("p", TARGET, history, listener, SETTINGS, ApplyFaults.NONE);
        deliver(applier, keyless(0x100, 0, true, RowChange.insert(0, Row.of(1L, null)), RowChange.insert(1, Row.of(1L, null)),
                RowChange.insert(2, Row.of(2L, "b"))));
        deliver(applier, keyless(0x200, 0, true, RowChange.delete(0, OldRowKind.FULL, Row.of(1L, null))));
        applier.flush();
        assertEquals(List.of(List.of(1L, "null"), List.of(2L, "b")), history.rows().stream()
                .map(r -> List.<Object>of(r.get("a"), String.valueOf(r.get("b")))).sorted(Comparator.comparing(Object::toString)).toList(),
                "one of two identical rows deleted");
    }

    @Test
    void theCommittedBeforeAckFaultStopsBetweenTheCommitAndTheAcknowledgements() {
        TableApplier applier = new TableApplier("p", TARGET, sink, listener, SETTINGS, point -> {
            if (point.equals(ApplyFaults.COMMITTED_BEFORE_ACK)) {
                throw new InjectedCrash(point);
            }
        });
        List<RecordedAck> acks = deliverAll(applier, List.of(inserts(0x100, 1)));
        assertThrows(InjectedCrash.class, applier::flush);
        assertEquals(Lsn.of(0x100), sink.appliedLsn(), "committed");
        assertNoneAcked(acks);

        TableApplier restarted = applier(SETTINGS);
        assertTrue(deliver(restarted, inserts(0x100, 1)).acked, "the redelivery is skipped by LSN");
        assertEquals(1, sink.commits().size());
    }

    @Test
    void heldMessagesAreKeptAliveEveryThirdOfTheAckWait() {
        TableApplier applier = applier(SETTINGS.withAckWait(Duration.ofSeconds(3)));
        RecordedAck held = deliver(applier, rows(0x100, 0, false, RowChange.insert(0, Row.of(1L, "a"))));
        applier.keepAlive(System.nanoTime() + Duration.ofSeconds(2).toNanos());
        assertEquals(1, held.inProgress);
        assertEquals(held.sequence, applier.minHeldStreamSequence());
    }
}
