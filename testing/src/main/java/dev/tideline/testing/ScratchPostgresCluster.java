package dev.tideline.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Postgres cluster this JVM runs itself ({@link LocalPostgresCluster}, {@link EmbeddedPostgresCluster}):
 * on 127.0.0.1 and a free port, superuser {@code postgres}, its data directory and log in a scratch
 * directory that is registered with {@link StaleServerReaper} and deleted by {@link #close()}.
 */
abstract class ScratchPostgresCluster implements PostgresBackend {

    final Map<String, String> settings;
    final int port;
    final Path scratch;
    final Path data;
    final Path log;
    final StaleServerReaper.Registration registration;

    ScratchPostgresCluster(String scratchPrefix, Map<String, String> settings) {
        this.settings = settings;
        this.port = FreePort.pick();
        this.scratch = ScratchDirectory.create(scratchPrefix);
        this.data = scratch.resolve("data");
        this.log = scratch.resolve("postgres.log");
        this.registration = StaleServerReaper.register("postgres", scratch);
        registration.update(-1);
    }

    /** The postmaster's pid: the first line of {@code postmaster.pid}, present while it runs (and after a kill). */
    final Optional<Long> postmasterPid() {
        try {
            List<String> lines = Files.readAllLines(data.resolve("postmaster.pid"));
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    @Override
    public final String host() {
        return "127.0.0.1";
    }

    @Override
    public final int port() {
        return port;
    }

    @Override
    public final String user() {
        return "postgres";
    }

    @Override
    public final String password() {
        return "postgres";
    }

    @Override
    public final boolean supportsFaultInjection() {
        return true;
    }

    @Override
    public final Optional<Path> logFile() {
        return Optional.of(log);
    }
}
