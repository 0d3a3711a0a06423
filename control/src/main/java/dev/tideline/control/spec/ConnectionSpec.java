package dev.tideline.control.spec;

import java.util.Map;

/**
 * A Unity-Catalog-style connection as stored in KV ({@code connection.<name>} in {@code tideline-specs}).
 * Only {@code POSTGRESQL} connections exist. The password is never stored in clear: api-service keeps it
 * as {@link #encryptedPassword} (see {@link dev.tideline.control.secret.SecretBox}) and removes it from
 * {@link #options}.
 *
 * @param name              the connection's name, unique
 * @param connectionType    {@code POSTGRESQL}
 * @param options           {@code host}, {@code port}, {@code user} and optional {@code sslmode}
 *                          ({@code disable|require|verify-ca|verify-full}), {@code sslrootcert}; never {@code password}
 * @param encryptedPassword the password sealed by {@link dev.tideline.control.secret.SecretBox} with the name as context
 * @param comment           free text, may be null
 * @param connectionId      a UUID minted at creation
 * @param createdAtMillis   creation time
 */
public record ConnectionSpec(String name, String connectionType, Map<String, String> options, String encryptedPassword,
                             String comment, String connectionId, long createdAtMillis) {

    public static final String POSTGRESQL = "POSTGRESQL";

    public ConnectionSpec {
        options = options == null ? Map.of() : Map.copyOf(options);
    }

    public String host() {
        return options.get("host");
    }

    /** The port, 5432 when not set. */
    public int port() {
        String port = options.get("port");
        return port == null || port.isBlank() ? 5432 : Integer.parseInt(port.trim());
    }

    public String user() {
        return options.get("user");
    }

    /** The TLS mode for pgjdbc's {@code sslmode}; {@code prefer} when not set, as libpq does. */
    public String sslMode() {
        return options.getOrDefault("sslmode", "prefer");
    }

    /**
     * A pgjdbc URL for {@code database} on this connection, with the TLS options; credentials are passed
     * separately so they never appear in a URL that might be logged.
     */
    public String jdbcUrl(String database) {
        StringBuilder url = new StringBuilder("jdbc:postgresql://").append(host()).append(':').append(port()).append('/')
                .append(java.net.URLEncoder.encode(database, java.nio.charset.StandardCharsets.UTF_8))
                .append("?sslmode=").append(sslMode());
        String rootCert = options.get("sslrootcert");
        if (rootCert != null && !rootCert.isBlank()) {
            url.append("&sslrootcert=").append(java.net.URLEncoder.encode(rootCert, java.nio.charset.StandardCharsets.UTF_8));
        }
        return url.toString();
    }
}
