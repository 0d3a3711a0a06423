package dev.tideline.api.table;

import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A table as Unity Catalog's {@code GET /api/2.1/unity-catalog/tables/{full_name}} shows it. The latest Delta
 * version is in {@code properties["delta.lastUpdateVersion"]}, as Databricks reports it; {@code pipeline_id} is
 * the ingestion pipeline that writes the table (null when none does any more).
 */
@RegisterForReflection
public record TableInfo(String name, String catalogName, String schemaName, String fullName, String tableType, String dataSourceFormat,
                        String storageLocation, List<DeltaColumn> columns, Map<String, String> properties, String tableId, String comment,
                        Long createdAt, long updatedAt, String pipelineId) {

    static TableInfo of(String catalog, String schema, String table, DeltaTableSnapshot snapshot, String pipelineId) {
        Map<String, String> properties = new LinkedHashMap<>(snapshot.configuration());
        properties.put("delta.lastCommitTimestamp", Long.toString(snapshot.lastCommitMillis()));
        properties.put("delta.lastUpdateVersion", Long.toString(snapshot.version()));
        properties.put("delta.minReaderVersion", Integer.toString(snapshot.minReaderVersion()));
        properties.put("delta.minWriterVersion", Integer.toString(snapshot.minWriterVersion()));
        if (!snapshot.partitionColumns().isEmpty()) {
            properties.put("tideline.partitionColumns", String.join(",", snapshot.partitionColumns()));
        }
        return new TableInfo(table, catalog, schema, catalog + "." + schema + "." + table, "MANAGED", "DELTA", snapshot.location(),
                snapshot.columns(), properties, snapshot.tableId(), snapshot.description(), snapshot.createdTimeMillis(),
                snapshot.lastCommitMillis(), pipelineId);
    }
}
