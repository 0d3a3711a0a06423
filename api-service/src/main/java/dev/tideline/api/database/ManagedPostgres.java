package dev.tideline.api.database;

import dev.tideline.api.ApiConfig;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The Postgres server that database instances without {@code connection_name} are provisioned on
 * ({@code tideline.api.database-instances.*}), parsed once at start. An instance provisioned there is reached
 * through a connection api-service creates for it, named {@link #connectionName}; that connection belongs to the
 * instance (users cannot change or delete it) and goes away with it.
 *
 * @param host     host of the server
 * @param port     its port
 * @param user     the role instances are provisioned with
 * @param password its password (may be null: trust or peer authentication)
 * @param options  the connection options ({@code host}, {@code port}, {@code user}, {@code sslmode}, {@code sslrootcert})
 */
public record ManagedPostgres(String host, int port, String user, String password, Map<String, String> options) {

    /** The prefix of connections api-service manages for provisioned instances; users may not create such names. */
    public static final String CONNECTION_PREFIX = "lakebase__";
    static final String URL_PROPERTY = "tideline.api.database-instances.postgres-url";

    @Override
    public String toString() {
        return "ManagedPostgres[" + host + ":" + port + ", user " + user + "]";
    }

    /** The connection of the instance {@code instanceName} provisioned here. */
    public static String connectionName(String instanceName) {
        return CONNECTION_PREFIX + instanceName;
    }

    /** The instance a managed connection belongs to, or empty for a user's connection. */
    public static Optional<String> instanceOf(String connectionName) {
        return connectionName != null && connectionName.startsWith(CONNECTION_PREFIX)
                ? Optional.of(connectionName.substring(CONNECTION_PREFIX.length())) : Optional.empty();
    }

    /**
     * The configured server, or empty when none is configured.
     *
     * @throws IllegalArgumentException naming the property when the URL is not a {@code jdbc:postgresql://host[:port]/...} URL
     *                                  or no user is given
     */
    public static Optional<ManagedPostgres> from(ApiConfig.DatabaseInstances config) {
        Optional<String> url = config.postgresUrl().map(String::strip).filter(u -> !u.isEmpty());
        if (url.isEmpty()) {
            return Optional.empty();
        }
        String text = url.get();
        String withoutJdbc = text.startsWith("jdbc:") ? text.substring(5) : text;
        URI uri;
        try {
            uri = URI.create(withoutJdbc);
        } catch (IllegalArgumentException e) {
            throw invalid("is not a URL");
        }
        if (!"postgresql".equals(uri.getScheme()) || uri.getHost() == null) {
            throw invalid("must look like jdbc:postgresql://host:5432/postgres?user=...&password=...");
        }
        Map<String, String> query = query(uri.getRawQuery());
        String user = Optional.ofNullable(query.get("user")).or(config::postgresUser).filter(u -> !u.isBlank())
                .orElseThrow(() -> invalid("names no user; add ?user=<role> or set tideline.api.database-instances.postgres-user"));
        String password = Optional.ofNullable(query.get("password")).or(config::postgresPassword).orElse(null);
        int port = uri.getPort() < 0 ? 5432 : uri.getPort();
        Map<String, String> options = new LinkedHashMap<>();
        options.put("host", uri.getHost());
        options.put("port", Integer.toString(port));
        options.put("user", user);
        for (String key : new String[] {"sslmode", "sslrootcert"}) {
            if (query.containsKey(key)) {
                options.put(key, query.get(key));
            }
        }
        return Optional.of(new ManagedPostgres(uri.getHost(), port, user, password, Map.copyOf(options)));
    }

    private static IllegalArgumentException invalid(String problem) {
        // The value is not repeated: it may carry a password.
        return new IllegalArgumentException(URL_PROPERTY + " (env TIDELINE_API_DATABASE_INSTANCES_POSTGRES_URL) " + problem);
    }

    private static Map<String, String> query(String rawQuery) {
        Map<String, String> parameters = new LinkedHashMap<>();
        if (rawQuery == null) {
            return parameters;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                parameters.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return parameters;
    }
}
