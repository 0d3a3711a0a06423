package dev.tideline.sync.service;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;

/**
 * Runs one synced table's syncs one at a time, in submission order, on threads of a pool shared by
 * all synced tables: a table has no thread of its own, so 50 tables cost the pool's few threads,
 * not 50. Thread-safe.
 */
final class SerialExecutor implements Executor {

    private final Executor pool;
    private final Queue<Runnable> tasks = new ArrayDeque<>();
    private Runnable active;
    private boolean shutdown;

    SerialExecutor(Executor pool) {
        this.pool = pool;
    }

    /** Queues {@code task} after this table's earlier ones; ignored after {@link #shutdown}. */
    @Override
    public synchronized void execute(Runnable task) {
        if (shutdown) {
            return;
        }
        tasks.add(() -> {
            try {
                task.run();
            } finally {
                next();
            }
        });
        if (active == null) {
            next();
        }
    }

    private synchronized void next() {
        active = tasks.poll();
        if (active != null) {
            pool.execute(active);
        } else {
            notifyAll();
        }
    }

    /** Drops the queued tasks and accepts no more; a running one finishes. */
    synchronized void shutdown() {
        shutdown = true;
        tasks.clear();
    }

    /** Waits up to {@code millis} for the running task to finish; whether none runs now. */
    synchronized boolean awaitIdle(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        for (long left = millis; active != null && left > 0; left = deadline - System.currentTimeMillis()) {
            wait(left);
        }
        return active == null;
    }
}
