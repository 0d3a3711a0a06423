package dev.tideline.sync.model;

/**
 * SQL string literals. Identifiers go through {@link dev.tideline.core.TableId#quoteIdentifier}, the one
 * identifier quoting of every service.
 */
public final class Sql {

    private Sql() {
    }

    /** A string literal with embedded quotes doubled ({@code standard_conforming_strings} is on since PG 9.1). */
    public static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }
}
