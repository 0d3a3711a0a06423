package dev.tideline.control.spec;

import java.util.List;

/**
 * A synced table ({@code synced.<name>} in {@code tideline-specs}), as in Databricks' synced database
 * tables (seed 003). api-service resolves where it goes at creation and stores it in {@link #target},
 * so sync-service does not chase catalog and instance references.
 *
 * @param name                 {@code <catalog>.<schema>.<table>}: database catalog or standard catalog name,
 *                             Postgres schema, Postgres table
 * @param databaseInstanceName the instance (for standard catalogs given by the user; for database catalogs the catalog's)
 * @param logicalDatabaseName  the Postgres database (for standard catalogs given by the user; else the catalog's)
 * @param spec                 what to sync and how
 * @param pipelineId           the id of the synced table's pipeline, minted at creation;
 *                             {@code POST /api/2.0/pipelines/{pipeline_id}/updates} refreshes it
 * @param target               where the rows go, resolved at creation
 * @param uid                  a UUID minted at creation
 * @param createdAtMillis      creation time
 */
public record SyncedTableSpec(String name, String databaseInstanceName, String logicalDatabaseName, Definition spec,
                              String pipelineId, Target target, String uid, long createdAtMillis) {

    /**
     * @param sourceTableFullName            {@code catalog.schema.table} of the Delta source in the warehouse
     * @param primaryKeyColumns              the key of the Postgres table; must be unique in the source (see timeseries key)
     * @param timeseriesKey                  when set, only the row with the latest value of it is kept per key
     * @param schedulingPolicy               SNAPSHOT, TRIGGERED or CONTINUOUS
     * @param createDatabaseObjectsIfMissing create the Postgres database and schema when missing
     * @param newPipelineSpec                Databricks' storage for the pipeline; kept for JSON round trips
     * @param invalidCharacters              Tideline extension: {@code FAIL} (default) or {@code STRIP} null bytes in strings
     */
    public record Definition(String sourceTableFullName, List<String> primaryKeyColumns, String timeseriesKey,
                             SchedulingPolicy schedulingPolicy, Boolean createDatabaseObjectsIfMissing,
                             NewPipelineSpec newPipelineSpec, InvalidCharacterPolicy invalidCharacters) {

        public Definition {
            primaryKeyColumns = primaryKeyColumns == null ? List.of() : List.copyOf(primaryKeyColumns);
        }

        public boolean createsMissingObjects() {
            return Boolean.TRUE.equals(createDatabaseObjectsIfMissing);
        }

        public InvalidCharacterPolicy invalidCharactersOrDefault() {
            return invalidCharacters == null ? InvalidCharacterPolicy.FAIL : invalidCharacters;
        }
    }

    public record NewPipelineSpec(String storageCatalog, String storageSchema) {
    }

    /**
     * @param connectionName the POSTGRESQL connection of the database instance
     * @param database       the Postgres database
     * @param schema         the Postgres schema (second part of {@link #name})
     * @param table          the Postgres table (third part of {@link #name})
     */
    public record Target(String connectionName, String database, String schema, String table) {
    }

    public enum SchedulingPolicy {
        SNAPSHOT,
        TRIGGERED,
        CONTINUOUS
    }

    public enum InvalidCharacterPolicy {
        FAIL,
        STRIP
    }
}
