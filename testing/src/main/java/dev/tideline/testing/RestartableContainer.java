package dev.tideline.testing;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import java.util.Optional;
import java.util.function.Consumer;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;

/**
 * A Testcontainers container that can be stopped or killed and started again with its file system:
 * the first {@link #start()} creates it through Testcontainers, later ones {@code docker start} the
 * same container. Give it {@link #loopbackPort} so that its host port stays the same across restarts.
 */
final class RestartableContainer {

    private final GenericContainer<?> container;
    private final int stopTimeoutSeconds;
    private boolean created;

    RestartableContainer(GenericContainer<?> container, int stopTimeoutSeconds) {
        this.container = container;
        this.stopTimeoutSeconds = stopTimeoutSeconds;
    }

    /**
     * A create-command modifier binding the container's port to {@code 127.0.0.1:hostPort}
     * explicitly (not left to Docker), so the binding survives {@code docker kill} + {@code docker start}.
     */
    static Consumer<CreateContainerCmd> loopbackPort(int hostPort, int containerPort) {
        return cmd -> cmd.withHostConfig(Optional.ofNullable(cmd.getHostConfig()).orElseGet(HostConfig::new)
                .withPortBindings(new PortBinding(Ports.Binding.bindIpAndPort("127.0.0.1", hostPort),
                        ExposedPort.tcp(containerPort))));
    }

    /** Creates and starts the container, or after a stop or kill starts it again, same data and port binding. */
    synchronized void start() {
        if (!created) {
            container.start();
            created = true;
            return;
        }
        DockerClientFactory.instance().client().startContainerCmd(container.getContainerId()).exec();
    }

    /** {@code docker stop}: SIGTERM, then SIGKILL after the timeout. */
    synchronized void stop() {
        DockerClientFactory.instance().client().stopContainerCmd(container.getContainerId()).withTimeout(stopTimeoutSeconds).exec();
    }

    /** {@code docker kill} with SIGKILL. */
    synchronized void kill() {
        DockerClientFactory.instance().client().killContainerCmd(container.getContainerId()).withSignal("SIGKILL").exec();
    }

    /** Removes the container and its data. Idempotent. */
    synchronized void close() {
        if (created) {
            container.stop();
            created = false;
        }
    }
}
