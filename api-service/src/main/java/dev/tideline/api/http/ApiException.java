package dev.tideline.api.http;

/**
 * A request that fails with a Databricks-shaped error. The message names the field (as a JSON path, e.g.
 * {@code spec.primary_key_columns}) and says how to fix it; it never contains a password.
 */
public final class ApiException extends RuntimeException {

    private final ErrorCode code;

    public ApiException(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    /** 400 INVALID_PARAMETER_VALUE about {@code field}. */
    public static ApiException invalid(String field, String problemAndFix) {
        return new ApiException(ErrorCode.INVALID_PARAMETER_VALUE, field + ": " + problemAndFix);
    }

    /** 400 INVALID_PARAMETER_VALUE: {@code field} is required. */
    public static ApiException missing(String field, String example) {
        return new ApiException(ErrorCode.INVALID_PARAMETER_VALUE,
                field + ": is required; set it, e.g. \"" + field.substring(field.lastIndexOf('.') + 1) + "\": " + example);
    }

    /** 404 RESOURCE_DOES_NOT_EXIST. */
    public static ApiException notFound(String what, String name) {
        return new ApiException(ErrorCode.RESOURCE_DOES_NOT_EXIST, what + " '" + name + "' does not exist.");
    }

    /** 404 RESOURCE_DOES_NOT_EXIST for a reference from a request field. */
    public static ApiException referenceNotFound(String field, String what, String name, String fix) {
        return new ApiException(ErrorCode.RESOURCE_DOES_NOT_EXIST, field + ": " + what + " '" + name + "' does not exist; " + fix);
    }

    /** 409 RESOURCE_ALREADY_EXISTS. */
    public static ApiException alreadyExists(String what, String name, String fix) {
        return new ApiException(ErrorCode.RESOURCE_ALREADY_EXISTS, what + " '" + name + "' already exists; " + fix);
    }

    /** 409 RESOURCE_CONFLICT. */
    public static ApiException conflict(String message) {
        return new ApiException(ErrorCode.RESOURCE_CONFLICT, message);
    }
}
