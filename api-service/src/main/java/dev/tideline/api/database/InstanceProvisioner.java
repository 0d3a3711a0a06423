package dev.tideline.api.database;

import dev.tideline.api.ApiConfig;
import dev.tideline.api.connection.ConnectionSecrets;
import dev.tideline.api.http.ApiException;
import dev.tideline.api.nats.SpecStore;
import dev.tideline.control.spec.ConnectionSpec;
import dev.tideline.core.naming.KvKeys;
import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.util.Optional;
import java.util.UUID;

/**
 * Provisions database instances on the configured Postgres server ({@link ManagedPostgres}), which is what a
 * Databricks user gets from {@code createDatabaseInstance(name, capacity)}: a Postgres with the database
 * {@value #DEFAULT_DATABASE}, ready for database catalogs and synced tables. Provisioning checks the server,
 * creates that database when missing and stores the instance's own connection; nothing else on the server
 * changes, so instances on one server share it (the capacity is recorded, not enforced).
 *
 * <p>Parsed at start, so a malformed {@code tideline.api.database-instances.postgres-url} stops the service
 * naming the property instead of failing the first request.
 */
@Startup
@Singleton
public class InstanceProvisioner {

    /** The database every Lakebase instance has. */
    public static final String DEFAULT_DATABASE = "databricks_postgres";

    private static final Logger LOG = Logger.getLogger(InstanceProvisioner.class);

    private final Optional<ManagedPostgres> server;
    private final SpecStore store;
    private final ConnectionSecrets secrets;
    private final PostgresAdmin postgres;

    InstanceProvisioner(ApiConfig config, SpecStore store, ConnectionSecrets secrets, PostgresAdmin postgres) {
        this.server = ManagedPostgres.from(config.api().databaseInstances());
        this.store = store;
        this.secrets = secrets;
        this.postgres = postgres;
        server.ifPresent(s -> LOG.infof("database instances without connection_name are provisioned on %s:%d (user %s)", s.host(), s.port(), s.user()));
    }

    /**
     * Stores the connection of instance {@code instanceName} after checking the server and creating
     * {@value #DEFAULT_DATABASE}; returns it with the server version.
     *
     * @throws ApiException 400 naming {@code connection_name} when no server is configured, or when the server
     *                      cannot be reached or the database not created
     */
    public Provisioned provision(String instanceName) {
        ManagedPostgres managed = requireServer(server);
        String name = ManagedPostgres.connectionName(instanceName);
        ConnectionSpec connection = new ConnectionSpec(name, ConnectionSpec.POSTGRESQL, managed.options(),
                managed.password() == null ? null : secrets.seal(name, managed.password()),
                "managed by Tideline for database instance " + instanceName, UUID.randomUUID().toString(), System.currentTimeMillis());
        String version = postgres.serverVersion(connection);
        postgres.createDatabase(connection, DEFAULT_DATABASE);
        if (!store.create(KvKeys.connection(name), connection)) {
            // Left behind by a create that stopped between its two writes: the instance does not exist (checked
            // by the caller), so nothing uses it.
            store.delete(KvKeys.connection(name));
            if (!store.create(KvKeys.connection(name), connection)) {
                throw ApiException.conflict("Database instance '" + instanceName + "' is being created by another request; retry");
            }
        }
        return new Provisioned(connection, version);
    }

    /** The configured server; without one, a 400 that names {@code connection_name} and both ways out. */
    static ManagedPostgres requireServer(Optional<ManagedPostgres> server) {
        return server.orElseThrow(() -> ApiException.invalid("connection_name", "is required here: this Tideline has no"
                + " Postgres server to provision database instances on. Ask the operator to set " + ManagedPostgres.URL_PROPERTY
                + " (env TIDELINE_API_DATABASE_INSTANCES_POSTGRES_URL), or bring your own Postgres: create a POSTGRESQL connection"
                + " and pass its name as \"connection_name\""));
    }

    /** Removes what {@link #provision} stored (the databases on the server stay, as do the synced tables' data). */
    public void release(String instanceName, String connectionName) {
        if (ManagedPostgres.connectionName(instanceName).equals(connectionName)) {
            store.delete(KvKeys.connection(connectionName));
        }
    }

    /** What provisioning made: the instance's connection and the server's version. */
    public record Provisioned(ConnectionSpec connection, String pgVersion) {
    }
}
