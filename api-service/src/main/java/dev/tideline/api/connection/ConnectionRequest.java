package dev.tideline.api.connection;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.Map;

/**
 * The body of {@code POST /api/2.1/unity-catalog/connections}, as Databricks' CreateConnection.
 * {@code read_only}, {@code properties} and {@code owner} are accepted and ignored.
 */
@RegisterForReflection
@JsonIgnoreProperties({"read_only", "properties", "owner"})
public record ConnectionRequest(String name, String connectionType, Map<String, String> options, String comment) {
}
