package dev.tideline.api.http;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The error body of every failed request, as Databricks' REST API shapes it:
 * {@code {"error_code": "INVALID_PARAMETER_VALUE", "message": "..."}}.
 *
 * @param errorCode a Databricks error code ({@link ErrorCode})
 * @param message   what is wrong, naming the field, and how to fix it
 */
@RegisterForReflection
public record ApiError(String errorCode, String message) {
}
