package dev.tideline.api.http;

import dev.tideline.api.nats.ControlPlaneAccess;
import dev.tideline.core.TidelineException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Turns every failure into the Databricks error shape. Unexpected exceptions are logged with their stack
 * trace and answered with a generic message, so nothing internal (or secret) leaks into a response.
 */
public class ApiExceptionMappers {

    private static final Logger LOG = Logger.getLogger(ApiExceptionMappers.class);

    private final ControlPlaneAccess nats;

    ApiExceptionMappers(ControlPlaneAccess nats) {
        this.nats = nats;
    }

    /** The response for {@code code} and {@code message}. */
    public static Response error(ErrorCode code, String message) {
        return Response.status(code.status()).type(MediaType.APPLICATION_JSON_TYPE).entity(new ApiError(code.name(), message)).build();
    }

    @ServerExceptionMapper
    public Response api(ApiException e) {
        return error(e.code(), e.getMessage());
    }

    /** NATS down and similar: the service itself is fine, the caller should retry. */
    @ServerExceptionMapper
    public Response tideline(TidelineException e) {
        if (e.isRetryable()) {
            LOG.warnf("request failed, retryable: %s", e.getMessage());
            return error(ErrorCode.TEMPORARILY_UNAVAILABLE, e.getMessage() + (e.hint() == null ? "" : "; " + e.hint()) + "; retry the request");
        }
        LOG.errorf(e, "request failed: %s", e.getMessage());
        return error(ErrorCode.INVALID_STATE, e.getMessage() + (e.hint() == null ? "" : "; " + e.hint()));
    }

    @ServerExceptionMapper
    public Response notFound(NotFoundException e) {
        return error(ErrorCode.ENDPOINT_NOT_FOUND, "no such endpoint; see /q/swagger-ui or docs/reference/api.md for the endpoints");
    }

    /**
     * A path that exists with another HTTP method — typically a Databricks call Tideline lacks, such as PATCH of a
     * database instance: 404 ENDPOINT_NOT_FOUND, as for a path that does not exist. The Databricks SDKs map that to
     * a typed error ({@code NotFound} in Java) and do not retry it; 405 is in no SDK's mapping (an untyped error),
     * and 501 is retried by the SDKs for minutes before the caller sees anything.
     */
    @ServerExceptionMapper
    public Response notAllowed(NotAllowedException e, Request request, UriInfo uri) {
        return error(ErrorCode.ENDPOINT_NOT_FOUND, "Tideline does not implement " + request.getMethod() + " /" + uri.getPath().replaceFirst("^/", "")
                + "; docs/reference/api.md lists what it supports (the compatibility table), and /q/openapi every endpoint and method");
    }

    @ServerExceptionMapper
    public Response unsupported(NotSupportedException e) {
        return Response.fromResponse(error(ErrorCode.MALFORMED_REQUEST, "unsupported Content-Type; send JSON")).status(415).build();
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse() == null ? 500 : e.getResponse().getStatus();
        if (status >= 500) {
            LOG.errorf(e, "request failed");
            return error(ErrorCode.INTERNAL_ERROR, "internal error; see the api-service log");
        }
        return Response.fromResponse(error(status == 404 ? ErrorCode.ENDPOINT_NOT_FOUND : ErrorCode.MALFORMED_REQUEST,
                "request rejected (HTTP " + status + ")")).status(status).build();
    }

    @ServerExceptionMapper
    public Response unexpected(RuntimeException e) {
        if (!nats.connected()) {
            // jnats refuses writes while reconnecting (no reconnect buffer): the caller should retry.
            LOG.warnf("request failed while NATS is disconnected: %s", e.toString());
            return error(ErrorCode.TEMPORARILY_UNAVAILABLE, "NATS is not reachable right now; nothing was stored; retry the request");
        }
        LOG.errorf(e, "request failed unexpectedly");
        return error(ErrorCode.INTERNAL_ERROR, "internal error (" + e.getClass().getSimpleName() + "); see the api-service log");
    }
}
