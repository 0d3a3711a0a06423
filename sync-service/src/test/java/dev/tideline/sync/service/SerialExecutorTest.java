package dev.tideline.sync.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** One table's syncs never overlap and keep their order, though many tables share a few threads. */
class SerialExecutorTest {

    @Test
    void eachTablesTasksRunOneAtATimeInOrderOnASharedPool() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            int tables = 20;
            List<SerialExecutor> serials = new ArrayList<>();
            List<List<Integer>> ran = new ArrayList<>();
            AtomicInteger[] running = new AtomicInteger[tables];
            AtomicInteger overlaps = new AtomicInteger();
            for (int t = 0; t < tables; t++) {
                serials.add(new SerialExecutor(pool));
                ran.add(Collections.synchronizedList(new ArrayList<>()));
                running[t] = new AtomicInteger();
            }
            for (int i = 0; i < 50; i++) {
                for (int t = 0; t < tables; t++) {
                    int table = t;
                    int task = i;
                    serials.get(t).execute(() -> {
                        if (running[table].incrementAndGet() > 1) {
                            overlaps.incrementAndGet();
                        }
                        Thread.onSpinWait();
                        ran.get(table).add(task);
                        running[table].decrementAndGet();
                    });
                }
            }
            for (SerialExecutor s : serials) {
                long deadline = System.currentTimeMillis() + 10_000;
                while (System.currentTimeMillis() < deadline && !(s.awaitIdle(100) && idleAfterAll(ran, serials, s))) {
                    Thread.sleep(5);
                }
            }
            assertEquals(0, overlaps.get(), "two tasks of one table ran at once");
            for (int t = 0; t < tables; t++) {
                List<Integer> expected = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    expected.add(i);
                }
                assertEquals(expected, ran.get(t), "table " + t + " ran its tasks in order");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void afterShutdownQueuedTasksAreDroppedAndARunningOneFinishes() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(1);
        try {
            SerialExecutor serial = new SerialExecutor(pool);
            java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            AtomicInteger ran = new AtomicInteger();
            serial.execute(() -> {
                started.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                ran.incrementAndGet();
            });
            serial.execute(ran::incrementAndGet);
            assertTrue(started.await(5, java.util.concurrent.TimeUnit.SECONDS));
            serial.shutdown();
            serial.execute(ran::incrementAndGet);
            assertEquals(false, serial.awaitIdle(50), "the running task is still running");
            release.countDown();
            assertTrue(serial.awaitIdle(5_000));
            assertEquals(1, ran.get(), "only the task running at the shutdown ran");
        } finally {
            pool.shutdownNow();
        }
    }

    private static boolean idleAfterAll(List<List<Integer>> ran, List<SerialExecutor> serials, SerialExecutor s) {
        return ran.get(serials.indexOf(s)).size() == 50;
    }
}
