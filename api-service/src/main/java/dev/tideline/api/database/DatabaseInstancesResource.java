package dev.tideline.api.database;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.tideline.api.http.ApiException;
import dev.tideline.api.http.FieldRules;
import dev.tideline.api.http.Pages;
import dev.tideline.api.http.RequestBodies;
import dev.tideline.api.nats.SpecStore;
import dev.tideline.api.synced.SyncedTableViews;
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
import jakarta.ws.rs.QueryParam;
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
import java.util.regex.Pattern;

/**
 * Database instances ({@code /api/2.0/database/instances}): a Postgres that synced tables are written to. As in
 * Databricks, {@code name} and {@code capacity} are enough: the instance is provisioned on the Postgres server
 * Tideline is configured with ({@link InstanceProvisioner}). As a Tideline extension, {@code connection_name}
 * brings your own Postgres instead (an existing server reached through a POSTGRESQL connection). Either way
 * creating one checks that the Postgres is reachable.
 */
@Path("/api/2.0/database/instances")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
@Tag(name = "database instances")
public class DatabaseInstancesResource {

    private static final Logger LOG = Logger.getLogger(DatabaseInstancesResource.class);

    private static final Pattern CAPACITY = Pattern.compile("CU_[1-9][0-9]*");

    private final SpecStore store;
    private final PostgresAdmin postgres;
    private final InstanceProvisioner provisioner;

    DatabaseInstancesResource(SpecStore store, PostgresAdmin postgres, InstanceProvisioner provisioner) {
        this.store = store;
        this.postgres = postgres;
        this.provisioner = provisioner;
    }

    /**
     * Databricks' CreateDatabaseInstance. The fields that size or shape managed compute are accepted and ignored;
     * {@code capacity} is recorded and reported. {@code connection_name} is Tideline's bring-your-own-Postgres extension.
     */
    @RegisterForReflection
    @JsonIgnoreProperties({"stopped", "node_count", "enable_readable_secondaries", "retention_window_in_days",
            "enable_pg_native_login", "purge_on_delete", "custom_tags", "usage_policy_id", "parent_instance_ref"})
    public record InstanceRequest(String name, String connectionName, String capacity) {
    }

    /**
     * Databricks' DatabaseInstance; {@code connection_name} is the Tideline extension (for a provisioned instance,
     * the connection Tideline manages for it).
     */
    @RegisterForReflection
    public record InstanceInfo(String name, String connectionName, String uid, String state, String readWriteDns, String pgVersion,
                               String creationTime, boolean stopped, boolean effectiveStopped, String capacity, String effectiveCapacity) {

        static InstanceInfo of(DatabaseInstanceSpec spec, ConnectionSpec connection, String pgVersion) {
            return new InstanceInfo(spec.name(), spec.connectionName(), spec.uid(), "AVAILABLE", connection == null ? null : connection.host(),
                    pgVersion, Instant.ofEpochMilli(spec.createdAtMillis()).toString(), false, false, spec.capacity(), spec.capacity());
        }
    }

    @RegisterForReflection
    public record InstanceList(List<InstanceInfo> databaseInstances, String nextPageToken) {
    }

