package dev.tideline.sync.model;

import dev.tideline.core.TidelineException;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Everything the sync engine needs to know about one synced table, independent of where the spec
 * came from (NATS KV in the service, code in tests).
 *
 * @param name             the synced table's full name ({@code catalog.schema.table}), the bookkeeping key
 * @param sourceTableName  the source Delta table's full name, for messages
 * @param sourceTablePath  the Delta table's location (a path or URI Kernel understands)
 * @param target           the Postgres database, schema and table
 * @param primaryKey       primary key columns (Delta column names), at least one
 * @param timeseriesKey    when present, only the row with the greatest value per key is kept
 * @param policy           SNAPSHOT, TRIGGERED or CONTINUOUS
 * @param nullBytes        what to do with NUL characters in strings
 * @param createDatabaseObjectsIfMissing create the target schema when it does not exist
 */
public record SyncedTableDefinition(
        String name,
        String sourceTableName,
        String sourceTablePath,
        TargetTable target,
        List<String> primaryKey,
        Optional<String> timeseriesKey,
        SchedulingPolicy policy,
        NullBytePolicy nullBytes,
        boolean createDatabaseObjectsIfMissing) {

    public SyncedTableDefinition {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(sourceTableName, "sourceTableName");
        Objects.requireNonNull(sourceTablePath, "sourceTablePath");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(timeseriesKey, "timeseriesKey");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(nullBytes, "nullBytes");
        primaryKey = List.copyOf(Objects.requireNonNull(primaryKey, "primaryKey"));
        if (primaryKey.isEmpty()) {
            throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                    "synced table " + name + " has no primary key columns",
                    "set spec.primary_key_columns, e.g. [\"id\"]; a primary key is required for reads, updates and deletes");
        }
        Set<String> seen = new HashSet<>();
        for (String column : primaryKey) {
            if (!seen.add(column)) {
                throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                        "synced table " + name + " lists primary key column '" + column + "' twice",
                        "list each primary key column once in spec.primary_key_columns");
            }
        }
        if (timeseriesKey.isPresent() && primaryKey.contains(timeseriesKey.get())) {
            throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                    "synced table " + name + ": timeseries key '" + timeseriesKey.get() + "' is also a primary key column",
                    "choose a timeseries key outside the primary key (e.g. an update timestamp)");
        }
    }
}
