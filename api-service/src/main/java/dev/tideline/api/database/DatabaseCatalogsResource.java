package dev.tideline.api.database;

import dev.tideline.api.http.ApiException;
import dev.tideline.api.http.FieldRules;
import dev.tideline.api.http.Pages;
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
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Database catalogs ({@code /api/2.0/database/catalogs}): a name for one Postgres database on a database
 * instance, usable as the first part of synced table names. With {@code create_database_if_not_exists}
 * (Databricks' name; Tideline's earlier {@code create_database_if_missing} is accepted too) the database is
 * created on the instance, before anything is stored, so a failure leaves no catalog behind.
 */
@Path("/api/2.0/database/catalogs")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
@Tag(name = "database catalogs")
public class DatabaseCatalogsResource {

    private static final Logger LOG = Logger.getLogger(DatabaseCatalogsResource.class);

    private final SpecStore store;
    private final PostgresAdmin postgres;

    DatabaseCatalogsResource(SpecStore store, PostgresAdmin postgres) {
        this.store = store;
        this.postgres = postgres;
    }

    /** Databricks' DatabaseCatalog; {@code create_database_if_missing} is Tideline's older name of the flag. */
    @RegisterForReflection
    public record CatalogRequest(String name, String databaseInstanceName, String databaseName, Boolean createDatabaseIfNotExists,
                                 Boolean createDatabaseIfMissing) {
    }

    /** Databricks' DatabaseCatalog; the flag is also shown under its older Tideline name, for clients written against it. */
    @RegisterForReflection
    public record CatalogInfo(String name, String databaseInstanceName, String databaseName, boolean createDatabaseIfNotExists,
                              boolean createDatabaseIfMissing, String uid) {

        static CatalogInfo of(DatabaseCatalogSpec spec) {
            return new CatalogInfo(spec.name(), spec.databaseInstanceName(), spec.databaseName(), spec.createDatabaseIfMissing(),
                    spec.createDatabaseIfMissing(), spec.uid());
        }
    }

    /** Databricks' ListDatabaseCatalogsResponse. */
    @RegisterForReflection
    public record CatalogList(List<CatalogInfo> databaseCatalogs, String nextPageToken) {
    }

    @POST
    @Operation(summary = "Register a Postgres database of an instance as a database catalog")
    @RequestBody(content = @Content(schema = @Schema(implementation = CatalogRequest.class)))
    public CatalogInfo create(String body) {
        CatalogRequest request = RequestBodies.read(body, CatalogRequest.class);
        String name = FieldRules.simpleName("name", request.name(), "\"pg_db\"");
        String instanceName = FieldRules.required("database_instance_name", request.databaseInstanceName(), "\"my-database-instance\"");
        String database = FieldRules.simpleName("database_name", request.databaseName(), "\"databricks_postgres\"");
        if (request.createDatabaseIfNotExists() != null && request.createDatabaseIfMissing() != null
                && !request.createDatabaseIfNotExists().equals(request.createDatabaseIfMissing())) {
            throw ApiException.invalid("create_database_if_not_exists", "contradicts \"create_database_if_missing\" (its older name);"
                    + " send only \"create_database_if_not_exists\"");
        }
        boolean create = Boolean.TRUE.equals(request.createDatabaseIfNotExists()) || Boolean.TRUE.equals(request.createDatabaseIfMissing());
        DatabaseInstanceSpec instance = store.instance(instanceName).orElseThrow(() -> ApiException.referenceNotFound("database_instance_name",
                "Database instance", instanceName, "register it first with POST /api/2.0/database/instances"));
        ConnectionSpec connection = store.connection(instance.connectionName()).orElseThrow(() -> ApiException.referenceNotFound(
                "database_instance_name", "Connection of instance '" + instanceName + "',", instance.connectionName(), "re-create the connection"));
        if (store.catalog(name).isPresent()) {
            throw ApiException.alreadyExists("Database catalog", name, "delete it first or choose another name");
        }
        if (!postgres.databaseExists(connection, database)) {
            if (!create) {
                throw ApiException.invalid("database_name", "database '" + database + "' does not exist on instance '" + instanceName
                        + "'; create it (CREATE DATABASE " + database + ") or set \"create_database_if_not_exists\": true");
            }
            postgres.createDatabase(connection, database);
        }
        DatabaseCatalogSpec spec = new DatabaseCatalogSpec(name, instanceName, database, create, UUID.randomUUID().toString(),
                System.currentTimeMillis());
        if (!store.create(KvKeys.databaseCatalog(name), spec)) {
            throw ApiException.alreadyExists("Database catalog", name, "delete it first or choose another name");
        }
        LOG.infof("database catalog %s registered (instance %s, database %s)", name, instanceName, database);
        return CatalogInfo.of(spec);
    }

    @GET
    @Operation(summary = "List all database catalogs, a page at a time (a Tideline addition; Databricks lists them per instance)")
    public CatalogList list(@QueryParam("page_size") String pageSize, @QueryParam("page_token") String pageToken) {
        Pages<DatabaseCatalogSpec> page = Pages.of(store.catalogs(), "page_size", pageSize, pageToken, DatabaseCatalogSpec::name);
        return new CatalogList(page.items().stream().map(CatalogInfo::of).toList(), page.nextPageToken());
    }

    @GET
    @Path("/{name}")
    @Operation(summary = "Get a database catalog")
    public CatalogInfo get(@PathParam("name") String name) {
        return CatalogInfo.of(store.catalog(name).orElseThrow(() -> ApiException.notFound("Database catalog", name)));
    }

    @DELETE
    @Path("/{name}")
    @Operation(summary = "Deregister a database catalog without synced tables (the Postgres database stays)")
    public Map<String, Object> delete(@PathParam("name") String name) {
        store.catalog(name).orElseThrow(() -> ApiException.notFound("Database catalog", name));
        List<String> tables = store.syncedTables().stream().map(SyncedTableSpec::name).filter(n -> n.startsWith(name + ".")).toList();
        if (!tables.isEmpty()) {
            throw ApiException.conflict("Database catalog '" + name + "' holds synced tables " + tables + "; delete those first");
        }
        store.delete(KvKeys.databaseCatalog(name));
        LOG.infof("database catalog %s deregistered", name);
        return Map.of();
    }
}
