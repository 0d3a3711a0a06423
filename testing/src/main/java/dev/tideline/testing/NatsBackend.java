package dev.tideline.testing;

import java.nio.file.Path;
import java.util.Optional;

/** One way of providing a nats-server with JetStream; see {@link NatsServer}. */
interface NatsBackend {

    /** Starts (or starts again, same port and store) and returns once clients can connect. */
    void start();

    void stop();

    void kill();

    /** Stops if running and deletes the store and logs. Idempotent. */
    void close();

    String url();

    boolean supportsFaultInjection();

    NatsServer.Source source();

    Optional<Path> logFile();
}
