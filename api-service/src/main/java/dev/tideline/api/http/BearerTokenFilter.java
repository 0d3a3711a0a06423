package dev.tideline.api.http;

import dev.tideline.api.ApiConfig;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Requires {@code Authorization: Bearer <tideline.api.token>} on every REST endpoint (the whole
 * {@code /api} tree, including unknown paths). Health, metrics, the OpenAPI document and Swagger UI are
 * served by Quarkus outside JAX-RS and stay open (see docs/reference/api.md for why), and so do the two
 * discovery documents of {@link DiscoveryResource}, which Databricks SDKs read before they send a token.
 *
 * <p>The comparison is constant-time over SHA-256 digests, so neither the content nor the length of the
 * token leaks through response timing.
 */
public class BearerTokenFilter {

    private static final String PREFIX = "Bearer ";

    private final byte[] expectedDigest;

    BearerTokenFilter(ApiConfig config) {
        String token = config.api().token();
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("tideline.api.token (env TIDELINE_API_TOKEN) must not be blank");
        }
        this.expectedDigest = sha256(token);
    }

    @ServerRequestFilter(preMatching = true)
    public Response authenticate(ContainerRequestContext request) {
        if (request.getMethod().equals("GET") && DiscoveryResource.OPEN_PATHS.contains(request.getUriInfo().getPath())) {
            return null;
        }
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header == null || header.isBlank()) {
            return unauthenticated("no Authorization header; send 'Authorization: Bearer <token>' with the token configured as tideline.api.token");
        }
        if (!header.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            return unauthenticated("the Authorization header must use the Bearer scheme: 'Authorization: Bearer <token>'");
        }
        byte[] given = sha256(header.substring(PREFIX.length()).trim());
        if (!MessageDigest.isEqual(expectedDigest, given)) {
            return unauthenticated("invalid access token");
        }
        return null;
    }

    private static Response unauthenticated(String message) {
        return Response.fromResponse(ApiExceptionMappers.error(ErrorCode.UNAUTHENTICATED, message))
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"tideline\"").build();
    }

    private static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
