package dev.tideline.api.http;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The naming rules the API enforces, each failing with a 400 that names the field, the rule and an example.
 * Names that reach SQL are additionally quoted there; these rules keep them portable (paths, subjects, KV).
 */
public final class FieldRules {

    /** Seed 003: "Postgres database, schema, and table names for synced tables may only contain [A-Za-z0-9_]+". */
    private static final Pattern SIMPLE = Pattern.compile("[A-Za-z0-9_]+");
    /** Names of Tideline objects (connections, instances): also hyphens, as Databricks allows for instances. */
    private static final Pattern OBJECT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_-]{0,254}");
    /** Postgres replication slot names: lower-case letters, digits and underscores, at most 63. */
    private static final Pattern SLOT = Pattern.compile("[a-z0-9_]{1,63}");

    private FieldRules() {
    }

    /** The trimmed value, which must be present and not blank. */
    public static String required(String field, String value, String example) {
        if (value == null || value.isBlank()) {
            throw ApiException.missing(field, example);
        }
        return value.trim();
    }

    /** A name of the seed's {@code [A-Za-z0-9_]+} form (Postgres database, schema, table of synced tables). */
    public static String simpleName(String field, String value, String example) {
        String name = required(field, value, example);
        if (!SIMPLE.matcher(name).matches() || name.length() > 63) {
            throw ApiException.invalid(field, "'" + name + "' may only contain letters, digits and underscores ([A-Za-z0-9_]+, at most 63)"
                    + "; hyphens and other characters are not supported in Postgres names of synced tables, e.g. " + example);
        }
        return name;
    }

    /** A Tideline object name: letters, digits, '_' and '-', at most 255, not starting with '-'. */
    public static String objectName(String field, String value, String example) {
        String name = required(field, value, example);
        if (!OBJECT.matcher(name).matches()) {
            throw ApiException.invalid(field, "'" + name + "' may only contain letters, digits, '_' and '-' (at most 255, not starting"
                    + " with '-'), e.g. " + example);
        }
        return name;
    }

    /** A Postgres replication slot name. */
    public static String slotName(String field, String value) {
        String name = required(field, value, "\"databricks_slot\"");
        if (!SLOT.matcher(name).matches()) {
            throw ApiException.invalid(field, "'" + name + "' is not a valid replication slot name; Postgres allows only lower-case letters,"
                    + " digits and underscores, at most 63 characters, e.g. \"databricks_slot\"");
        }
        return name;
    }

    /**
     * A Postgres identifier that is quoted wherever it reaches SQL: any text but NUL, at most 63 bytes (longer ones
     * Postgres would silently truncate, which would make two names collide).
     */
    public static String postgresIdentifier(String field, String value, String example) {
        String name = required(field, value, example);
        if (name.indexOf('\0') >= 0) {
            throw ApiException.invalid(field, "contains a NUL character, which Postgres identifiers cannot hold");
        }
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 63) {
            throw ApiException.invalid(field, "'" + name + "' is longer than 63 bytes, the Postgres identifier limit");
        }
        return name;
    }

    /**
     * A name that becomes a directory of the warehouse and a token of NATS subjects: no '/', '\', '.', whitespace or
     * control characters, not {@code .} or {@code ..}, at most 255 characters.
     */
    public static String warehouseName(String field, String value, String example) {
        String name = required(field, value, example);
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == '\\' || c == '.' || Character.isWhitespace(c) || Character.isISOControl(c)) {
                throw ApiException.invalid(field, "'" + name + "' contains '" + printable(c) + "' at index " + i
                        + "; catalog, schema and table names may not contain '/', '\\', '.', whitespace or control characters, e.g. " + example);
            }
        }
        if (name.length() > 255) {
            throw ApiException.invalid(field, "is longer than 255 characters");
        }
        return name;
    }

    /** {@code catalog.schema.table}, each part checked with {@code partRule}. */
    public static List<String> threePartName(String field, String value, boolean simpleParts, String example) {
        String name = required(field, value, example);
        String[] parts = name.split("\\.", -1);
        if (parts.length != 3) {
            throw ApiException.invalid(field, "'" + name + "' must have three parts, catalog.schema.table, e.g. " + example);
        }
        String[] labels = {"catalog", "schema", "table"};
        for (int i = 0; i < 3; i++) {
            String partField = field + " (" + labels[i] + " part)";
            if (simpleParts) {
                simpleName(partField, parts[i], example);
            } else {
                warehouseName(partField, parts[i], example);
            }
        }
        return List.of(parts);
    }

    private static String printable(char c) {
        return Character.isISOControl(c) || Character.isWhitespace(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c);
    }
}
