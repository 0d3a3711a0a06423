package dev.tideline.testing;

import java.nio.file.Path;
import java.util.Optional;

/** One way of providing a test server, as {@link ServerLifecycle} drives it; see {@link PostgresBackend} and {@link NatsBackend}. */
interface ServerBackend {

    /** Starts the server (first start, or again after {@link #stop()} or {@link #kill()}, same port and data). */
    void start();

    /** Clean shutdown; the data stays for the next {@link #start()}. */
    void stop();

    /** SIGKILL of the server processes; the next {@link #start()} recovers from it. */
    void kill();

    /** Stops if running and deletes every trace (data, logs, registrations). Idempotent. */
    void close();

    boolean supportsFaultInjection();

    Optional<Path> logFile();
}
