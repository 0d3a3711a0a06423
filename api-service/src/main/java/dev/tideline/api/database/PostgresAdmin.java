package dev.tideline.api.database;

import dev.tideline.core.postgres.SqlStates;
import dev.tideline.core.TableId;
import dev.tideline.api.ApiConfig;
import dev.tideline.api.connection.ConnectionSecrets;
import dev.tideline.api.http.ApiException;
import dev.tideline.api.http.ErrorCode;
import dev.tideline.control.spec.ConnectionSpec;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * The few Postgres operations the API runs on a database instance, through its connection: check that it is
 * reachable, check that a database exists, create one. Plain pgjdbc, one short-lived connection per call
 * (these are rare, user-driven operations). Identifiers reach SQL only quoted, after the API validated them.
 */
@ApplicationScoped
public class PostgresAdmin {

    private static final Logger LOG = Logger.getLogger(PostgresAdmin.class);
    private static final String MAINTENANCE_DATABASE = "postgres";

    private final ConnectionSecrets secrets;
    private final int timeoutSeconds;

    PostgresAdmin(ConnectionSecrets secrets, ApiConfig config) {
        this.secrets = secrets;
        this.timeoutSeconds = config.api().postgresTimeoutSeconds();
    }

    /** The server version ({@code server_version}) of the instance behind {@code connection}. */
    public String serverVersion(ConnectionSpec connection) {
        try (Connection sql = open(connection, MAINTENANCE_DATABASE); Statement statement = sql.createStatement();
             ResultSet rows = statement.executeQuery("SHOW server_version")) {
            rows.next();
            return rows.getString(1);
        } catch (SQLException e) {
            throw failure(connection, "read the server version", e);
        }
    }

    public boolean databaseExists(ConnectionSpec connection, String database) {
        try (Connection sql = open(connection, MAINTENANCE_DATABASE);
             PreparedStatement statement = sql.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            statement.setString(1, database);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next();
            }
        } catch (SQLException e) {
            throw failure(connection, "check whether database '" + database + "' exists", e);
        }
    }

    /** Creates {@code database} unless it exists (a concurrent create is fine). */
    public void createDatabase(ConnectionSpec connection, String database) {
        try (Connection sql = open(connection, MAINTENANCE_DATABASE); Statement statement = sql.createStatement()) {
            // CREATE DATABASE cannot run inside a transaction block: the connection is in autocommit mode.
            statement.execute("CREATE DATABASE " + TableId.quoteIdentifier(database));
            LOG.infof("created database %s on %s:%d (connection %s)", database, connection.host(), connection.port(), connection.name());
        } catch (SQLException e) {
            if (SqlStates.DUPLICATE_DATABASE.equals(e.getSQLState())) {
                return;
            }
            if (SqlStates.INSUFFICIENT_PRIVILEGE.equals(e.getSQLState())) {
                throw new ApiException(ErrorCode.INVALID_PARAMETER_VALUE, "role '" + connection.user() + "' of connection '" + connection.name()
                        + "' may not create database '" + database + "'; run `ALTER ROLE " + TableId.quoteIdentifier(connection.user())
                        + " CREATEDB;` or create the database yourself");
            }
            throw failure(connection, "create database '" + database + "'", e);
        }
    }

    private Connection open(ConnectionSpec connection, String database) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", connection.user());
        String password = secrets.password(connection);
        if (password != null) {
            properties.setProperty("password", password);
        }
        properties.setProperty("connectTimeout", Integer.toString(timeoutSeconds));
        properties.setProperty("socketTimeout", Integer.toString(timeoutSeconds));
        properties.setProperty("loginTimeout", Integer.toString(timeoutSeconds));
        properties.setProperty("ApplicationName", "tideline-api");
        return DriverManager.getConnection(connection.jdbcUrl(database), properties);
    }

    private static ApiException failure(ConnectionSpec connection, String what, SQLException e) {
        String state = SqlStates.describe(e.getSQLState());
        SqlStates.Rule rule = SqlStates.rule(e.getSQLState());
        String fix;
        if (e.getSQLState() != null && e.getSQLState().startsWith("28")) {
            fix = "check user and password of the connection (re-create it with the right password)";
        } else if (rule.kind() == dev.tideline.core.TidelineException.Kind.RETRYABLE) {
            fix = "check that the Postgres at " + connection.host() + ":" + connection.port() + " is running and reachable from api-service";
        } else {
            fix = rule.remedy();
        }
        return new ApiException(ErrorCode.INVALID_PARAMETER_VALUE, "cannot " + what + " through connection '" + connection.name() + "' ("
                + connection.host() + ":" + connection.port() + ", user " + connection.user() + "): " + e.getMessage() + state + "; " + fix);
    }
}
