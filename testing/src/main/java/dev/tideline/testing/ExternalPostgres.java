package dev.tideline.testing;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A server someone else runs, named by {@code TIDELINE_TEST_PG_URL} as
 * {@code postgresql://user:password@host:port/db} or {@code jdbc:postgresql://host:port/db?user=..&password=..}.
 * It must already allow logical replication; nothing here can change its settings.
 */
final class ExternalPostgres implements PostgresBackend {

    private final String host;
    private final int port;
    private final String user;
    private final String password;

    ExternalPostgres(String url) {
        String plain = url.startsWith("jdbc:") ? url.substring("jdbc:".length()) : url;
        URI uri;
        try {
            uri = URI.create(plain);
        } catch (IllegalArgumentException e) {
            throw new TestServerException("TIDELINE_TEST_PG_URL='" + url + "' is not a URL; expected "
                    + "postgresql://user:password@host:port/db or jdbc:postgresql://host:port/db?user=u&password=p", e);
        }
        if (uri.getHost() == null) {
            throw new TestServerException("TIDELINE_TEST_PG_URL='" + url + "' names no host; expected "
                    + "postgresql://user:password@host:port/db");
        }
        Map<String, String> query = new HashMap<>();
        if (uri.getRawQuery() != null) {
            for (String pair : uri.getRawQuery().split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    query.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        String userInfoUser = null;
        String userInfoPassword = null;
        if (uri.getRawUserInfo() != null) {
            String[] parts = uri.getRawUserInfo().split(":", 2);
            userInfoUser = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
            userInfoPassword = parts.length > 1 ? URLDecoder.decode(parts[1], StandardCharsets.UTF_8) : null;
        }
        this.host = uri.getHost();
        this.port = uri.getPort() > 0 ? uri.getPort() : 5432;
        this.user = Optional.ofNullable(userInfoUser).orElse(query.getOrDefault("user", "postgres"));
        this.password = Optional.ofNullable(userInfoPassword).orElse(query.getOrDefault("password", ""));
    }

    @Override
    public void start() {
        // someone else runs it; PostgresServer checks that it answers
    }

    @Override
    public void stop() {
        throw new FaultInjectionUnsupportedException("Postgres at " + host + ":" + port, "TIDELINE_TEST_PG_URL");
    }

    @Override
    public void kill() {
        throw new FaultInjectionUnsupportedException("Postgres at " + host + ":" + port, "TIDELINE_TEST_PG_URL");
    }

    @Override
    public void close() {
        // not ours to stop
    }

    @Override
    public String host() {
        return host;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public String user() {
        return user;
    }

    @Override
    public String password() {
        return password;
    }

    @Override
    public boolean supportsFaultInjection() {
        return false;
    }

    @Override
    public PostgresServer.Source source() {
        return PostgresServer.Source.EXTERNAL;
    }

    @Override
    public Optional<Path> logFile() {
        return Optional.empty();
    }
}
