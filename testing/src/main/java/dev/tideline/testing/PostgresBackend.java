package dev.tideline.testing;

import java.nio.file.Path;
import java.util.Optional;

/** One way of providing a Postgres server; {@link PostgresServer} adds the connection helpers. */
interface PostgresBackend {

    /** Starts the server (first start, or again after {@link #stop()} or {@link #kill()}) and waits until it accepts connections. */
    void start();

    /** Clean shutdown (checkpoint, then exit). */
    void stop();

    /** SIGKILL of the server processes; the next {@link #start()} runs crash recovery. */
    void kill();

    /** Stops if running and deletes every trace (data, logs, registrations). Idempotent. */
    void close();

    String host();

    int port();

    String user();

    String password();

    boolean supportsFaultInjection();

    PostgresServer.Source source();

    Optional<Path> logFile();
}
