package dev.tideline.api.table;

import dev.tideline.api.ApiConfig;
import dev.tideline.api.http.ApiException;
import dev.tideline.api.http.ErrorCode;
import dev.tideline.core.naming.IdentifierTokens;
import dev.tideline.delta.WarehouseFiles;
import dev.tideline.delta.WarehouseLocation;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;

/**
 * The lakehouse as api-service sees it: {@code <warehouse>/<catalog>/<schema>/<table>}, each name one path
 * segment encoded with {@link IdentifierTokens} — the layout apply-service writes ({@link WarehouseLocation}, shared
 * by every service). Local and {@code s3://} warehouses are read through {@link WarehouseFiles} (no Kernel, no
 * Hadoop); other object stores (Hadoop file-system URIs) get 501.
 */
@ApplicationScoped
public class Warehouse {

    private final WarehouseLocation location;
    private final WarehouseFiles files;

    Warehouse(ApiConfig config) {
        this.location = WarehouseLocation.of(config.warehouse());
        this.files = location.kind() == WarehouseLocation.Kind.HADOOP ? null : WarehouseFiles.of(location, config.s3().settings());
    }

    /** The latest state of {@code catalog.schema.table}, or empty when no Delta table is there. */
    public Optional<DeltaTableSnapshot> table(String catalog, String schema, String table) {
        return DeltaLogReader.read(files(), location.table(catalog, schema, table));
    }

    /** The catalogs: the top-level directories, each named by an identifier token. */
    public List<String> catalogs() {
        return names(location.uri(), false);
    }

    /** The schemas of {@code catalog} (none when the catalog does not exist). */
    public List<String> schemas(String catalog) {
        return names(location.resolve(IdentifierTokens.encode(catalog)), false);
    }

    /** The Delta tables of {@code catalog.schema}: directories with a {@code _delta_log}. */
    public List<String> tables(String catalog, String schema) {
        return names(location.resolve(IdentifierTokens.encode(catalog), IdentifierTokens.encode(schema)), true);
    }

    private WarehouseFiles files() {
        if (files == null) {
            throw new ApiException(ErrorCode.NOT_IMPLEMENTED, "the warehouse " + location + " is on a Hadoop file system; api-service"
                    + " reads tables only from local and s3:// warehouses. Read the table with a Delta engine instead");
        }
        return files;
    }

    /**
     * The decoded names of the directories in {@code directory} (sorted); directories that are no identifier token
     * (not written by Tideline) are not tables, schemas or catalogs and are left out.
     */
    private List<String> names(String directory, boolean deltaTablesOnly) {
        WarehouseFiles f = files();
        try {
            List<String> out = new java.util.ArrayList<>();
            for (String name : f.directories(directory)) {
                if (IdentifierTokens.isToken(name) && (!deltaTablesOnly || f.directories(directory + "/" + name).contains("_delta_log"))) {
                    out.add(IdentifierTokens.decode(name));
                }
            }
            out.sort(null);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + directory, e);
        }
    }
}
