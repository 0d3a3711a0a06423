package dev.tideline.core.postgres;

import dev.tideline.core.TidelineException;

import java.util.Map;

/**
 * The one SQLSTATE policy of every service: what a Postgres error code means for a retry, and what to tell
 * the operator. A code is looked up exactly first, then by its class (the first two characters); a code in
 * neither is {@link TidelineException.Kind#NEEDS_OPERATOR} — an error nobody classified is one a person
 * should look at, not one to retry silently forever. An error without SQLSTATE (the driver never got an
 * answer from the server) is {@link TidelineException.Kind#RETRYABLE}, like a lost connection.
 *
 * <p>Callers that need one code for a decision of their own (a unique violation that means "already
 * there") compare with the named constants here instead of literals. Pure and thread-safe.
 */
public final class SqlStates {

    /** What a SQLSTATE means for Tideline. */
    public record Rule(TidelineException.Kind kind, String meaning, String remedy) {
    }

    public static final String UNIQUE_VIOLATION = "23505";
    public static final String NOT_NULL_VIOLATION = "23502";
    public static final String DEPENDENT_OBJECTS_STILL_EXIST = "2BP01";
    public static final String INVALID_CATALOG_NAME = "3D000";
    public static final String INSUFFICIENT_PRIVILEGE = "42501";
    public static final String UNDEFINED_TABLE = "42P01";
    public static final String UNDEFINED_OBJECT = "42704";
    public static final String DUPLICATE_OBJECT = "42710";
    public static final String DUPLICATE_DATABASE = "42P04";
    public static final String OBJECT_NOT_IN_PREREQUISITE_STATE = "55000";
    public static final String OBJECT_IN_USE = "55006";

    private static final String RETRIES = "Tideline retries with backoff; if this persists, ";

    static final Rule NO_STATE = new Rule(TidelineException.Kind.RETRYABLE, "no answer from the server",
            RETRIES + "check that Postgres is running and reachable");
    static final Rule UNKNOWN = new Rule(TidelineException.Kind.NEEDS_OPERATOR, "an unclassified Postgres error",
            "read the Postgres message; Tideline retries at its longest backoff until the cause is fixed");

    /** Exact codes, looked up before their class. */
    private static final Map<String, Rule> CODES = Map.ofEntries(
            Map.entry("40001", retryable("serialization failure")),
            Map.entry("40P01", retryable("deadlock detected")),
            Map.entry("55P03", retryable("lock not available")),
            Map.entry(OBJECT_IN_USE, new Rule(TidelineException.Kind.RETRYABLE, "object in use",
                    RETRIES + "another session holds the object (for a replication slot: check pg_replication_slots.active_pid)")),
            Map.entry("57P04", operator("database dropped", "re-create the database or point the connection at another one")),
            Map.entry("25P03", retryable("idle-in-transaction session timeout")),
            Map.entry(INVALID_CATALOG_NAME, operator("database does not exist", "create the database or fix the connection's database name")),
            Map.entry(INSUFFICIENT_PRIVILEGE, operator("insufficient privilege", "grant the connection's role the privilege the statement needs")),
            Map.entry(UNDEFINED_TABLE, operator("table does not exist", "create the table or remove it from the configuration")),
            Map.entry(UNDEFINED_OBJECT, operator("object does not exist",
                    "create the object (slot, publication, type) or fix its name in the configuration")),
            Map.entry(DUPLICATE_OBJECT, operator("object already exists", "drop the existing object or use another name")),
            Map.entry(DUPLICATE_DATABASE, operator("database already exists", "use the existing database or another name")),
            Map.entry(OBJECT_NOT_IN_PREREQUISITE_STATE, operator("object not in the required state",
                    "check the object's state (for a replication slot: whether it was invalidated, see pg_replication_slots.wal_status)")),
            Map.entry(UNIQUE_VIOLATION, operator("unique violation", "the rows break a unique constraint of the target table")),
            Map.entry(NOT_NULL_VIOLATION, operator("not-null violation", "a NOT NULL column of the target received a null")),
            Map.entry(DEPENDENT_OBJECTS_STILL_EXIST, operator("dependent objects still exist",
                    "drop or alter the views, foreign keys or functions that depend on the object")));

    /** SQLSTATE classes (the first two characters). */
    private static final Map<String, Rule> CLASSES = Map.ofEntries(
            Map.entry("08", retryable("connection failure")),
            Map.entry("40", retryable("transaction rolled back")),
            Map.entry("53", new Rule(TidelineException.Kind.RETRYABLE, "insufficient resources",
                    RETRIES + "check the server's disk space, memory and max_connections")),
            Map.entry("57", retryable("operator intervention (shutdown, restart or cancel)")),
            Map.entry("72", retryable("snapshot too old (old_snapshot_threshold); a new snapshot reads it again")),
            Map.entry("28", operator("authentication failed", "check the connection's user and password")),
            Map.entry("42", operator("syntax error or access rule violation",
                    "check that the tables and columns exist and that the role may use them")),
            Map.entry("0A", operator("feature not supported", "the server version or configuration does not support this")),
            Map.entry("22", operator("data exception", "a value does not fit its column type")),
            Map.entry("23", operator("integrity constraint violation", "the rows break a constraint of the target table")),
            Map.entry("54", operator("program limit exceeded", "a statement exceeds a server limit (columns, identifier length)")),
            Map.entry("58", operator("system error", "check the server's log and disk")),
            Map.entry("XX", operator("internal error", "check the server's log")));

    private SqlStates() {
    }

    /**
     * The rule for a SQLSTATE.
     *
     * @param sqlState as {@code SQLException.getSQLState()} returns it; null or blank for none
     */
    public static Rule rule(String sqlState) {
        if (sqlState == null || sqlState.isBlank()) {
            return NO_STATE;
        }
        String code = sqlState.trim().toUpperCase(java.util.Locale.ROOT);
        Rule exact = CODES.get(code);
        if (exact != null) {
            return exact;
        }
        Rule byClass = code.length() >= 2 ? CLASSES.get(code.substring(0, 2)) : null;
        return byClass != null ? byClass : UNKNOWN;
    }

    /** The retry kind of a SQLSTATE: {@code rule(sqlState).kind()}. */
    public static TidelineException.Kind kind(String sqlState) {
        return rule(sqlState).kind();
    }

    /** {@code " (SQLSTATE 42501 insufficient privilege)"} for messages; empty without a SQLSTATE. */
    public static String describe(String sqlState) {
        return sqlState == null || sqlState.isBlank() ? "" : " (SQLSTATE " + sqlState + " " + rule(sqlState).meaning() + ")";
    }

    private static Rule retryable(String meaning) {
        return new Rule(TidelineException.Kind.RETRYABLE, meaning, RETRIES + "check that Postgres is up and reachable");
    }

    private static Rule operator(String meaning, String remedy) {
        return new Rule(TidelineException.Kind.NEEDS_OPERATOR, meaning, remedy);
    }
}
