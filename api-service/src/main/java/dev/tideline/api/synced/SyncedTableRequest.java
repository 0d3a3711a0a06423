package dev.tideline.api.synced;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.tideline.control.spec.SyncedTableSpec.InvalidCharacterPolicy;
import dev.tideline.control.spec.SyncedTableSpec.NewPipelineSpec;
import dev.tideline.control.spec.SyncedTableSpec.SchedulingPolicy;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;

/**
 * The body of {@code POST /api/2.0/database/synced_tables}, exactly as seed 003 sends it. Both spellings the
 * seed uses are accepted: {@code new_pipeline_spec} at the top level (curl) or inside {@code spec} (the API),
 * and {@code name} at the top level (curl) or inside {@code spec} (the first CLI example). Output-only fields
 * of a synced table (as returned by GET) are accepted and ignored, so a GET response can be posted back.
 */
@RegisterForReflection
@JsonIgnoreProperties({"data_synchronization_status", "unity_catalog_provisioning_state", "effective_database_instance_name",
        "effective_logical_database_name"})
public record SyncedTableRequest(String name, String databaseInstanceName, String logicalDatabaseName, Spec spec,
                                 NewPipelineSpec newPipelineSpec) {

    /**
     * Databricks' SyncedTableSpec, plus Tideline's {@code invalid_characters} ({@code FAIL} or {@code STRIP} null bytes).
     */
    @RegisterForReflection
    public record Spec(String name, String sourceTableFullName, List<String> primaryKeyColumns, String timeseriesKey,
                       SchedulingPolicy schedulingPolicy, Boolean createDatabaseObjectsIfMissing, NewPipelineSpec newPipelineSpec,
                       String existingPipelineId, InvalidCharacterPolicy invalidCharacters) {
    }
}
