package dev.tideline.core.pgoutput;

import static dev.tideline.core.pgoutput.PgOutputDecoderTest.ORDERS;
import static dev.tideline.core.pgoutput.PgOutputDecoderTest.ORDERS_SCHEMA;
import static dev.tideline.core.pgoutput.PgOutputDecoderTest.XID;
import static dev.tideline.core.pgoutput.PgOutputDecoderTest.data;
import static dev.tideline.core.pgoutput.PgOutputDecoderTest.relation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.Lsn;
import dev.tideline.core.change.ChangeEvent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamedTransactionsTest {

    private static final long COMMIT_MICROS = 757_382_400_123_456L;
    private static final Instant COMMIT_TIME = Instant.parse("2024-01-01T00:00:00.123456Z");

    @TempDir
    Path spill;

    private final PgOutputDecoder decoder = new PgOutputDecoder();

    @Test
    void aStreamedCommitWithASubtransactionRollbackComesOutAsOneCommittedTransaction() {
        assertSameAsHoldingEverythingInMemory("proto2-streamed-commit");
    }

    @Test
    void aStreamedAbortLeavesOnlyTheTransactionAfterIt() {
        assertSameAsHoldingEverythingInMemory("proto2-streamed-abort");
    }

    @Test
    void streamedChangesWaitOnDiskAndAnOrdinaryTransactionPassesInBetween() throws IOException {
        StreamedTransactions txns = new StreamedTransactions(decoder, spill);
        txns.accept(PgBytes.message('S').i32((int) XID).i8(1).buffer());
        txns.accept(relation(true).buffer());
        txns.accept(insert(true, 1));
        txns.accept(PgBytes.message('E').buffer());
        assertNull(txns.next());
        assertEquals(1, txns.bufferedTransactions());
        assertTrue(txns.spilledBytes() > 0);
        assertEquals(1, files().size(), "the streamed block is on disk");
        assertTrue(decoder.relation(ORDERS).isPresent(), "a relation announced inside a block is known to the session at once");

        // An ordinary transaction commits between the blocks and passes straight through.
        txns.accept(begin(50, 11));
        txns.accept(insert(false, 7));
        txns.accept(commit(50));
        assertEquals(List.of("Begin", "Insert", "Commit"), kinds(drain(txns)));

        txns.accept(PgBytes.message('S').i32((int) XID).i8(0).buffer());
        txns.accept(insert(true, 2));
        txns.accept(PgBytes.message('E').buffer());
        txns.accept(streamCommit(100));
        List<ChangeEvent> events = drain(txns);
        assertEquals(List.of("Begin", "Relation", "Insert", "Insert", "Commit"), kinds(events));
        assertEquals(new ChangeEvent.Begin(Lsn.of(100), COMMIT_TIME, XID), events.get(0));
        assertEquals(List.of(1L, 2L), Stream.of(events.get(2), events.get(3)).map(e -> ((ChangeEvent.Insert) e).newRow().get(0)).toList());
        assertEquals(0, txns.bufferedTransactions());
        assertEquals(List.of(), files(), "a released transaction's file is deleted");
    }

    @Test
    void aSubtransactionAbortDropsOnlyItsChangesAndATopLevelAbortDeletesTheFile() throws IOException {
        StreamedTransactions txns = new StreamedTransactions(decoder, spill);
        long sub = XID + 1;
        txns.accept(PgBytes.message('S').i32((int) XID).i8(1).buffer());
        txns.accept(relation(true).buffer());
        txns.accept(insert(true, 1));
        txns.accept(PgBytes.message('I').i32((int) sub).i32(ORDERS).i8('N').tuple("2", null, null, null).buffer());
        txns.accept(insert(true, 3));
        txns.accept(PgBytes.message('E').buffer());
        txns.accept(PgBytes.message('A').i32((int) XID).i32((int) sub).buffer());
        long doomed = XID + 100;
        txns.accept(PgBytes.message('S').i32((int) doomed).i8(1).buffer());
        txns.accept(PgBytes.message('E').buffer());
        assertEquals(2, files().size());
        txns.accept(PgBytes.message('A').i32((int) doomed).i32((int) doomed).buffer());
        assertEquals(1, files().size(), "an aborted transaction's file is deleted at once");
        assertNull(txns.next());

        txns.accept(streamCommit(200));
        List<ChangeEvent> events = drain(txns);
        assertEquals(List.of(1L, 3L), events.stream().filter(ChangeEvent.Insert.class::isInstance)
                .map(e -> ((ChangeEvent.Insert) e).newRow().get(0)).toList());
        assertEquals(List.of(), files());
    }

    @Test
    void closeDeletesTheFilesOfOpenTransactions() throws IOException {
        StreamedTransactions txns = new StreamedTransactions(decoder, spill);
        txns.accept(PgBytes.message('S').i32((int) XID).i8(1).buffer());
        txns.accept(relation(true).buffer());
        assertEquals(1, files().size());
        txns.close();
        assertEquals(List.of(), files());
        assertEquals(0, txns.bufferedTransactions());
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Feeds a recorded stream's raw messages through {@link StreamedTransactions} and compares the
     * output with the obvious in-memory algorithm over the decoded events: buffer per top-level
     * xid, drop aborted (sub)transactions, release Begin … Commit at Stream Commit.
     */
    private void assertSameAsHoldingEverythingInMemory(String scenario) {
        List<byte[]> messages = PgOutputFixtures.messages(scenario);
        PgOutputDecoder reference = new PgOutputDecoder();
        List<ChangeEvent> expected = new ArrayList<>();
        Map<Long, List<ChangeEvent>> open = new HashMap<>();
        long streaming = 0;
        for (byte[] message : messages) {
            ChangeEvent e = reference.decode(ByteBuffer.wrap(message));
            if (e instanceof ChangeEvent.StreamStart s) {
                streaming = s.xid();
                open.computeIfAbsent(streaming, x -> new ArrayList<>());
            } else if (e instanceof ChangeEvent.StreamStop) {
                streaming = 0;
            } else if (e instanceof ChangeEvent.StreamCommit c) {
                expected.add(new ChangeEvent.Begin(c.commitLsn(), c.commitTime(), c.xid()));
                expected.addAll(open.remove(c.xid()));
                expected.add(new ChangeEvent.Commit(c.flags(), c.commitLsn(), c.endLsn(), c.commitTime()));
            } else if (e instanceof ChangeEvent.StreamAbort a) {
                if (a.subXid() == a.xid()) {
                    open.remove(a.xid());
                } else {
                    open.get(a.xid()).removeIf(x -> x instanceof ChangeEvent.Insert i && i.xid() == a.subXid()
                            || x instanceof ChangeEvent.Relation r && r.xid() == a.subXid());
                }
            } else if (streaming != 0) {
                open.get(streaming).add(e);
            } else {
                expected.add(e);
            }
        }

        StreamedTransactions txns = new StreamedTransactions(decoder, spill);
        List<ChangeEvent> actual = new ArrayList<>();
        for (byte[] message : messages) {
            ByteBuffer buffer = ByteBuffer.wrap(message);
            txns.accept(buffer);
            assertFalse(buffer.hasRemaining(), "the message is consumed");
            actual.addAll(drain(txns));
        }
        assertTrue(messages.stream().anyMatch(m -> m[0] == 'S'), scenario + " has a streamed transaction");
        assertEquals(kinds(expected), kinds(actual), scenario);
        assertEquals(expected.toString(), actual.toString(), scenario);
        assertEquals(0, txns.bufferedTransactions());
    }

    private static ByteBuffer insert(boolean streamed, long id) {
        return data('I', streamed).i8('N').tuple(Long.toString(id), null, null, null).buffer();
    }

    private static ByteBuffer begin(long lsn, long xid) {
        return PgBytes.message('B').i64(lsn).i64(COMMIT_MICROS).i32((int) xid).buffer();
    }

    private static ByteBuffer commit(long lsn) {
        return PgBytes.message('C').i8(0).i64(lsn).i64(lsn + 8).i64(COMMIT_MICROS).buffer();
    }

    private static ByteBuffer streamCommit(long lsn) {
        return PgBytes.message('c').i32((int) XID).i8(0).i64(lsn).i64(lsn + 8).i64(COMMIT_MICROS).buffer();
    }

    private static List<ChangeEvent> drain(StreamedTransactions txns) {
        List<ChangeEvent> events = new ArrayList<>();
        ChangeEvent e;
        while ((e = txns.next()) != null) {
            events.add(e);
        }
        return events;
    }

    private static List<String> kinds(List<ChangeEvent> events) {
        return events.stream().map(e -> e.getClass().getSimpleName()).toList();
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> files = Files.list(spill)) {
            return files.toList();
        }
    }
}
