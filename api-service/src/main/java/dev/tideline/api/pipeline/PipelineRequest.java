package dev.tideline.api.pipeline;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.tideline.control.spec.GatewayDefinition;
import dev.tideline.control.spec.IngestionDefinition;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The body of {@code POST /api/2.0/pipelines}, as Databricks' CreatePipeline: a gateway ({@code gateway_definition})
 * or an ingestion pipeline ({@code ingestion_definition}). Databricks fields about compute, notebooks, channels
 * and notifications are accepted and ignored (listed below); any other unknown field is rejected.
 */
@RegisterForReflection
@JsonIgnoreProperties({"catalog", "schema", "target", "channel", "development", "serverless", "photon", "edition", "clusters",
        "libraries", "notifications", "configuration", "tags", "budget_policy_id", "storage", "event_log", "root_path", "run_as",
        "deployment", "filters", "trigger", "dry_run", "environment", "usage_policy_id"})
public record PipelineRequest(String name, Boolean continuous, GatewayDefinition gatewayDefinition,
                              IngestionDefinition ingestionDefinition, Boolean allowDuplicateNames) {
}
