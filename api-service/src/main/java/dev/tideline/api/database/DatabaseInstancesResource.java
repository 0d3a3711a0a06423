package dev.tideline.api.database;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.tideline.api.http.ApiException;
import dev.tideline.api.http.FieldRules;
import dev.tideline.api.http.RequestBodies;
import dev.tideline.api.nats.SpecStore;
import dev.tideline.control.spec.ConnectionSpec;
import dev.tideline.control.spec.DatabaseCatalogSpec;
import dev.tideline.control.spec.DatabaseInstanceSpec;
import dev.tideline.control.spec.SyncedTableSpec;
import dev.tideline.core.naming.KvKeys;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Database instances ({@code /api/2.0/database/instances}): in Tideline an instance is an existing Postgres,
 * registered through a POSTGRESQL connection, that synced tables are written to. Creating one checks that the
 * Postgres is reachable with the connection's credentials.
 */
@Path("/api/2.0/database/instances")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
@Tag(name = "database instances")
public class DatabaseInstancesResource {

    private static final Logger LOG = Logger.getLogger(DatabaseInstancesResource.class);

    private final SpecStore store;
    private final PostgresAdmin postgres;

    DatabaseInstancesResource(SpecStore store, PostgresAdmin postgres) {
        this.store = store;
        this.postgres = postgres;
    }

    /** Databricks' CreateDatabaseInstance fields that size managed compute are accepted and ignored. */
    @RegisterForReflection
    @JsonIgnoreProperties({"capacity", "stopped", "node_count", "enable_readable_secondaries", "retention_window_in_days",
            "enable_pg_native_login", "purge_on_delete", "custom_tags", "usage_policy_id", "parent_instance_ref"})
    public record InstanceRequest(String name, String connectionName) {
    }

    @RegisterForReflection
    public record InstanceInfo(String name, String connectionName, String uid, String state, String readWriteDns, String pgVersion,
                               String creationTime, boolean stopped) {

        static InstanceInfo of(DatabaseInstanceSpec spec, ConnectionSpec connection, String pgVersion) {
            return new InstanceInfo(spec.name(), spec.connectionName(), spec.uid(), "AVAILABLE", connection == null ? null : connection.host(),
                    pgVersion, Instant.ofEpochMilli(spec.createdAtMillis()).toString(), false);
        }
    }

    @RegisterForReflection
    public record InstanceList(List<InstanceInfo> databaseInstances) {
    }

    @POST
    @Operation(summary = "Register an existing Postgres as a database instance")
    @RequestBody(content = @Content(schema = @Schema(implementation = InstanceRequest.class)))
    public InstanceInfo create(String body) {
        InstanceRequest request = RequestBodies.read(body, InstanceRequest.class);
        String name = FieldRules.objectName("name", request.name(), "\"my-database-instance\"");
        String connectionName = FieldRules.required("connection_name", request.connectionName(), "\"target_pg\"");
        ConnectionSpec connection = store.connection(connectionName).orElseThrow(() -> ApiException.referenceNotFound("connection_name",
                "Connection", connectionName, "create it first with POST /api/2.1/unity-catalog/connections"));
        if (store.instance(name).isPresent()) {
            throw ApiException.alreadyExists("Database instance", name, "delete it first or choose another name");
        }
        // Fail now, not at the first sync, when the Postgres is unreachable or the password is wrong.
        String version = postgres.serverVersion(connection);
        DatabaseInstanceSpec spec = new DatabaseInstanceSpec(name, connectionName, UUID.randomUUID().toString(), System.currentTimeMillis());
        if (!store.create(KvKeys.databaseInstance(name), spec)) {
            throw ApiException.alreadyExists("Database instance", name, "delete it first or choose another name");
        }
        LOG.infof("database instance %s registered (connection %s, Postgres %s)", name, connectionName, version);
        return InstanceInfo.of(spec, connection, version);
    }

    @GET
    @Operation(summary = "List database instances")
    public InstanceList list() {
        return new InstanceList(store.instances().stream()
                .map(i -> InstanceInfo.of(i, store.connection(i.connectionName()).orElse(null), null)).toList());
    }

    @GET
    @Path("/{name}")
    @Operation(summary = "Get a database instance")
    public InstanceInfo get(@PathParam("name") String name) {
        DatabaseInstanceSpec spec = store.instance(name).orElseThrow(() -> ApiException.notFound("Database instance", name));
        return InstanceInfo.of(spec, store.connection(spec.connectionName()).orElse(null), null);
    }

    @DELETE
    @Path("/{name}")
    @Operation(summary = "Deregister a database instance no catalog or synced table uses (the Postgres is not touched)")
    public Map<String, Object> delete(@PathParam("name") String name) {
        store.instance(name).orElseThrow(() -> ApiException.notFound("Database instance", name));
        List<String> users = new ArrayList<>();
        for (DatabaseCatalogSpec catalog : store.catalogs()) {
            if (name.equals(catalog.databaseInstanceName())) {
                users.add("database catalog " + catalog.name());
            }
        }
        for (SyncedTableSpec synced : store.syncedTables()) {
            if (name.equals(synced.databaseInstanceName())) {
                users.add("synced table " + synced.name());
            }
        }
        if (!users.isEmpty()) {
            throw ApiException.conflict("Database instance '" + name + "' is used by " + String.join(", ", users) + "; delete those first");
        }
        store.delete(KvKeys.databaseInstance(name));
        LOG.infof("database instance %s deregistered", name);
        return Map.of();
    }
}
