package dev.tideline.apply.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When a table commits: at once when caught up, amortised while messages wait, bounded by rows and age. */
class FlushPolicyTest {

    static final long MS = 1_000_000L;
    final FlushPolicy adaptive = FlushPolicy.of(1000, Duration.ZERO, Duration.ofSeconds(1));

    @Test
    void nothingBufferedIsNeverDue() {
        assertFalse(adaptive.due(0, 0, 10_000 * MS, true));
    }

    @Test
    void anIdleTableCommitsAtOnce() {
        assertTrue(adaptive.due(1, 1, 0, true), "one complete transaction, nothing more waiting: commit now");
    }

    @Test
    void whileMessagesWaitForTheTableItKeepsReading() {
        assertFalse(adaptive.due(5, 500, 300 * MS, false));
    }

    @Test
    void theRowCapCommitsEvenWhileMessagesWait() {
        assertTrue(adaptive.due(3, 1000, 0, false));
        assertFalse(adaptive.due(3, 999, 0, false));
    }

    @Test
    void theAgeCapCommitsEvenWhileMessagesWait() {
        assertTrue(adaptive.due(1, 1, 1000 * MS, false));
        assertFalse(adaptive.due(1, 1, 999 * MS, false));
    }

    @Test
    void minBatchDelayHoldsACaughtUpTableThatLong() {
        FlushPolicy held = FlushPolicy.of(1000, Duration.ofMillis(100), Duration.ofSeconds(1));
        assertFalse(held.due(1, 1, 99 * MS, true));
        assertTrue(held.due(1, 1, 100 * MS, true));
    }

    @Test
    void minEqualToMaxIsTheFormerFixedDelay() {
        FlushPolicy fixed = FlushPolicy.of(1000, Duration.ofSeconds(1), Duration.ofSeconds(1));
        assertFalse(fixed.due(1, 1, 999 * MS, true), "caught up no longer commits early");
        assertTrue(fixed.due(1, 1, 1000 * MS, false));
        assertTrue(fixed.due(1, 1000, 0, false));
    }

    @Test
    void minAboveMaxOrNegativeIsRefusedNamingTheSettings() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FlushPolicy.of(1000, Duration.ofSeconds(2), Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("min-batch-delay"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FlushPolicy.of(1000, Duration.ofMillis(-1), Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> FlushPolicy.of(0, Duration.ZERO, Duration.ofSeconds(1)));
    }

    @Test
    void theDefaultsAreGroupCommit() {
        FlushPolicy defaults = FlushPolicy.of(ApplySettings.DEFAULT);
        assertEquals(0, defaults.minBatchDelayNanos());
        assertEquals(Duration.ofSeconds(1).toNanos(), defaults.maxBatchDelayNanos());
        assertEquals(ApplySettings.DEFAULT.maxBatchRows(), defaults.maxBatchRows());
    }

    /**
     * A simulated stream: transactions arrive at a steady rate; each pull hands over what has arrived;
     * a commit takes a fixed time during which more arrive. Returns the sizes of the commits.
     */
    static List<Integer> simulate(FlushPolicy policy, long arrivalEveryNanos, long commitNanos, long durationNanos) {
        return simulate(policy, arrivalEveryNanos, commitNanos, durationNanos, false);
    }

    /** @param otherTablesBusy every pull is full of other tables' messages: never caught up by the stream */
    static List<Integer> simulate(FlushPolicy policy, long arrivalEveryNanos, long commitNanos, long durationNanos,
                                  boolean otherTablesBusy) {
        List<Integer> commits = new ArrayList<>();
        long now = 0;
        long delivered = 0;
        int pending = 0;
        long oldestCompleteAt = 0;
        while (now < durationNanos) {
            long arrived = now / arrivalEveryNanos + 1; // transactions complete in the source by now
            if (arrived > delivered) { // the pull hands over everything that arrived: then it is caught up
                if (pending == 0) {
                    oldestCompleteAt = now;
                }
                pending += (int) (arrived - delivered);
                delivered = arrived;
            }
            if (policy.due(pending, pending, now - oldestCompleteAt, !otherTablesBusy)) {
                commits.add(pending);
                pending = 0;
                now += commitNanos;
            } else {
                now += MS; // the next pull
            }
        }
        return commits;
    }

    @Test
    void lowTrafficCommitsEachTransactionOnItsOwn() {
        List<Integer> commits = simulate(adaptive, 500 * MS, 50 * MS, 10_000 * MS); // 2 tx/s, 50 ms commits
        assertTrue(commits.size() >= 19, commits.toString());
        assertTrue(commits.stream().allMatch(n -> n == 1), commits.toString());
    }

    @Test
    void highTrafficAmortisesCommitsByWhatArrivesDuringOne() {
        List<Integer> commits = simulate(adaptive, MS, 100 * MS, 10_000 * MS); // 1,000 tx/s, 100 ms commits
        // About one commit per commit time, each holding what arrived meanwhile (~100), not 10,000 commits.
        assertTrue(commits.size() <= 110, commits.size() + " commits");
        assertTrue(commits.stream().skip(1).allMatch(n -> n >= 90 && n <= 110), commits.toString());
    }

    @Test
    void aBacklogCommitsAtTheRowCapNotPerTransaction() {
        FlushPolicy small = FlushPolicy.of(200, Duration.ZERO, Duration.ofSeconds(1));
        List<Integer> commits = simulate(small, MS / 10, 10 * MS, 2_000 * MS, true); // 10,000 tx/s, stream never drained
        assertTrue(commits.stream().allMatch(n -> n >= 200 && n <= 300), commits.toString());
    }

    @Test
    void aQuietTableAmongBusyOnesWaitsAtMostTheAgeCap() {
        // The table's own caught-up signal never comes (say it is fed by every pull): the age cap still commits.
        List<Integer> commits = simulate(adaptive, 300 * MS, 10 * MS, 10_000 * MS, true);
        assertTrue(commits.size() >= 8 && commits.size() <= 10, commits.toString());
        assertTrue(commits.stream().allMatch(n -> n >= 3 && n <= 5), commits.toString());
    }
}
