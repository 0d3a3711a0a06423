package dev.tideline.api.connection;

import dev.tideline.api.database.ManagedPostgres;
import dev.tideline.api.http.ApiException;
import dev.tideline.api.http.ErrorCode;
import dev.tideline.api.http.FieldRules;
import dev.tideline.api.http.Pages;
import dev.tideline.api.http.RequestBodies;
import dev.tideline.api.nats.SpecStore;
import dev.tideline.control.kv.Versioned;
import dev.tideline.control.spec.ConnectionSpec;
import dev.tideline.control.spec.DatabaseInstanceSpec;
import dev.tideline.control.spec.PipelineSpec;
import dev.tideline.core.naming.KvKeys;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Unity-Catalog-style connections to Postgres ({@code /api/2.1/unity-catalog/connections}). The password is
 * sealed with {@link ConnectionSecrets} before it is stored and is never returned or logged.
 */
@Path("/api/2.1/unity-catalog/connections")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
@Tag(name = "connections")
public class ConnectionsResource {

    private static final Logger LOG = Logger.getLogger(ConnectionsResource.class);
    private static final Set<String> OPTIONS = Set.of("host", "port", "user", "password", "sslmode", "sslrootcert");
    private static final Set<String> SSL_MODES = Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

    private final SpecStore store;
    private final ConnectionSecrets secrets;

    ConnectionsResource(SpecStore store, ConnectionSecrets secrets) {
        this.store = store;
        this.secrets = secrets;
    }

    /** Databricks' ListConnectionsResponse. */
    @RegisterForReflection
    public record ConnectionList(List<ConnectionInfo> connections, String nextPageToken) {
    }

    @POST
    @Operation(summary = "Create a POSTGRESQL connection")
    @RequestBody(content = @Content(schema = @Schema(implementation = ConnectionRequest.class)))
    public ConnectionInfo create(String body) {
        ConnectionRequest request = RequestBodies.read(body, ConnectionRequest.class);
        String name = userName("name", FieldRules.objectName("name", request.name(), "\"neon_source\""));
        String type = FieldRules.required("connection_type", request.connectionType(), "\"POSTGRESQL\"");
        if (!type.toUpperCase(Locale.ROOT).equals(ConnectionSpec.POSTGRESQL)) {
            throw ApiException.invalid("connection_type", "'" + type + "' is not supported; Tideline connects to Postgres only: use \"POSTGRESQL\"");
        }
        Map<String, String> options = validOptions(request.options());
        String password = options.remove("password");
        ConnectionSpec spec = new ConnectionSpec(name, ConnectionSpec.POSTGRESQL, options,
                password == null ? null : secrets.seal(name, password), request.comment(), UUID.randomUUID().toString(), System.currentTimeMillis());
        if (!store.create(KvKeys.connection(name), spec)) {
            throw ApiException.alreadyExists("Connection", name, "delete it first or choose another name");
        }
        LOG.infof("connection %s created (host %s, port %d, user %s)", name, spec.host(), spec.port(), spec.user());
        return ConnectionInfo.of(spec);
    }

    @GET
    @Operation(summary = "List connections, a page at a time (max_results, page_token)")
    public ConnectionList list(@QueryParam("max_results") String maxResults, @QueryParam("page_token") String pageToken) {
        Pages<ConnectionSpec> page = Pages.of(store.connections(), "max_results", maxResults, pageToken, ConnectionSpec::name);
        return new ConnectionList(page.items().stream().map(ConnectionInfo::of).toList(), page.nextPageToken());
    }

    @GET
    @Path("/{name}")
    @Operation(summary = "Get a connection (never its password)")
    public ConnectionInfo get(@PathParam("name") String name) {
        return ConnectionInfo.of(store.connection(name).orElseThrow(() -> ApiException.notFound("Connection", name)));
    }

    /**
     * Replaces the options of a connection, e.g. to rotate its password: the gateways and synced tables that use
     * it reconnect with the new options. A {@code password} left out keeps the stored one. {@code new_name}
     * renames a connection that no gateway or database instance uses.
     */
    @PATCH
    @Path("/{name}")
    @Operation(summary = "Update a connection's options (rotate its password), or rename an unused connection")
    @RequestBody(content = @Content(schema = @Schema(implementation = ConnectionUpdate.class)))
    public ConnectionInfo update(@PathParam("name") String name, String body) {
        ConnectionUpdate request = RequestBodies.read(body, ConnectionUpdate.class);
        Versioned<ConnectionSpec> current = store.connectionEntry(name).orElseThrow(() -> ApiException.notFound("Connection", name));
        requireUserOwned(name, "change");
        Map<String, String> options = validOptions(request.options());
        String newName = request.newName() == null || request.newName().equals(name) ? name
                : userName("new_name", FieldRules.objectName("new_name", request.newName(), "\"neon_source_v2\""));
        String password = options.remove("password");
        boolean newPassword = password != null;
        if (password == null && current.value().encryptedPassword() != null) {
            password = secrets.password(current.value()); // kept; sealed again when the name changes (it is bound in)
        }
        ConnectionSpec updated = new ConnectionSpec(newName, ConnectionSpec.POSTGRESQL, options,
                password == null ? null : secrets.seal(newName, password), current.value().comment(), current.value().connectionId(),
                current.value().createdAtMillis());
        if (newName.equals(name)) {
            if (!store.update(KvKeys.connection(name), updated, current.revision())) {
                throw ApiException.conflict("Connection '" + name + "' changed while it was being updated; read it again and retry");
            }
            LOG.infof("connection %s updated (host %s, port %d, user %s%s)", name, updated.host(), updated.port(), updated.user(),
                    newPassword ? ", new password" : "");
        } else {
            requireUnused(name, "rename");
            if (!store.create(KvKeys.connection(newName), updated)) {
                throw ApiException.alreadyExists("Connection", newName, "choose another new_name");
            }
            store.delete(KvKeys.connection(name));
            LOG.infof("connection %s renamed to %s", name, newName);
        }
        return ConnectionInfo.of(updated);
    }

