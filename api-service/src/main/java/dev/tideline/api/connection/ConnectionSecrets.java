package dev.tideline.api.connection;

import dev.tideline.api.ApiConfig;
import dev.tideline.control.secret.SecretBox;
import dev.tideline.control.spec.ConnectionSpec;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Seals and opens connection passwords with {@code tideline.secrets.key}. Created at startup so that a
 * missing or short key stops the service with a message naming the property.
 */
@Startup
@ApplicationScoped
public class ConnectionSecrets {

    private final SecretBox box;

    ConnectionSecrets(ApiConfig config) {
        this.box = SecretBox.fromConfiguredKey(config.secrets().key());
    }

    /** Seals {@code password} for the connection {@code name}. */
    public String seal(String name, String password) {
        return box.seal(password, name);
    }

    /** The password of {@code connection}, or null when it has none. */
    public String password(ConnectionSpec connection) {
        return connection.encryptedPassword() == null ? null : box.open(connection.encryptedPassword(), connection.name());
    }
}
