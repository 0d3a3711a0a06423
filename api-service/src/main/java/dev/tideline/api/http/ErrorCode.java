package dev.tideline.api.http;

/** The Databricks error codes this API answers with, each with its HTTP status (as Databricks' SDKs map them). */
public enum ErrorCode {
    /** A field is missing, malformed or refers to something unusable. */
    INVALID_PARAMETER_VALUE(400),
    /** The body is not JSON, or not an object of the expected shape. */
    MALFORMED_REQUEST(400),
    /** The resource is in a state that does not allow the operation. */
    INVALID_STATE(400),
    UNAUTHENTICATED(401),
    /** Authenticated, but the resource may not be changed this way (e.g. a connection Tideline manages itself). */
    PERMISSION_DENIED(403),
    RESOURCE_DOES_NOT_EXIST(404),
    ENDPOINT_NOT_FOUND(404),
    /** A resource with that name exists (with a different definition). */
    RESOURCE_ALREADY_EXISTS(409),
    /** Other resources depend on it, or it would clash with another resource. */
    RESOURCE_CONFLICT(409),
    /** NATS or a database is unreachable right now: retry. */
    TEMPORARILY_UNAVAILABLE(503),
    /** Something Tideline does not implement (documented in docs/reference/api.md). */
    NOT_IMPLEMENTED(501),
    INTERNAL_ERROR(500);

    private final int status;

    ErrorCode(int status) {
        this.status = status;
    }

    public int status() {
        return status;
    }
}
