package dev.tideline.sync.target;

import java.time.Instant;
import java.util.List;

/**
 * The bookkeeping row of one synced table in the target database ({@code tideline.synced_tables}),
 * written in the same transaction as the rows it describes: it is the source of truth for which
 * Delta version the Postgres table reflects.
 *
 * @param syncedTableName the synced table's full name
 * @param targetSchema    the Postgres schema
 * @param targetTable     the Postgres table
 * @param sourceTable     the source Delta table's name
 * @param deltaVersion    the Delta version the Postgres table equals
 * @param columnNames     the synced columns, in order
 * @param columnTypes     their Postgres types, same order
 * @param syncedAt        when that version was committed to Postgres
 * @param rowsApplied     rows written by the last sync (a snapshot counts every row)
 * @param lastMode        {@code SNAPSHOT} or {@code INCREMENTAL}: how the last sync ran
 */
public record SyncState(String syncedTableName, String targetSchema, String targetTable, String sourceTable, long deltaVersion,
        List<String> columnNames, List<String> columnTypes, Instant syncedAt, long rowsApplied, String lastMode) {

    public SyncState {
        columnNames = List.copyOf(columnNames);
        columnTypes = List.copyOf(columnTypes);
    }
}
