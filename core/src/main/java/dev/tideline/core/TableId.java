package dev.tideline.core;

import java.util.Objects;

/**
 * A source table: its Postgres schema (namespace) and name, exactly as stored in the catalog
 * (case-sensitive, unquoted). Any Postgres identifier is allowed, including dots, spaces, quotes and
 * non-ASCII characters; use {@link #quoted()} wherever the name reaches SQL.
 */
public record TableId(String schema, String name) implements Comparable<TableId> {

    public TableId {
        requireIdentifier(schema, "schema");
        requireIdentifier(name, "name");
    }

    public static TableId of(String schema, String name) {
        return new TableId(schema, name);
    }

    /** {@code "schema"."name"}, each part quoted as Postgres requires, for use in SQL text. */
    public String quoted() {
        return quoteIdentifier(schema) + "." + quoteIdentifier(name);
    }

    /** Double-quotes an identifier, doubling embedded quotes, as Postgres' {@code quote_ident} does. */
    public static String quoteIdentifier(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    private static void requireIdentifier(String value, String what) {
        Objects.requireNonNull(value, () -> "table " + what + " is null");
        if (value.isEmpty()) {
            throw new IllegalArgumentException("table " + what + " is empty; Postgres identifiers have at least one character");
        }
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("table " + what + " contains a NUL character, which Postgres identifiers cannot hold");
        }
    }

    @Override
    public int compareTo(TableId other) {
        int bySchema = schema.compareTo(other.schema);
        return bySchema != 0 ? bySchema : name.compareTo(other.name);
    }

    /** {@code schema.name} for logs and messages; not for SQL (see {@link #quoted()}). */
    @Override
    public String toString() {
        return schema + "." + name;
    }
}
