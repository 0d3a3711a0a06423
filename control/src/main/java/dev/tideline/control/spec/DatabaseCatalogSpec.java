package dev.tideline.control.spec;

/**
 * A database catalog ({@code catalog.<name>} in {@code tideline-specs}): one Postgres database on a
 * database instance, addressable as the first part of a synced table's three-part name.
 */
public record DatabaseCatalogSpec(String name, String databaseInstanceName, String databaseName,
                                  boolean createDatabaseIfMissing, String uid, long createdAtMillis) {
}
