package dev.tideline.gateway.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.Lsn;
import org.junit.jupiter.api.Test;

class CommitTrackerTest {

    @Test
    void advancesOnlyOverFullyAcknowledgedTransactionsInCommitOrder() {
        CommitTracker tracker = new CommitTracker();
        CommitTracker.Txn first = tracker.open();
        first.published();
        first.published();
        tracker.seal(first, Lsn.of(100));
        CommitTracker.Txn second = tracker.open();
        second.published();
        tracker.seal(second, Lsn.of(200));
        CommitTracker.Txn empty = tracker.open();
        tracker.seal(empty, Lsn.of(300));

        second.acknowledged();
        assertEquals(Lsn.INVALID, tracker.advance(), "an earlier transaction is still in flight");
        first.acknowledged();
        assertEquals(Lsn.INVALID, tracker.advance());
        first.acknowledged();
        assertEquals(Lsn.of(300), tracker.advance(), "the empty transaction follows at once");
        assertTrue(tracker.isEmpty());
    }

    @Test
    void anOpenTransactionBlocksEvenWithoutMessages() {
        CommitTracker tracker = new CommitTracker();
        CommitTracker.Txn open = tracker.open();
        assertEquals(Lsn.INVALID, tracker.advance());
        tracker.seal(open, Lsn.of(50));
        assertEquals(Lsn.of(50), tracker.advance());
    }
}
