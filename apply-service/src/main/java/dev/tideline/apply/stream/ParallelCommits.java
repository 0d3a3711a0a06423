package dev.tideline.apply.stream;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the commits of the tables due in one round of a pipeline, up to {@code threads} at a time.
 *
 * <p><b>Why.</b> A table's commit mostly waits — on fsync or object-store round trips, and on the control
 * plane's KV writes — so when a pipeline of hundreds of tables has dozens due in one round, committing
 * them one after another makes the last wait for all the others (measured by {@code ManyTablesBenchmark}).
 * Overlapping them keeps each table's latency near one commit. The threads belong to the pipeline and
 * are few; no table has a thread of its own.
 *
 * <p><b>Contract.</b> {@link #run} returns once every commit it was given has ended. Each commit runs
 * on one thread, after everything the caller did before {@code run} and before everything it does after
 * (task submission and {@link Future#get} order them), so the single-threaded {@link TableApplier}s stay
 * confined: no two threads ever touch one table at the same time. A failing commit does not stop the
 * others; after all ended, the first failure in the given order is rethrown as it was thrown.
 */
final class ParallelCommits implements AutoCloseable {

    /** Null with one thread: commits run on the caller's thread, in order. */
    private final ExecutorService pool;

    ParallelCommits(String pipelineId, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("tideline.apply.commit-threads must be >= 1 (was " + threads + ")");
        }
        AtomicInteger n = new AtomicInteger();
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "tideline-apply-commit-" + pipelineId + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Runs {@code commits} (one per table) and returns when all ended; rethrows the first failure. */
    void run(List<? extends Runnable> commits) {
        if (pool == null || commits.size() <= 1) {
            commits.forEach(Runnable::run);
            return;
        }
        List<Future<?>> running = new ArrayList<>(commits.size());
        for (Runnable commit : commits) {
            running.add(pool.submit(commit));
        }
        Throwable first = null;
        boolean interrupted = false;
        for (Future<?> f : running) {
            while (true) {
                try {
                    f.get();
                    break;
                } catch (ExecutionException e) {
                    first = first == null ? e.getCause() : first;
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // the commits still run: wait for them, so no table is left mid-commit
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (first instanceof RuntimeException r) {
            throw r;
        }
        if (first instanceof Error e) {
            throw e;
        }
        if (first != null) {
            throw new IllegalStateException(first);
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
