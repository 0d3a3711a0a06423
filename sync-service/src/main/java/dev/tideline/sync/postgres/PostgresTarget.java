package dev.tideline.sync.postgres;

import dev.tideline.core.postgres.SqlStates;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import java.util.Properties;
import java.util.function.Function;

/**
 * The Postgres server a synced table lives on, reached as the sync role (the role in the
 * connection; it owns every synced table it creates). Opens pgjdbc connections; thread-safe.
 */
public final class PostgresTarget {

    private final Function<String, String> jdbcUrl;
    private final String user;
    private final String password;
    private final String database;

    /**
     * @param jdbcUrl  the JDBC URL of a database on the server (TLS options included), by database name
     * @param user     the sync role
     * @param password its password (never logged)
     * @param database the target database
     */
    public PostgresTarget(Function<String, String> jdbcUrl, String user, String password, String database) {
        this.jdbcUrl = Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        this.user = Objects.requireNonNull(user, "user");
        this.password = password == null ? "" : password;
        this.database = Objects.requireNonNull(database, "database");
    }

    /** A server reached without TLS options at {@code host:port}. */
    public PostgresTarget(String host, int port, String user, String password, String database) {
        this(db -> "jdbc:postgresql://" + host + ":" + port + "/" + db, user, password, database);
    }

    public String database() {
        return database;
    }

    /** The sync role: the only role allowed to write synced tables. */
    public String user() {
        return user;
    }

    public String jdbcUrl(String db) {
        return jdbcUrl.apply(db);
    }

    /** A new connection to the target database, autocommit on; the caller closes it. */
    public Connection open() throws SQLException {
        return open(database);
    }

    private Connection open(String db) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("ApplicationName", "tideline-sync");
        props.setProperty("connectTimeout", "10");
        // The sync may hold one connection open for a long COPY; keepalives notice a dead server.
        props.setProperty("tcpKeepAlive", "true");
        return DriverManager.getConnection(jdbcUrl(db), props);
    }

    /**
     * Makes sure the target database exists: creates it when allowed, otherwise fails naming it.
     *
     * @throws TidelineException NEEDS_OPERATOR when missing and {@code create} is false, RETRYABLE when the server is unreachable
     */
    public void ensureDatabase(boolean create) {
        try (Connection c = open("postgres");
                PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            ps.setString(1, database);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
            if (!create) {
                throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                        "Postgres database '" + database + "' of the synced table does not exist",
                        "create it (CREATE DATABASE " + TableId.quoteIdentifier(database) + ") or set spec.create_database_objects_if_missing to true");
            }
            try (Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + TableId.quoteIdentifier(database));
            } catch (SQLException e) {
                // Created concurrently by another synced table's first sync: duplicate_database, or a unique
                // violation on pg_database when both CREATEs passed the existence check at once. Fine either way.
                if (!SqlStates.DUPLICATE_DATABASE.equals(e.getSQLState()) && !SqlStates.UNIQUE_VIOLATION.equals(e.getSQLState())) {
                    throw e;
                }
            }
        } catch (SQLException e) {
            throw PostgresErrors.wrap("checking that database '" + database + "' exists", e);
        }
    }

    @Override
    public String toString() {
        String url = jdbcUrl(database);
        int query = url.indexOf('?');
        return (query < 0 ? url : url.substring(0, query)) + " as " + user;
    }
}
