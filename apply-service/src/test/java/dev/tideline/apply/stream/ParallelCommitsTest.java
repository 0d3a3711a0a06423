package dev.tideline.apply.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ParallelCommitsTest {

    @Test
    void commitsOverlapUpToTheThreads() {
        // Four commits that each wait for all four to have started: only overlapping commits get past it.
        CyclicBarrier allStarted = new CyclicBarrier(4);
        List<String> threads = new CopyOnWriteArrayList<>();
        List<Runnable> commits = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            commits.add(() -> {
                try {
                    allStarted.await(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException("the commits did not overlap", e);
                }
                threads.add(Thread.currentThread().getName());
            });
        }
        try (ParallelCommits parallel = new ParallelCommits("p1", 4)) {
            parallel.run(commits);
        }
        assertEquals(4, threads.size());
        assertTrue(threads.stream().allMatch(t -> t.startsWith("tideline-apply-commit-p1-")), threads.toString());
    }

    @Test
    void oneThreadCommitsInOrderOnTheCallersThread() {
        List<String> seen = new ArrayList<>();
        String caller = Thread.currentThread().getName();
        try (ParallelCommits serial = new ParallelCommits("p2", 1)) {
            serial.run(List.of(() -> seen.add("a " + Thread.currentThread().getName()), () -> seen.add("b " + Thread.currentThread().getName())));
        }
        assertEquals(List.of("a " + caller, "b " + caller), seen);
    }

    @Test
    void aFailingCommitLetsTheOthersFinishThenTheFirstFailureIsRethrownAsThrown() {
        IllegalStateException first = new IllegalStateException("first");
        List<String> finished = new CopyOnWriteArrayList<>();
        List<Runnable> commits = List.of(
                () -> finished.add("a"),
                () -> {
                    throw first;
                },
                () -> {
                    sleep(200); // still running when the failure above is known: waited for all the same
                    finished.add("c");
                },
                () -> {
                    throw new IllegalArgumentException("second");
                });
        try (ParallelCommits parallel = new ParallelCommits("p3", 4)) {
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> parallel.run(commits));
            assertSame(first, thrown);
        }
        assertTrue(finished.containsAll(List.of("a", "c")), finished.toString());
    }

    @Test
    void anErrorIsRethrownAsItself() {
        AssertionError crash = new AssertionError("injected");
        try (ParallelCommits parallel = new ParallelCommits("p4", 2)) {
            assertSame(crash, assertThrows(AssertionError.class, () -> parallel.run(List.of(() -> { }, () -> {
                throw crash;
            }))));
        }
    }

    @Test
    void threadsBelowOneAreRefusedNamingTheProperty() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ParallelCommits("p5", 0));
        assertTrue(e.getMessage().contains("tideline.apply.commit-threads"), e.getMessage());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis); // a commit that takes a while, not a wait for an event
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
