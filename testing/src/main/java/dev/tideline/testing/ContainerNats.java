package dev.tideline.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * nats-server in a Docker container ({@value #IMAGE}, JetStream on, store inside the container). The
 * host port is bound explicitly so it survives {@code docker kill} + {@code docker start}.
 */
final class ContainerNats implements NatsBackend {

    static final String IMAGE = "nats:2.10";

    private final int port;
    private final RestartableContainer container;

    ContainerNats() {
        this.port = FreePort.pick();
        this.container = new RestartableContainer(new GenericContainer<>(IMAGE)
                .withCommand("-js", "-sd", "/data")
                .withExposedPorts(4222)
                .withCreateContainerCmdModifier(RestartableContainer.loopbackPort(port, 4222))
                .waitingFor(Wait.forLogMessage(".*Server is ready.*", 1).withStartupTimeout(Duration.ofMinutes(1))), 30);
    }

    @Override
    public void start() {
        container.start();
    }

    @Override
    public void stop() {
        container.stop();
    }

    @Override
    public void kill() {
        container.kill();
    }

    @Override
    public void close() {
        container.close();
    }

    @Override
    public String url() {
        return "nats://127.0.0.1:" + port;
    }

    @Override
    public boolean supportsFaultInjection() {
        return true;
    }

    @Override
    public NatsServer.Source source() {
        return NatsServer.Source.CONTAINER;
    }

    @Override
    public Optional<Path> logFile() {
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "nats-server container " + IMAGE + " on 127.0.0.1:" + port;
    }
}
