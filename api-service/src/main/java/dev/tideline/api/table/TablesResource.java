package dev.tideline.api.table;

import dev.tideline.api.http.ApiException;
import dev.tideline.api.http.FieldRules;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.List;

/** Unity-Catalog-style table metadata of the Delta tables in the warehouse ({@code /api/2.1/unity-catalog/tables}). */
@Path("/api/2.1/unity-catalog/tables")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "tables")
public class TablesResource {

    private final Warehouse warehouse;

    TablesResource(Warehouse warehouse) {
        this.warehouse = warehouse;
    }

    @GET
    @Path("/{full_name}")
    @Operation(summary = "Get a Delta table's columns, storage location, format and latest version")
    public TableInfo get(@PathParam("full_name") String fullName) {
        List<String> parts = FieldRules.threePartName("full_name", fullName, false, "\"main.public.playing_with_neon\"");
        return warehouse.table(parts.get(0), parts.get(1), parts.get(2))
                .map(snapshot -> TableInfo.of(parts.get(0), parts.get(1), parts.get(2), snapshot))
                .orElseThrow(() -> ApiException.notFound("Table", fullName));
    }
}
