package dev.tideline.testing;

import java.nio.file.Path;
import java.util.Optional;

/** A nats-server someone else runs, named by {@code TIDELINE_TEST_NATS_URL}; JetStream must be enabled. */
final class ExternalNats implements NatsBackend {

    private final String url;

    ExternalNats(String url) {
        this.url = url;
    }

    @Override
    public void start() {
        // someone else runs it
    }

    @Override
    public void stop() {
        throw new FaultInjectionUnsupportedException("nats-server at " + url, "TIDELINE_TEST_NATS_URL");
    }

    @Override
    public void kill() {
        throw new FaultInjectionUnsupportedException("nats-server at " + url, "TIDELINE_TEST_NATS_URL");
    }

    @Override
    public void close() {
        // not ours to stop
    }

    @Override
    public String url() {
        return url;
    }

    @Override
    public boolean supportsFaultInjection() {
        return false;
    }

    @Override
    public NatsServer.Source source() {
        return NatsServer.Source.EXTERNAL;
    }

    @Override
    public Optional<Path> logFile() {
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "nats-server at " + url;
    }
}
