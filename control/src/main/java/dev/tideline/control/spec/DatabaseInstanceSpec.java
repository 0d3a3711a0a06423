package dev.tideline.control.spec;

/**
 * A database instance ({@code instance.<name>} in {@code tideline-specs}): a Postgres that synced tables are
 * written to, reached through a POSTGRESQL connection — one the user created (bring your own Postgres), or one
 * api-service created for an instance it provisioned on its configured Postgres server.
 *
 * @param capacity the capacity asked for at creation ({@code CU_1}, {@code CU_2}, ...), recorded and reported;
 *                 null for instances stored before it existed
 */
public record DatabaseInstanceSpec(String name, String connectionName, String uid, long createdAtMillis, String capacity) {

    /** An instance without a recorded capacity. */
    public DatabaseInstanceSpec(String name, String connectionName, String uid, long createdAtMillis) {
        this(name, connectionName, uid, createdAtMillis, null);
    }
}
