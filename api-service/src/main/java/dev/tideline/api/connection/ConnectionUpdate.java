package dev.tideline.api.connection;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.Map;

/**
 * The body of {@code PATCH /api/2.1/unity-catalog/connections/{name}}, as Databricks' UpdateConnection:
 * {@code options} replaces the connection's options (a {@code password} left out keeps the stored one),
 * {@code new_name} renames a connection nothing uses yet. {@code owner} is accepted and ignored.
 */
@RegisterForReflection
@JsonIgnoreProperties({"owner"})
public record ConnectionUpdate(Map<String, String> options, String newName) {
}
