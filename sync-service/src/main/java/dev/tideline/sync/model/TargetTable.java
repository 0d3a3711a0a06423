package dev.tideline.sync.model;

import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import java.util.regex.Pattern;

/**
 * Where a synced table lives in Postgres: database, schema and table. Each name must match
 * {@code [A-Za-z0-9_]+} (seed 003, "Naming and identifier limitations"), at most 63 bytes (Postgres'
 * identifier limit, beyond which names would be silently truncated). Names keep their case; SQL
 * always quotes them.
 */
public record TargetTable(String database, String schema, String table) {

    private static final Pattern ALLOWED = Pattern.compile("[A-Za-z0-9_]+");
    /** Postgres' NAMEDATALEN - 1. */
    public static final int MAX_NAME_LENGTH = 63;

    public TargetTable {
        requireValid("database", database);
        requireValid("schema", schema);
        requireValid("table", table);
    }

    /** {@code "schema"."table"} for SQL. */
    public String quoted() {
        return TableId.quoteIdentifier(schema) + "." + TableId.quoteIdentifier(table);
    }

    /** {@code database.schema.table} for messages. */
    @Override
    public String toString() {
        return database + "." + schema + "." + table;
    }

    /**
     * Checks one Postgres database, schema or table name of a synced table.
     *
     * @throws TidelineException NEEDS_OPERATOR naming the part, the name and the rule
     */
    public static void requireValid(String what, String name) {
        if (name == null || name.isEmpty()) {
            throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                    "synced table target " + what + " name is missing",
                    "give the Postgres " + what + " a name of letters, digits and underscores ([A-Za-z0-9_]+)");
        }
        if (!ALLOWED.matcher(name).matches()) {
            throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                    "synced table target " + what + " name '" + name + "' is not allowed: Postgres database, schema and "
                            + "table names of synced tables may only contain letters, digits and underscores ([A-Za-z0-9_]+)",
                    "rename the " + what + ", e.g. '" + name.replaceAll("[^A-Za-z0-9_]", "_") + "'");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                    "synced table target " + what + " name '" + name + "' has " + name.length()
                            + " characters; Postgres identifiers have at most " + MAX_NAME_LENGTH,
                    "choose a shorter " + what + " name");
        }
    }
}