    @DELETE
    @Path("/{name}")
    @Operation(summary = "Delete a connection that no gateway or database instance uses")
    public Map<String, Object> delete(@PathParam("name") String name) {
        store.connection(name).orElseThrow(() -> ApiException.notFound("Connection", name));
        requireUserOwned(name, "delete");
        requireUnused(name, "delete");
        store.delete(KvKeys.connection(name));
        LOG.infof("connection %s deleted", name);
        return Map.of();
    }

    /** A connection Tideline manages for a database instance it provisioned is the instance's: 403 for anyone else. */
    private static void requireUserOwned(String name, String action) {
        ManagedPostgres.instanceOf(name).ifPresent(instance -> {
            throw new ApiException(ErrorCode.PERMISSION_DENIED, "Connection '" + name + "' is managed by Tideline for database instance '"
                    + instance + "'; you may not " + action + " it. Delete the database instance to remove it");
        });
    }

    /** {@code name}, unless it is in the namespace of managed connections. */
    private static String userName(String field, String name) {
        if (ManagedPostgres.instanceOf(name).isPresent()) {
            throw ApiException.invalid(field, "names starting with '" + ManagedPostgres.CONNECTION_PREFIX + "' are reserved for connections"
                    + " Tideline manages for database instances; choose another name");
        }
        return name;
    }

    private void requireUnused(String name, String action) {
        List<String> users = new java.util.ArrayList<>();
        for (PipelineSpec pipeline : store.pipelines()) {
            if (pipeline.isGateway() && name.equals(pipeline.gatewayDefinition().connectionName())) {
                users.add("gateway pipeline " + pipeline.id());
            }
        }
        for (DatabaseInstanceSpec instance : store.instances()) {
            if (name.equals(instance.connectionName())) {
                users.add("database instance " + instance.name());
            }
        }
        if (!users.isEmpty()) {
            throw ApiException.conflict("Connection '" + name + "' is used by " + String.join(", ", users) + "; " + action
                    + (action.equals("delete") ? " those first" : " it only when nothing uses it, or create a new connection"));
        }
    }

    private static Map<String, String> validOptions(Map<String, String> given) {
        if (given == null || given.isEmpty()) {
            throw ApiException.missing("options", "{\"host\": \"ep-cool-darkness-123456.us-east-2.aws.neon.tech\", \"port\": \"5432\","
                    + " \"user\": \"databricks_replication\", \"password\": \"...\"}");
        }
        Map<String, String> options = new LinkedHashMap<>();
        for (Map.Entry<String, String> option : given.entrySet()) {
            String key = option.getKey();
            if (!OPTIONS.contains(key)) {
                throw ApiException.invalid("options." + key, "unknown option; POSTGRESQL connections take " + new java.util.TreeSet<>(OPTIONS));
            }
            if (option.getValue() != null) {
                options.put(key, key.equals("password") ? option.getValue() : option.getValue().trim());
            }
        }
        String host = FieldRules.required("options.host", options.get("host"), "\"ep-cool-darkness-123456.us-east-2.aws.neon.tech\"");
        if (host.chars().anyMatch(c -> Character.isWhitespace(c) || c == '/' || c == '?' || c == '@')) {
            throw ApiException.invalid("options.host", "'" + host + "' is not a host name; give only the host, e.g. \"db.example.com\"");
        }
        String port = options.get("port");
        if (port != null) {
            int number;
            try {
                number = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                number = -1;
            }
            if (number < 1 || number > 65535) {
                throw ApiException.invalid("options.port", "'" + port + "' is not a TCP port; use a number from 1 to 65535, e.g. \"5432\"");
            }
        }
        FieldRules.required("options.user", options.get("user"), "\"databricks_replication\"");
        String sslMode = options.get("sslmode");
        if (sslMode != null && !SSL_MODES.contains(sslMode)) {
            throw ApiException.invalid("options.sslmode", "'" + sslMode + "' is not a libpq sslmode; use one of " + new java.util.TreeSet<>(SSL_MODES));
        }
        return options;
    }
}
