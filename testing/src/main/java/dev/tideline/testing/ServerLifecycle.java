package dev.tideline.testing;

import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The lifecycle {@link PostgresServer} and {@link NatsServer} give their backend. The first
 * {@link #start()} reaps servers left by killed JVMs, finds the backend and registers a JVM shutdown
 * hook that closes it; later starts (after {@link #stop()} or {@link #kill()}) start the same backend
 * again. {@link #close()} never throws. The lifecycle methods are synchronized.
 */
final class ServerLifecycle<B extends ServerBackend> {

    private final String name;
    private final String shutdownThreadName;
    private final Supplier<B> discover;
    private final Consumer<B> awaitReady;
    private volatile B backend;
    private boolean running;
    private Thread shutdownHook;

    /**
     * @param name         the server in messages, e.g. {@code "Postgres"}
     * @param discover     finds the backend, or throws {@link TestServerException} saying how to get one
     * @param awaitReady   returns once the started backend accepts connections, or throws {@link TestServerException}
     */
    ServerLifecycle(String name, String shutdownThreadName, Supplier<B> discover, Consumer<B> awaitReady) {
        this.name = name;
        this.shutdownThreadName = shutdownThreadName;
        this.discover = discover;
        this.awaitReady = awaitReady;
    }

    /** Starts the backend (finding it first) and waits until it is ready. No-op while running. */
    synchronized void start() {
        if (running) {
            return;
        }
        if (backend == null) {
            StaleServerReaper.reapStale();
            backend = discover.get();
            shutdownHook = new Thread(this::closeQuietly, shutdownThreadName);
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
        backend.start();
        awaitReady.accept(backend);
        running = true;
    }

    synchronized void stop() {
        backend().stop();
        running = false;
    }

    synchronized void kill() {
        backend().kill();
        running = false;
    }

    synchronized void restart() {
        stop();
        start();
    }

    /** Closes the backend and removes the shutdown hook. Idempotent; never throws. */
    synchronized void close() {
        closeQuietly();
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException ignored) {
                // the JVM is already shutting down
            }
            shutdownHook = null;
        }
    }

    private synchronized void closeQuietly() {
        if (backend != null) {
            try {
                backend.close();
            } catch (RuntimeException ignored) {
                // close must not hide the test's own failure
            }
        }
        running = false;
    }

    synchronized boolean isRunning() {
        return running;
    }

    /** The backend; any thread may ask once the first {@link #start()} has found it. */
    B backend() {
        B b = backend;
        if (b == null) {
            throw new IllegalStateException("the " + name + " test server has not been started; call start() first");
        }
        return b;
    }

    /** The backend, or null before the first {@link #start()}. */
    B backendOrNull() {
        return backend;
    }
}
