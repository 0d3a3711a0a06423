package dev.tideline.api.console;

import dev.tideline.api.http.ApiToken;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Cookie;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Guards every console page ({@code /console/...}) but the sign-in page: the request must carry the
 * {@link #COOKIE} session cookie holding the API token ({@link ConsoleResource#signIn} sets it). Without it a
 * page load is redirected to the sign-in page and anything else gets 401, so nothing the console shows is
 * readable without the token.
 *
 * <p>The cookie is a session cookie (no expiry: gone when the browser session ends), {@code SameSite=Strict}
 * (never sent by another site's page, so console forms cannot be forged cross-site), and readable by the
 * console's own script, which sends the token as {@code Authorization: Bearer} when an action calls the public
 * API — the API itself does not accept the cookie.
 */
public class ConsoleAuthFilter {

    /** The session cookie's name. */
    public static final String COOKIE = "tideline_console_token";
    static final String SIGN_IN = "/console/sign-in";

    private final ApiToken token;

    ConsoleAuthFilter(ApiToken token) {
        this.token = token;
    }

    /**
     * Whether {@code path} belongs to the console (guarded here, not by the bearer token filter). A path with a dot
     * segment ({@code /console/../api/...}) never does, whatever the router later makes of it: the API must not be
     * reachable with the console's cookie.
     */
    public static boolean isConsolePath(String path) {
        return (path.equals("/console") || path.startsWith("/console/")) && !path.contains("/.");
    }

    @ServerRequestFilter(preMatching = true)
    public Response authenticate(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!isConsolePath(path) || path.equals(SIGN_IN)) {
            return null;
        }
        if (signedIn(request.getCookies().get(COOKIE))) {
            return null;
        }
        if (request.getMethod().equals("GET")) {
            return Response.seeOther(URI.create(SIGN_IN)).header(HttpHeaders.CACHE_CONTROL, "no-store").build();
        }
        return Response.status(Response.Status.UNAUTHORIZED).type(MediaType.TEXT_PLAIN_TYPE)
                .entity("sign in at " + SIGN_IN + " with the API token").build();
    }

    private boolean signedIn(Cookie cookie) {
        return cookie != null && token.matches(decode(cookie.getValue()));
    }

    /** The cookie holds the token URL-encoded (a token may contain characters a cookie value cannot). */
    static String decode(String value) {
        try {
            return URLDecoder.decode(value, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
