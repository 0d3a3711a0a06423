package dev.tideline.delta;

import dev.tideline.core.TidelineException;
import dev.tideline.core.naming.IdentifierTokens;

/**
 * Where a destination table lives: {@code <warehouse>/<catalog>/<schema>/<table>}.
 *
 * <p>Each name becomes one path segment through {@link IdentifierTokens} ({@code A-Z a-z 0-9 _ -}
 * unchanged, any other byte as {@code =XX}), so the usual lower-case names appear verbatim, and a
 * name with {@code /}, {@code .}, spaces or non-ASCII letters still maps to exactly one safe,
 * reversible directory name ({@code my.table} → {@code my=2Etable}).
 *
 * <p>Local warehouses are normalized to Hadoop's spelling {@code file:/abs/path} (what Kernel itself
 * produces when it resolves a path), without a trailing slash. The warehouse itself is a
 * {@link WarehouseLocation}; these are its static forms for callers holding the absolute URI string.
 */
public final class TableLocations {

    private TableLocations() {
    }

    /** {@code <warehouse>/<catalog>/<schema>/<table>}, names encoded as described above. */
    public static String of(String warehouse, String catalog, String schema, String table) {
        String normalized = normalizeWarehouse(warehouse);
        return new WarehouseLocation(normalized, WarehouseLocation.kindOf(normalized)).table(catalog, schema, table);
    }

    /**
     * The canonical form of an absolute warehouse (or table) location; see {@link WarehouseLocation#normalize}.
     *
     * @throws TidelineException (NEEDS_OPERATOR) for a blank, relative or malformed location
     */
    public static String normalizeWarehouse(String warehouse) {
        return WarehouseLocation.normalize(warehouse);
    }
}
