package dev.tideline.testing;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * nats-server in a Docker container ({@value #IMAGE}, JetStream on, store inside the container). The
 * host port is bound explicitly so it survives {@code docker kill} + {@code docker start}.
 */
final class ContainerNats implements NatsBackend {

    static final String IMAGE = "nats:2.10";

    private final int port;
    private final GenericContainer<?> container;
    private boolean created;

    ContainerNats() {
        this.port = FreePort.pick();
        this.container = new GenericContainer<>(IMAGE)
                .withCommand("-js", "-sd", "/data")
                .withExposedPorts(4222)
                .withCreateContainerCmdModifier(cmd -> cmd.withHostConfig(
                        Optional.ofNullable(cmd.getHostConfig()).orElseGet(HostConfig::new)
                                .withPortBindings(new PortBinding(Ports.Binding.bindIpAndPort("127.0.0.1", port),
                                        ExposedPort.tcp(4222)))))
                .waitingFor(Wait.forLogMessage(".*Server is ready.*", 1).withStartupTimeout(Duration.ofMinutes(1)));
    }

    @Override
    public synchronized void start() {
        if (!created) {
            container.start();
            created = true;
            return;
        }
        DockerClientFactory.instance().client().startContainerCmd(container.getContainerId()).exec();
    }

    @Override
    public synchronized void stop() {
        DockerClientFactory.instance().client().stopContainerCmd(container.getContainerId()).withTimeout(30).exec();
    }

    @Override
    public synchronized void kill() {
        DockerClientFactory.instance().client().killContainerCmd(container.getContainerId()).withSignal("SIGKILL").exec();
    }

    @Override
    public synchronized void close() {
        if (created) {
            container.stop();
            created = false;
        }
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
