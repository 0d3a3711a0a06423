package dev.tideline.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * Postgres in a Docker container, for machines without local binaries. The host port is bound
 * explicitly (not left to Docker) so that it stays the same when the container is killed and started
 * again; kill is {@code docker kill} (SIGKILL), and the container's file system keeps the data.
 */
final class ContainerPostgres implements PostgresBackend {

    static final String IMAGE = "postgres:16-alpine";

    private final int port;
    private final RestartableContainer container;

    ContainerPostgres(Map<String, String> settings) {
        this.port = FreePort.pick();
        List<String> command = new ArrayList<>(List.of("postgres",
                "-c", "wal_level=logical", "-c", "max_replication_slots=20", "-c", "max_wal_senders=20",
                "-c", "fsync=off"));
        settings.forEach((k, v) -> command.addAll(List.of("-c", k + "=" + v)));
        // The image's pg_hba.conf trusts every database from anywhere but not the 'replication'
        // pseudo-database, and the host reaches the container from the bridge network, not 127.0.0.1.
        String hba = "#!/bin/sh\necho 'host replication all all trust' >> \"$PGDATA/pg_hba.conf\"\n";
        PostgreSQLContainer postgres = new PostgreSQLContainer(IMAGE)
                .withUsername("postgres")
                .withPassword("postgres")
                .withDatabaseName("postgres")
                .withEnv("POSTGRES_HOST_AUTH_METHOD", "trust")
                .withCopyToContainer(Transferable.of(hba, 0755), "/docker-entrypoint-initdb.d/10-replication.sh")
                .withCreateContainerCmdModifier(RestartableContainer.loopbackPort(port, 5432));
        postgres.setCommand(command.toArray(String[]::new));
        postgres.waitingFor(Wait.forLogMessage(".*database system is ready to accept connections.*\\s", 2)
                .withStartupTimeout(Duration.ofMinutes(2)));
        this.container = new RestartableContainer(postgres, 60);
    }

    @Override
    public void start() {
        // After a kill or stop the container still exists with its data; docker start brings it
        // back with the same port binding. Readiness is judged by connecting (PostgresServer does).
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
    public String host() {
        return "127.0.0.1";
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public String user() {
        return "postgres";
    }

    @Override
    public String password() {
        return "postgres";
    }

    @Override
    public boolean supportsFaultInjection() {
        return true;
    }

    @Override
    public PostgresServer.Source source() {
        return PostgresServer.Source.CONTAINER;
    }

    @Override
    public Optional<Path> logFile() {
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "Postgres container " + IMAGE + " on 127.0.0.1:" + port;
    }
}
