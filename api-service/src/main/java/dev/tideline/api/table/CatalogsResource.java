package dev.tideline.api.table;

import dev.tideline.api.http.ApiException;
import dev.tideline.api.http.FieldRules;
import dev.tideline.api.http.Pages;
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

/**
 * Unity Catalog's catalogs and schemas, read-only, as the warehouse holds them: a catalog is a top-level
 * directory, a schema a directory in it. They come into being when an ingestion pipeline writes its first table
 * there (there is no create: Delta tables are Tideline's only securables).
 */
@Path("/api/2.1/unity-catalog")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "tables")
public class CatalogsResource {

    private final Warehouse warehouse;

    CatalogsResource(Warehouse warehouse) {
        this.warehouse = warehouse;
    }

    /** Databricks' CatalogInfo, as far as a warehouse directory tells. */
    @RegisterForReflection
    public record CatalogInfo(String name, String fullName, String catalogType, String securableType) {
        static CatalogInfo of(String name) {
            return new CatalogInfo(name, name, "MANAGED_CATALOG", "CATALOG");
        }
    }

    /** Databricks' SchemaInfo, as far as a warehouse directory tells. */
    @RegisterForReflection
    public record SchemaInfo(String name, String catalogName, String fullName, String catalogType) {
    }

    @RegisterForReflection
    public record CatalogList(List<CatalogInfo> catalogs, String nextPageToken) {
    }

    @RegisterForReflection
    public record SchemaList(List<SchemaInfo> schemas, String nextPageToken) {
    }

    @GET
    @Path("/catalogs")
    @Operation(summary = "List the catalogs of the warehouse, a page at a time (max_results, page_token)")
    public CatalogList catalogs(@QueryParam("max_results") String maxResults, @QueryParam("page_token") String pageToken) {
        Pages<String> page = Pages.of(warehouse.catalogs(), "max_results", maxResults, pageToken, c -> c);
        return new CatalogList(page.items().stream().map(CatalogInfo::of).toList(), page.nextPageToken());
    }

    @GET
    @Path("/catalogs/{name}")
    @Operation(summary = "Get a catalog of the warehouse")
    public CatalogInfo catalog(@PathParam("name") String name) {
        if (!warehouse.catalogs().contains(name)) {
            throw ApiException.notFound("Catalog", name);
        }
        return CatalogInfo.of(name);
    }

    @GET
    @Path("/schemas")
    @Operation(summary = "List the schemas of a catalog, a page at a time (max_results, page_token)")
    public SchemaList schemas(@QueryParam("catalog_name") String catalog, @QueryParam("max_results") String maxResults,
                              @QueryParam("page_token") String pageToken) {
        String catalogName = FieldRules.required("catalog_name", catalog, "\"main\"");
        if (!warehouse.catalogs().contains(catalogName)) {
            throw ApiException.notFound("Catalog", catalogName);
        }
        Pages<String> page = Pages.of(warehouse.schemas(catalogName), "max_results", maxResults, pageToken, s -> s);
        return new SchemaList(page.items().stream().map(s -> schema(catalogName, s)).toList(), page.nextPageToken());
    }

    @GET
    @Path("/schemas/{full_name}")
    @Operation(summary = "Get a schema of the warehouse")
    public SchemaInfo schema(@PathParam("full_name") String fullName) {
        int dot = fullName.indexOf('.');
        if (dot <= 0 || dot == fullName.length() - 1 || fullName.indexOf('.', dot + 1) >= 0) {
            throw ApiException.invalid("full_name", "'" + fullName + "' is not <catalog>.<schema>; e.g. \"main.neon\"");
        }
        String catalog = fullName.substring(0, dot);
        String schema = fullName.substring(dot + 1);
        if (!warehouse.schemas(catalog).contains(schema)) {
            throw ApiException.notFound("Schema", fullName);
        }
        return schema(catalog, schema);
    }

    private static SchemaInfo schema(String catalog, String schema) {
        return new SchemaInfo(schema, catalog, catalog + "." + schema, "MANAGED_CATALOG");
    }
}
