package dev.tideline.apply.delta;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The threads that write the checkpoints Kernel asks for after commits, off the apply threads
 * ({@link WriterSettings#checkpoints()}). A checkpoint takes ~0.5 s and nothing waits for it (the
 * next commit reads the log either way); its files are written atomically, so a crash meanwhile
 * leaves the previous checkpoint.
 *
 * <p>The apply service owns one executor ({@link #newExecutor()}), hands it to every writer it
 * opens, and shuts it down when it stops, after its pipelines. Writers opened outside a service
 * (tests, benchmarks, tools: {@link WriterSettings#DEFAULT}) share {@link #standalone()}.
 */
public final class CheckpointExecutors {

    private CheckpointExecutors() {
    }

    /** A new executor writing checkpoints one at a time on one daemon thread; its owner shuts it down. */
    public static ExecutorService newExecutor() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tideline-delta-checkpoints");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * For writers no service owns: one process-wide executor like {@link #newExecutor()}, started by
     * the first checkpoint and never shut down (its thread is a daemon).
     */
    static Executor standalone() {
        return STANDALONE;
    }

    /** One instance, so that settings built with it compare equal. */
    private static final Executor STANDALONE = task -> Standalone.EXECUTOR.execute(task);

    /** Holder: the thread starts only when a writer without an executor of its own writes a checkpoint. */
    private static final class Standalone {
        static final ExecutorService EXECUTOR = newExecutor();
    }
}
