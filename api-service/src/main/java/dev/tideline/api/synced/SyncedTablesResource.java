package dev.tideline.api.synced;

import dev.tideline.core.TableId;
import dev.tideline.api.database.PostgresAdmin;
import dev.tideline.api.http.ApiException;
import dev.tideline.api.http.FieldRules;
import dev.tideline.api.http.Pages;
import dev.tideline.api.http.RequestBodies;
import dev.tideline.api.nats.SpecStore;
import dev.tideline.api.table.DeltaColumn;
import dev.tideline.api.table.DeltaTableSnapshot;
import dev.tideline.api.table.Warehouse;
import dev.tideline.control.spec.ConnectionSpec;
import dev.tideline.control.spec.DatabaseCatalogSpec;
import dev.tideline.control.spec.DatabaseInstanceSpec;
import dev.tideline.control.spec.SyncedTableSpec;
import dev.tideline.control.spec.SyncedTableSpec.Definition;
import dev.tideline.control.spec.SyncedTableSpec.Target;
import dev.tideline.core.naming.KvKeys;
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

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Synced tables ({@code /api/2.0/database/synced_tables}), as seed 003 describes them: a read-only Postgres table
 * kept in sync with a Delta table by sync-service. Everything is validated — names, catalog or instance and
 * database, the source table and its columns — before the spec is stored, and the target is resolved once and
 * stored with it. Creating the same synced table twice returns the existing one (the seed: "Synced table APIs
 * are idempotent"); a different definition under the same name is a conflict.
 */
@Path("/api/2.0/database/synced_tables")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
@Tag(name = "synced tables")
public class SyncedTablesResource {

    private static final Logger LOG = Logger.getLogger(SyncedTablesResource.class);
    private static final String EXAMPLE_NAME = "\"pg_db.silver.sbtest1_online\"";

    private final SpecStore store;
    private final Warehouse warehouse;
    private final PostgresAdmin postgres;

    SyncedTablesResource(SpecStore store, Warehouse warehouse, PostgresAdmin postgres) {
        this.store = store;
        this.warehouse = warehouse;
        this.postgres = postgres;
    }

    @POST
    @Operation(summary = "Create a synced table (idempotent)")
    @RequestBody(content = @Content(schema = @Schema(implementation = SyncedTableRequest.class)))
    public SyncedTableViews.SyncedTable create(String body) {
        SyncedTableRequest request = RequestBodies.read(body, SyncedTableRequest.class);
        SyncedTableRequest.Spec spec = request.spec();
        if (spec == null) {
            throw ApiException.missing("spec", "{\"source_table_full_name\": \"source_catalog.source_schema.source_table\","
                    + " \"primary_key_columns\": [\"id\"], \"scheduling_policy\": \"TRIGGERED\"}");
        }
        String name = name(request);
        List<String> parts = FieldRules.threePartName("name", name, true, EXAMPLE_NAME);
        Definition definition = definition(request, spec);

        // Where it goes: a database catalog names instance and database; a standard catalog needs both in the request.
        String instanceName;
        String database;
        DatabaseCatalogSpec catalog = store.catalog(parts.get(0)).orElse(null);
        if (catalog != null) {
            instanceName = catalog.databaseInstanceName();
            database = catalog.databaseName();
            sameOrAbsent("database_instance_name", request.databaseInstanceName(), instanceName, catalog);
            sameOrAbsent("logical_database_name", request.logicalDatabaseName(), database, catalog);
        } else {
            String hint = "'" + parts.get(0) + "' is not a database catalog, so it is a standard catalog: set database_instance_name and"
                    + " logical_database_name (or register a database catalog with POST /api/2.0/database/catalogs)";
            if (request.databaseInstanceName() == null || request.databaseInstanceName().isBlank()) {
                throw ApiException.invalid("database_instance_name", "is required: " + hint);
            }
            if (request.logicalDatabaseName() == null || request.logicalDatabaseName().isBlank()) {
                throw ApiException.invalid("logical_database_name", "is required: " + hint);
            }
            instanceName = request.databaseInstanceName().trim();
            database = FieldRules.simpleName("logical_database_name", request.logicalDatabaseName(), "\"databricks_postgres\"");
        }
        DatabaseInstanceSpec instance = store.instance(instanceName).orElseThrow(() -> ApiException.referenceNotFound(
                catalog != null ? "name (database catalog " + catalog.name() + ")" : "database_instance_name", "Database instance",
                instanceName, "register it with POST /api/2.0/database/instances"));
        ConnectionSpec connection = store.connection(instance.connectionName()).orElseThrow(() -> ApiException.referenceNotFound(
                "database_instance_name", "Connection of database instance '" + instanceName + "',", instance.connectionName(),
                "re-create the connection"));

        checkSource(definition);

        SyncedTableSpec existing = store.syncedTable(name).orElse(null);
        if (existing != null) {
            return sameOrConflict(existing, instanceName, database, definition);
        }
        Target target = new Target(connection.name(), database, parts.get(1), parts.get(2));
        for (SyncedTableSpec other : store.syncedTables()) {
            if (other.name().equals(name)) {
                // Created by a concurrent request since the lookup above: answer as if it had come first.
                return sameOrConflict(other, instanceName, database, definition);
            }
            Target t = other.target();
            if (t != null && instanceName.equals(other.databaseInstanceName()) && t.database().equals(database)
                    && t.schema().equals(target.schema()) && t.table().equals(target.table())) {
                throw ApiException.conflict("name: synced table '" + other.name() + "' already writes Postgres table " + database + "."
                        + target.schema() + "." + target.table() + " on instance '" + instanceName + "'; two synced tables cannot share a"
                        + " Postgres table — choose another schema or table name");
            }
        }
        if (!postgres.databaseExists(connection, database)) {
            if (!definition.createsMissingObjects()) {
                throw ApiException.invalid("logical_database_name", "Postgres database '" + database + "' does not exist on instance '"
                        + instanceName + "'; create it, or set \"create_database_objects_if_missing\": true in spec");
            }
            postgres.createDatabase(connection, database);
        }
        SyncedTableSpec created = new SyncedTableSpec(name, instanceName, database, definition, UUID.randomUUID().toString(), target,
                UUID.randomUUID().toString(), System.currentTimeMillis());
        if (!store.create(KvKeys.syncedTable(name), created)) {
            // Lost a race with an identical (or different) create: answer as if it had come first.
            return sameOrConflict(store.syncedTable(name).orElseThrow(), instanceName, database, definition);
        }
        LOG.infof("synced table %s created from %s (%s, pipeline %s) into %s.%s.%s on instance %s", name, definition.sourceTableFullName(),
                definition.schedulingPolicy(), created.pipelineId(), database, target.schema(), target.table(), instanceName);
        return SyncedTableViews.of(created, null);
    }

    @GET
    @Path("/{name}")
    @Operation(summary = "Get a synced table and its data_synchronization_status")
    public SyncedTableViews.SyncedTable get(@PathParam("name") String name) {
        SyncedTableSpec spec = store.syncedTable(name).orElseThrow(() -> ApiException.notFound("Synced table", name));
        return SyncedTableViews.of(spec, store.syncedTableStatus(name).orElse(null));
    }

    @GET
    @Operation(summary = "List all synced tables, a page at a time (a Tideline addition; Databricks lists them per instance)")
    public SyncedTableViews.SyncedTableList list(@QueryParam("page_size") String pageSize, @QueryParam("page_token") String pageToken) {
        Pages<SyncedTableSpec> page = Pages.of(store.syncedTables(), "page_size", pageSize, pageToken, SyncedTableSpec::name);
        return new SyncedTableViews.SyncedTableList(page.items().stream()
                .map(s -> SyncedTableViews.of(s, store.syncedTableStatus(s.name()).orElse(null))).toList(), page.nextPageToken());
    }

    @DELETE
    @Path("/{name}")
    @Operation(summary = "Delete a synced table from the catalog; the Postgres table stays (drop it yourself)")
    public Map<String, Object> delete(@PathParam("name") String name) {
        SyncedTableSpec spec = store.syncedTable(name).orElseThrow(() -> ApiException.notFound("Synced table", name));
        store.delete(KvKeys.syncedTable(name));
        Target t = spec.target();
        String message = "synced table deregistered and its refreshes stopped; the Postgres table stays. To free up space, connect to"
                + " database '" + t.database() + "' on instance '" + spec.databaseInstanceName() + "' and run DROP TABLE "
                + TableId.quoteIdentifier(t.schema()) + "." + TableId.quoteIdentifier(t.table()) + ";";
        LOG.infof("synced table %s deleted; Postgres table %s.%s.%s left in place", name, t.database(), t.schema(), t.table());
        return Map.of("message", message);
    }

    private static String name(SyncedTableRequest request) {
        String top = request.name();
        String inSpec = request.spec().name();
        if (top != null && inSpec != null && !top.equals(inSpec)) {
            throw ApiException.invalid("spec.name", "'" + inSpec + "' differs from name '" + top + "'; set the name once");
        }
        return top != null ? top : inSpec;
    }

    private static Definition definition(SyncedTableRequest request, SyncedTableRequest.Spec spec) {
        FieldRules.threePartName("spec.source_table_full_name", spec.sourceTableFullName(), false, "\"source_catalog.source_schema.source_table\"");
        List<String> keys = spec.primaryKeyColumns();
        if (keys == null || keys.isEmpty()) {
            throw ApiException.missing("spec.primary_key_columns", "[\"id\"] (a synced table needs a primary key)");
        }
        HashSet<String> seen = new HashSet<>();
        for (int i = 0; i < keys.size(); i++) {
            String key = FieldRules.postgresIdentifier("spec.primary_key_columns[" + i + "]", keys.get(i), "\"id\"");
            if (!seen.add(key)) {
                throw ApiException.invalid("spec.primary_key_columns[" + i + "]", "'" + key + "' is listed twice");
            }
        }
        if (spec.timeseriesKey() != null) {
            FieldRules.postgresIdentifier("spec.timeseries_key", spec.timeseriesKey(), "\"updated_at\"");
        }
        if (spec.schedulingPolicy() == null) {
            throw ApiException.missing("spec.scheduling_policy", "\"TRIGGERED\" (or \"SNAPSHOT\", \"CONTINUOUS\")");
        }
        if (spec.existingPipelineId() != null) {
            throw ApiException.invalid("spec.existing_pipeline_id", "is not supported: Tideline runs one pipeline per synced table;"
                    + " remove it (a new pipeline_id is minted)");
        }
        if (spec.newPipelineSpec() != null && request.newPipelineSpec() != null && !spec.newPipelineSpec().equals(request.newPipelineSpec())) {
            throw ApiException.invalid("new_pipeline_spec", "is given both at the top level and in spec with different values; give it once");
        }
        return new Definition(spec.sourceTableFullName().trim(), keys.stream().map(String::trim).toList(),
                spec.timeseriesKey() == null ? null : spec.timeseriesKey().trim(), spec.schedulingPolicy(), spec.createDatabaseObjectsIfMissing(),
                spec.newPipelineSpec() != null ? spec.newPipelineSpec() : request.newPipelineSpec(), spec.invalidCharacters());
    }

    /** The source must be a Delta table in the warehouse with the key columns and only types Postgres can hold. */
    private void checkSource(Definition definition) {
        String[] source = definition.sourceTableFullName().split("\\.");
        DeltaTableSnapshot table = warehouse.table(source[0], source[1], source[2]).orElseThrow(() -> ApiException.referenceNotFound(
                "spec.source_table_full_name", "Table", definition.sourceTableFullName(), "sync a Delta table that exists in the warehouse"
                        + " (GET /api/2.1/unity-catalog/tables/<full_name> shows it); ingest it with a pipeline first"));
        List<String> columns = table.columns().stream().map(DeltaColumn::name).toList();
        for (int i = 0; i < definition.primaryKeyColumns().size(); i++) {
            String key = definition.primaryKeyColumns().get(i);
            if (table.column(key) == null) {
                throw ApiException.invalid("spec.primary_key_columns[" + i + "]", "column '" + key + "' is not in source table "
                        + definition.sourceTableFullName() + "; its columns are " + columns + " (names are case-sensitive)");
            }
        }
        if (definition.timeseriesKey() != null && table.column(definition.timeseriesKey()) == null) {
            throw ApiException.invalid("spec.timeseries_key", "column '" + definition.timeseriesKey() + "' is not in source table "
                    + definition.sourceTableFullName() + "; its columns are " + columns);
        }
        for (DeltaColumn column : table.columns()) {
            if (SourceTypes.unsupported(column)) {
                throw ApiException.invalid("spec.source_table_full_name", "column '" + column.name() + "' of "
                        + definition.sourceTableFullName() + " has type " + column.typeText().toUpperCase(java.util.Locale.ROOT)
                        + ", which synced tables do not support (seed 003: GEOGRAPHY, GEOMETRY, VARIANT, OBJECT are NOT SUPPORTED);"
                        + " sync a view or copy of the table without it, or cast it to STRING or BINARY");
            }
        }
    }

    private static void sameOrAbsent(String field, String given, String fromCatalog, DatabaseCatalogSpec catalog) {
        if (given != null && !given.isBlank() && !given.trim().equals(fromCatalog)) {
            throw ApiException.invalid(field, "'" + given + "' contradicts database catalog '" + catalog.name() + "', which is database '"
                    + catalog.databaseName() + "' on instance '" + catalog.databaseInstanceName() + "'; omit " + field);
        }
    }

    private SyncedTableViews.SyncedTable sameOrConflict(SyncedTableSpec existing, String instance, String database, Definition definition) {
        if (existing.databaseInstanceName().equals(instance) && existing.logicalDatabaseName().equals(database)
                && existing.spec().equals(definition)) {
            return SyncedTableViews.of(existing, store.syncedTableStatus(existing.name()).orElse(null));
        }
        throw ApiException.alreadyExists("Synced table", existing.name(), "it has a different definition; delete it first to change"
                + " it (DELETE /api/2.0/database/synced_tables/" + existing.name() + ")");
    }
}
