package dev.tideline.api.pipeline;

import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;

/**
 * The body of {@code POST /api/2.0/pipelines/{id}/updates}, as Databricks' StartUpdate. {@code cause} is
 * accepted and recorded; {@code refresh_selection} and {@code validate_only} are refused (not supported).
 */
@RegisterForReflection
public record UpdateRequestBody(Boolean fullRefresh, List<String> fullRefreshSelection, List<String> refreshSelection, String cause,
                                Boolean validateOnly) {
}
