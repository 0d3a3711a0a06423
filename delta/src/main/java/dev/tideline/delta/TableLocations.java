package dev.tideline.delta;

import dev.tideline.core.TidelineException;
import dev.tideline.core.naming.IdentifierTokens;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * Where a destination table lives: {@code <warehouse>/<catalog>/<schema>/<table>}.
 *
 * <p>Each name becomes one path segment through {@link IdentifierTokens} ({@code A-Z a-z 0-9 _ -}
 * unchanged, any other byte as {@code =XX}), so the usual lower-case names appear verbatim, and a
 * name with {@code /}, {@code .}, spaces or non-ASCII letters still maps to exactly one safe,
 * reversible directory name ({@code my.table} → {@code my=2Etable}).
 *
 * <p>Local warehouses are normalized to Hadoop's spelling {@code file:/abs/path} (what Kernel itself
 * produces when it resolves a path), without a trailing slash.
 */
public final class TableLocations {

    private TableLocations() {
    }

    /** {@code <warehouse>/<catalog>/<schema>/<table>}, names encoded as described above. */
    public static String of(String warehouse, String catalog, String schema, String table) {
        return normalizeWarehouse(warehouse) + "/" + IdentifierTokens.encode(catalog) + "/"
                + IdentifierTokens.encode(schema) + "/" + IdentifierTokens.encode(table);
    }

    /**
     * The canonical form of a warehouse (or table) location: {@code file:/abs/path} for local paths
     * (given as {@code /abs/path}, {@code file:/abs/path} or {@code file:///abs/path}), the URI without
     * trailing slashes otherwise.
     *
     * @throws TidelineException (NEEDS_OPERATOR) for a blank, relative or malformed location
     */
    public static String normalizeWarehouse(String warehouse) {
        if (warehouse == null || warehouse.isBlank()) {
            throw invalid(warehouse, "it is empty");
        }
        String w = warehouse.strip();
        if (w.startsWith("/")) {
            return "file:" + trimTrailingSlashes(Path.of(w).normalize().toString());
        }
        URI uri;
        try {
            uri = new URI(w);
        } catch (URISyntaxException e) {
            throw invalid(warehouse, e.getMessage());
        }
        if (uri.getScheme() == null) {
            throw invalid(warehouse, "it is a relative path");
        }
        if ("file".equalsIgnoreCase(uri.getScheme())) {
            if (uri.getPath() == null || !uri.getPath().startsWith("/")) {
                throw invalid(warehouse, "a file: location needs an absolute path");
            }
            return "file:" + trimTrailingSlashes(Path.of(uri.getPath()).normalize().toString());
        }
        return trimTrailingSlashes(w);
    }

    private static String trimTrailingSlashes(String s) {
        int end = s.length();
        while (end > 1 && s.charAt(end - 1) == '/' && s.charAt(end - 2) != '/' && s.charAt(end - 2) != ':') {
            end--;
        }
        return s.substring(0, end);
    }

    private static TidelineException invalid(String warehouse, String why) {
        return new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                "Invalid warehouse location '" + warehouse + "': " + why,
                "Set the warehouse to an absolute path (/var/lib/tideline/warehouse), a file: URI or a "
                        + "Hadoop file-system URI such as s3a://bucket/prefix");
    }
}
