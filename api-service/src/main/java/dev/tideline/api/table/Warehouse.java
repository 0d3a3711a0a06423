package dev.tideline.api.table;

import dev.tideline.api.ApiConfig;
import dev.tideline.api.http.ApiException;
import dev.tideline.api.http.ErrorCode;
import dev.tideline.core.naming.IdentifierTokens;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

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
        return DeltaLogReader.read(localRoot().resolve(IdentifierTokens.encode(catalog)).resolve(IdentifierTokens.encode(schema))
                .resolve(IdentifierTokens.encode(table)));
    }

    /** The catalogs: the top-level directories, each named by an identifier token. */
    public List<String> catalogs() {
        return names(localRoot(), false);
    }

    /** The schemas of {@code catalog} (none when the catalog does not exist). */
    public List<String> schemas(String catalog) {
        return names(localRoot().resolve(IdentifierTokens.encode(catalog)), false);
    }

    /** The Delta tables of {@code catalog.schema}: directories with a {@code _delta_log}. */
    public List<String> tables(String catalog, String schema) {
        return names(localRoot().resolve(IdentifierTokens.encode(catalog)).resolve(IdentifierTokens.encode(schema)), true);
    }

    private Path localRoot() {
        if (root == null) {
            throw new ApiException(ErrorCode.NOT_IMPLEMENTED, "the warehouse " + configured + " is not on a local file system; api-service"
                    + " reads tables only from local warehouses (path or file: URI). Read the table with a Delta engine instead");
        }
        return root;
    }

    /**
     * The decoded names of the directories in {@code directory} (sorted); directories that are no identifier token
     * (not written by Tideline) are not tables, schemas or catalogs and are left out.
     */
    private static List<String> names(Path directory, boolean deltaTablesOnly) {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.filter(Files::isDirectory)
                    .filter(p -> IdentifierTokens.isToken(p.getFileName().toString()))
                    .filter(p -> !deltaTablesOnly || Files.isDirectory(p.resolve("_delta_log")))
                    .map(p -> IdentifierTokens.decode(p.getFileName().toString()))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + directory, e);
        }
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
