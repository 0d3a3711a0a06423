package dev.tideline.api.table;

import dev.tideline.api.ApiConfig;
import dev.tideline.api.http.ApiException;
import dev.tideline.api.http.ErrorCode;
import dev.tideline.core.naming.IdentifierTokens;
import jakarta.enterprise.context.ApplicationScoped;

import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * The lakehouse as api-service sees it: {@code <warehouse>/<catalog>/<schema>/<table>}, each name one path
 * segment encoded with {@link IdentifierTokens} — the layout apply-service writes (delta module's
 * {@code TableLocations}). Only local warehouses ({@code /path}, {@code file:} URIs, or a path relative to the
 * working directory) are readable here; object-storage warehouses get 501 (api-service carries no Hadoop).
 */
@ApplicationScoped
public class Warehouse {

    private final String configured;
    private final Path root;

    Warehouse(ApiConfig config) {
        this.configured = config.warehouse().strip();
        this.root = localRoot(configured);
    }

    /** The latest state of {@code catalog.schema.table}, or empty when no Delta table is there. */
    public Optional<DeltaTableSnapshot> table(String catalog, String schema, String table) {
        if (root == null) {
            throw new ApiException(ErrorCode.NOT_IMPLEMENTED, "the warehouse " + configured + " is not on a local file system; api-service"
                    + " reads table schemas only from local warehouses (path or file: URI). Read the table with a Delta engine instead");
        }
        return DeltaLogReader.read(root.resolve(IdentifierTokens.encode(catalog)).resolve(IdentifierTokens.encode(schema))
                .resolve(IdentifierTokens.encode(table)));
    }

    private static Path localRoot(String warehouse) {
        if (warehouse.toLowerCase(Locale.ROOT).startsWith("file:")) {
            return Path.of(URI.create(warehouse).getPath()).toAbsolutePath().normalize();
        }
        if (warehouse.matches("^[A-Za-z][A-Za-z0-9+.-]*://.*")) {
            return null;
        }
        return Path.of(warehouse).toAbsolutePath().normalize();
    }
}
