package dev.tideline.sync.postgres;

import dev.tideline.sync.types.TargetColumn;
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
 * @param columnIds       their {@link dev.tideline.sync.types.ColumnIdentity identities} in the Delta table, same order;
 *                        {@code null} in rows written before Tideline recorded them
 * @param syncedAt        when that version was committed to Postgres
 * @param rowsApplied     rows written by the last sync (a snapshot counts every row)
 * @param lastMode        {@code SNAPSHOT} or {@code INCREMENTAL}: how the last sync ran
 */
public record SyncState(String syncedTableName, String targetSchema, String targetTable, String sourceTable, long deltaVersion,
        List<String> columnNames, List<String> columnTypes, List<String> columnIds, Instant syncedAt, long rowsApplied, String lastMode) {

    public SyncState {
        columnNames = List.copyOf(columnNames);
        columnTypes = List.copyOf(columnTypes);
        columnIds = columnIds == null ? null : List.copyOf(columnIds);
    }

    /** The bookkeeping row of a sync that leaves the table with {@code columns}. */
    public static SyncState of(String syncedTableName, String targetSchema, String targetTable, String sourceTable, long deltaVersion,
            List<TargetColumn> columns, long rowsApplied, String lastMode) {
        return new SyncState(syncedTableName, targetSchema, targetTable, sourceTable, deltaVersion,
                columns.stream().map(TargetColumn::name).toList(), columns.stream().map(TargetColumn::postgresType).toList(),
                columns.stream().map(TargetColumn::identity).toList(), Instant.now(), rowsApplied, lastMode);
    }
}
