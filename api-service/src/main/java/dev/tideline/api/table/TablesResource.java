package dev.tideline.api.table;

import dev.tideline.api.http.ApiException;
import dev.tideline.api.http.FieldRules;
import dev.tideline.api.http.Pages;
import dev.tideline.api.nats.SpecStore;
import dev.tideline.control.spec.PipelineSpec;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.List;
import java.util.Map;

/**
 * Unity-Catalog-style table metadata of the Delta tables in the warehouse ({@code /api/2.1/unity-catalog/tables}):
 * get, exists and list, each table with the ingestion pipeline that writes it.
 */
@Path("/api/2.1/unity-catalog/tables")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "tables")
public class TablesResource {

    private static final String EXAMPLE = "\"main.public.playing_with_neon\"";

    private final Warehouse warehouse;
    private final SpecStore store;

    TablesResource(Warehouse warehouse, SpecStore store) {
        this.warehouse = warehouse;
        this.store = store;
    }

    /** Databricks' ListTablesResponse. */
    @RegisterForReflection
    public record TableList(List<TableInfo> tables, String nextPageToken) {
    }

    @GET
    @Path("/{full_name}")
    @Operation(summary = "Get a Delta table's columns, storage location, format, latest version and writing pipeline")
    public TableInfo get(@PathParam("full_name") String fullName) {
        List<String> parts = FieldRules.threePartName("full_name", fullName, false, EXAMPLE);
        return info(parts.get(0), parts.get(1), parts.get(2), store.pipelines())
                .orElseThrow(() -> ApiException.notFound("Table", fullName));
    }

    /** Databricks' TableExistsResponse: 200 with {@code table_exists} either way, so "no table" is not an error. */
    @GET
    @Path("/{full_name}/exists")
    @Operation(summary = "Whether a Delta table exists")
    public Map<String, Boolean> exists(@PathParam("full_name") String fullName) {
        List<String> parts = FieldRules.threePartName("full_name", fullName, false, EXAMPLE);
        return Map.of("table_exists", warehouse.table(parts.get(0), parts.get(1), parts.get(2)).isPresent());
    }

    @GET
    @Operation(summary = "List the Delta tables of a schema, a page at a time (max_results, page_token)")
    public TableList list(@QueryParam("catalog_name") String catalog, @QueryParam("schema_name") String schema,
                          @QueryParam("max_results") String maxResults, @QueryParam("page_token") String pageToken) {
        String catalogName = FieldRules.required("catalog_name", catalog, "\"main\"");
        String schemaName = FieldRules.required("schema_name", schema, "\"neon\"");
        Pages<String> page = Pages.of(warehouse.tables(catalogName, schemaName), "max_results", maxResults, pageToken, t -> t);
        List<PipelineSpec> pipelines = store.pipelines();
        // A table dropped between listing and reading is left out rather than failing the page.
        return new TableList(page.items().stream().flatMap(t -> info(catalogName, schemaName, t, pipelines).stream()).toList(),
                page.nextPageToken());
    }

    private java.util.Optional<TableInfo> info(String catalog, String schema, String table, List<PipelineSpec> pipelines) {
        return warehouse.table(catalog, schema, table).map(snapshot -> TableInfo.of(catalog, schema, table, snapshot,
                TablePipelines.writerOf(pipelines, catalog, schema, table).orElse(null)));
    }
}
