package dev.tideline.control.spec;

/**
 * A database instance ({@code instance.<name>} in {@code tideline-specs}): an existing Postgres that
 * synced tables are written to, reached through a POSTGRESQL connection.
 */
public record DatabaseInstanceSpec(String name, String connectionName, String uid, long createdAtMillis) {
}