    @POST
    @Operation(summary = "Create a database instance: provisioned on Tideline's Postgres server, or your own through connection_name")
    @RequestBody(content = @Content(schema = @Schema(implementation = InstanceRequest.class)))
    public InstanceInfo create(String body) {
        InstanceRequest request = RequestBodies.read(body, InstanceRequest.class);
        String name = FieldRules.objectName("name", request.name(), "\"my-database-instance\"");
        String capacity = request.capacity() == null ? null : request.capacity().strip();
        if (capacity != null && !CAPACITY.matcher(capacity).matches()) {
            throw ApiException.invalid("capacity", "'" + capacity + "' is not a capacity; use Databricks' capacity units, e.g. \"CU_1\", \"CU_2\"");
        }
        if (store.instance(name).isPresent()) {
            throw ApiException.alreadyExists("Database instance", name, "delete it first or choose another name");
        }
        ConnectionSpec connection;
        String version;
        if (request.connectionName() == null) {
            InstanceProvisioner.Provisioned provisioned = provisioner.provision(name);
            connection = provisioned.connection();
            version = provisioned.pgVersion();
        } else {
            String connectionName = FieldRules.required("connection_name", request.connectionName(), "\"target_pg\"");
            ManagedPostgres.instanceOf(connectionName).ifPresent(owner -> {
                throw ApiException.invalid("connection_name", "'" + connectionName + "' belongs to database instance '" + owner
                        + "'; name a connection you created, or leave connection_name out");
            });
            connection = store.connection(connectionName).orElseThrow(() -> ApiException.referenceNotFound("connection_name",
                    "Connection", connectionName, "create it first with POST /api/2.1/unity-catalog/connections, or leave connection_name out"
                            + " to have the instance provisioned on Tideline's Postgres server"));
            // Fail now, not at the first sync, when the Postgres is unreachable or the password is wrong.
            version = postgres.serverVersion(connection);
        }
        DatabaseInstanceSpec spec = new DatabaseInstanceSpec(name, connection.name(), UUID.randomUUID().toString(), System.currentTimeMillis(),
                capacity);
        if (!store.create(KvKeys.databaseInstance(name), spec)) {
            if (request.connectionName() == null) {
                provisioner.release(name, connection.name());
            }
            throw ApiException.alreadyExists("Database instance", name, "delete it first or choose another name");
        }
        LOG.infof("database instance %s created (connection %s, Postgres %s, capacity %s)", name, connection.name(), version, capacity);
        return InstanceInfo.of(spec, connection, version);
    }

    @GET
    @Operation(summary = "List database instances, a page at a time (page_size, page_token)")
    public InstanceList list(@QueryParam("page_size") String pageSize, @QueryParam("page_token") String pageToken) {
        Pages<DatabaseInstanceSpec> page = Pages.of(store.instances(), "page_size", pageSize, pageToken, DatabaseInstanceSpec::name);
        return new InstanceList(page.items().stream()
                .map(i -> InstanceInfo.of(i, store.connection(i.connectionName()).orElse(null), null)).toList(), page.nextPageToken());
    }

    @GET
    @Path("/{name}/catalogs")
    @Operation(summary = "List the database catalogs of an instance, a page at a time (page_size, page_token)")
    public DatabaseCatalogsResource.CatalogList catalogs(@PathParam("name") String name, @QueryParam("page_size") String pageSize,
                                                          @QueryParam("page_token") String pageToken) {
        store.instance(name).orElseThrow(() -> ApiException.notFound("Database instance", name));
        List<DatabaseCatalogSpec> catalogs = store.catalogs().stream().filter(c -> name.equals(c.databaseInstanceName())).toList();
        Pages<DatabaseCatalogSpec> page = Pages.of(catalogs, "page_size", pageSize, pageToken, DatabaseCatalogSpec::name);
        return new DatabaseCatalogsResource.CatalogList(page.items().stream().map(DatabaseCatalogsResource.CatalogInfo::of).toList(),
                page.nextPageToken());
    }

    @GET
    @Path("/{name}/synced_tables")
    @Operation(summary = "List the synced tables written to an instance, a page at a time (page_size, page_token)")
    public SyncedTableViews.SyncedTableList syncedTables(@PathParam("name") String name, @QueryParam("page_size") String pageSize,
                                                         @QueryParam("page_token") String pageToken) {
        store.instance(name).orElseThrow(() -> ApiException.notFound("Database instance", name));
        List<SyncedTableSpec> tables = store.syncedTables().stream().filter(t -> name.equals(t.databaseInstanceName())).toList();
        Pages<SyncedTableSpec> page = Pages.of(tables, "page_size", pageSize, pageToken, SyncedTableSpec::name);
        return new SyncedTableViews.SyncedTableList(page.items().stream()
                .map(t -> SyncedTableViews.of(t, store.syncedTableStatus(t.name()).orElse(null))).toList(), page.nextPageToken());
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
    @Operation(summary = "Delete a database instance no catalog or synced table uses (the databases on the Postgres stay)")
    public Map<String, Object> delete(@PathParam("name") String name) {
        DatabaseInstanceSpec instance = store.instance(name).orElseThrow(() -> ApiException.notFound("Database instance", name));
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
        provisioner.release(name, instance.connectionName());
        LOG.infof("database instance %s deleted", name);
        return Map.of();
    }
}
