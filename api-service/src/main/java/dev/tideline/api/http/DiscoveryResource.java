package dev.tideline.api.http;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The two discovery documents a Databricks SDK reads, without a token, when a client is created: the host's
 * metadata and the OAuth authorization server metadata its {@code oidc_endpoint} points to. Answering them
 * (rather than 401) lets the SDK start without warnings and settle on the bearer token it was given.
 *
 * <p>Tideline authenticates with one bearer token only, so the OAuth document advertises no token or
 * authorization endpoint and no grant type: an SDK configured for OAuth fails at its first token request
 * instead of being sent to an endpoint that does not exist. Nothing here is secret (see {@link BearerTokenFilter}).
 */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "discovery")
public class DiscoveryResource {

    /** The paths served without a token, as {@link BearerTokenFilter} compares them. */
    public static final List<String> OPEN_PATHS = List.of("/.well-known/databricks-config", "/oidc/.well-known/oauth-authorization-server");

    @GET
    @Path(".well-known/databricks-config")
    @Operation(summary = "Host metadata for Databricks SDKs (no token needed)")
    public Map<String, Object> hostMetadata(@Context UriInfo uri) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("oidc_endpoint", base(uri) + "/oidc");
        return metadata;
    }

    @GET
    @Path("oidc/.well-known/oauth-authorization-server")
    @Operation(summary = "OAuth authorization server metadata (RFC 8414): none offered, use a bearer token")
    public Map<String, Object> oauthMetadata(@Context UriInfo uri) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("issuer", base(uri) + "/oidc");
        metadata.put("response_types_supported", List.of());
        metadata.put("grant_types_supported", List.of());
        metadata.put("token_endpoint_auth_methods_supported", List.of());
        metadata.put("service_documentation", "Tideline authenticates with 'Authorization: Bearer <tideline.api.token>' only;"
                + " configure the SDK with a token (DATABRICKS_TOKEN), not OAuth");
        return metadata;
    }

    private static String base(UriInfo uri) {
        String base = uri.getBaseUri().toString();
        return base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }
}
