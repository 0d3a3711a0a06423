package dev.tideline.api.console;

import dev.tideline.api.ApiConfig;
import dev.tideline.api.http.ApiToken;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateData;
import io.quarkus.qute.TemplateInstance;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The console: server-rendered HTML pages (Qute, escaped by default) over what the API knows, behind the API
 * token ({@link ConsoleAuthFilter}). Pages only read; their action buttons call the public API from the browser
 * with the same token, after the user confirmed. See docs/decisions.md for why this stack.
 */
@Path("/console")
@Produces(MediaType.TEXT_HTML)
@Tag(name = "console")
public class ConsoleResource {

    private static final Logger LOG = Logger.getLogger(ConsoleResource.class);
    /** Only this origin's own files run and load; identifiers are escaped, and this is the second line of defence. */
    private static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none';"
            + " base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    private static final int MAX_EVENTS = 200;

    @CheckedTemplate(basePath = "console")
    static class Templates {
        static native TemplateInstance signIn(String error);

        static native TemplateInstance overview(ConsoleViews.Overview page, Chrome chrome);

        static native TemplateInstance pipeline(ConsoleViews.PipelinePage page, Chrome chrome);

        static native TemplateInstance synced(ConsoleViews.SyncedPage page, Chrome chrome);

        static native TemplateInstance events(List<ConsoleViews.EventRow> events, String q, Chrome chrome);

        static native TemplateInstance notFound(String what, Chrome chrome);
    }

    /** What every page's frame needs: its title and how often it reloads itself (0: never). */
    @TemplateData
    record Chrome(String title, int refreshSeconds) {
    }

    private final ConsoleModel model;
    private final ApiToken token;
    private final int refreshSeconds;

    ConsoleResource(ConsoleModel model, ApiToken token, ApiConfig config) {
        this.model = model;
        this.token = token;
        this.refreshSeconds = config.console().refreshSeconds();
    }

    @GET
    @Path("/sign-in")
    @Operation(hidden = true)
    public Response signInPage() {
        return html(Templates.signIn(null), Response.Status.OK);
    }

    /** Checks the token and keeps it in a session cookie ({@link ConsoleAuthFilter} says why it is shaped so). */
    @POST
    @Path("/sign-in")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Operation(hidden = true)
    public Response signIn(@FormParam("token") String presented, @Context UriInfo uri, @Context HttpHeaders headers) {
        String value = presented == null ? null : presented.strip();
        if (!token.matches(value)) {
            LOG.infof("console sign-in refused (wrong token)");
            return html(Templates.signIn("That is not the API token. Use the value of TIDELINE_API_TOKEN (deploy/local/up.sh prints it)."),
                    Response.Status.UNAUTHORIZED);
        }
        NewCookie cookie = new NewCookie.Builder(ConsoleAuthFilter.COOKIE).value(URLEncoder.encode(value, StandardCharsets.UTF_8)).path("/")
                .sameSite(NewCookie.SameSite.STRICT).secure(https(uri, headers)).httpOnly(false).build();
        return Response.seeOther(URI.create("/console")).cookie(cookie).header(HttpHeaders.CACHE_CONTROL, "no-store").build();
    }

    @POST
    @Path("/sign-out")
    @Operation(hidden = true)
    public Response signOut() {
        NewCookie expired = new NewCookie.Builder(ConsoleAuthFilter.COOKIE).value("").path("/").maxAge(0)
                .sameSite(NewCookie.SameSite.STRICT).build();
        return Response.seeOther(URI.create(ConsoleAuthFilter.SIGN_IN)).cookie(expired).build();
    }

    @GET
    @Operation(hidden = true)
    public Response overview() {
        return html(Templates.overview(model.overview(), new Chrome("Overview", refreshSeconds)), Response.Status.OK);
    }

    @GET
    @Path("/pipelines/{id}")
    @Operation(hidden = true)
    public Response pipeline(@PathParam("id") String id) {
        return model.pipeline(id)
                .map(page -> html(Templates.pipeline(page, new Chrome(page.name(), refreshSeconds)), Response.Status.OK))
                .orElseGet(() -> notFound("pipeline " + id));
    }

    @GET
    @Path("/synced-tables/{name}")
    @Operation(hidden = true)
    public Response synced(@PathParam("name") String name) {
        return model.synced(name)
                .map(page -> html(Templates.synced(page, new Chrome(page.table().name(), refreshSeconds)), Response.Status.OK))
                .orElseGet(() -> notFound("synced table " + name));
    }

    @GET
    @Path("/events")
    @Operation(hidden = true)
    public Response events(@QueryParam("q") String q) {
        return html(Templates.events(model.events(q, MAX_EVENTS), q == null ? "" : q, new Chrome("Events", refreshSeconds)), Response.Status.OK);
    }

    private Response notFound(String what) {
        return html(Templates.notFound(what, new Chrome("Not found", 0)), Response.Status.NOT_FOUND);
    }

    private static Response html(TemplateInstance page, Response.Status status) {
        return Response.status(status).type(MediaType.TEXT_HTML_TYPE.withCharset("UTF-8")).entity(page.render())
                .header("Content-Security-Policy", CSP).header("X-Content-Type-Options", "nosniff")
                .header("Referrer-Policy", "no-referrer").header(HttpHeaders.CACHE_CONTROL, "no-store").build();
    }

    /** Whether the browser reached us over TLS, directly or through a proxy that says so. */
    private static boolean https(UriInfo uri, HttpHeaders headers) {
        return "https".equalsIgnoreCase(uri.getRequestUri().getScheme()) || "https".equalsIgnoreCase(headers.getHeaderString("X-Forwarded-Proto"));
    }
}
