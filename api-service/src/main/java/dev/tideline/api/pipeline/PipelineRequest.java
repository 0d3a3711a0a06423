package dev.tideline.api.pipeline;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.tideline.control.spec.GatewayDefinition;
import dev.tideline.control.spec.IngestionDefinition;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The body of {@code POST /api/2.0/pipelines} and {@code PUT /api/2.0/pipelines/{pipeline_id}}, as Databricks'
 * CreatePipeline and EditPipeline: a gateway ({@code gateway_definition}) or an ingestion pipeline
 * ({@code ingestion_definition}); {@code pipeline_id} only on an edit, where it must match the path. Databricks
 * fields about compute, notebooks, channels and notifications are accepted and ignored (listed below); any other
 * unknown field is rejected.
 */
@RegisterForReflection
@JsonIgnoreProperties({"catalog", "schema", "target", "channel", "development", "serverless", "photon", "edition", "clusters",
        "libraries", "notifications", "configuration", "tags", "budget_policy_id", "storage", "event_log", "root_path", "run_as",
        "deployment", "filters", "trigger", "dry_run", "environment", "usage_policy_id", "expected_last_modified"})
public record PipelineRequest(String pipelineId, String name, Boolean continuous, GatewayDefinition gatewayDefinition,
                              IngestionDefinition ingestionDefinition, Boolean allowDuplicateNames) {
}
