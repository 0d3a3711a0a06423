package dev.tideline.sync.model;

/** SQL text helpers: every identifier that reaches SQL goes through {@link #quote}. */
public final class Sql {

    private Sql() {
    }

    /** Double-quotes an identifier (doubling embedded quotes), so mixed-case and odd names stay exact. */
    public static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    /** A string literal with embedded quotes doubled ({@code standard_conforming_strings} is on since PG 9.1). */
    public static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }
}
