package dev.tideline.api.http;

import dev.tideline.api.console.ConsoleAuthFilter;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Requires {@code Authorization: Bearer <tideline.api.token>} on every REST endpoint (the whole
 * {@code /api} tree, including unknown paths). Health, metrics, the OpenAPI document and Swagger UI are
 * served by Quarkus outside JAX-RS and stay open (see docs/reference/api.md for why), and so do the two
 * discovery documents of {@link DiscoveryResource}, which Databricks SDKs read before they send a token.
 *
 * <p>The console ({@code /console}) is a browser's, which cannot send this header on a page load: its
 * {@link ConsoleAuthFilter} guards it with the same token kept in a session cookie. The API itself never
 * accepts that cookie, so no other site can make a signed-in browser call it.
 *
 * <p>The comparison is {@link ApiToken}'s (constant-time).
 */
public class BearerTokenFilter {

    private static final String PREFIX = "Bearer ";

    private final ApiToken token;

    BearerTokenFilter(ApiToken token) {
        this.token = token;
    }

    @ServerRequestFilter(preMatching = true)
    public Response authenticate(ContainerRequestContext request) {
        if (request.getMethod().equals("GET") && DiscoveryResource.OPEN_PATHS.contains(request.getUriInfo().getPath())) {
            return null;
        }
        if (ConsoleAuthFilter.isConsolePath(request.getUriInfo().getPath())) {
            return null;
        }
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header == null || header.isBlank()) {
            return unauthenticated("no Authorization header; send 'Authorization: Bearer <token>' with the token configured as tideline.api.token");
        }
        if (!header.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            return unauthenticated("the Authorization header must use the Bearer scheme: 'Authorization: Bearer <token>'");
        }
        if (!token.matches(header.substring(PREFIX.length()).trim())) {
            return unauthenticated("invalid access token");
        }
        return null;
    }

    private static Response unauthenticated(String message) {
        return Response.fromResponse(ApiExceptionMappers.error(ErrorCode.UNAUTHENTICATED, message))
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"tideline\"").build();
    }
}
