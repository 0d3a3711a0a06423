package dev.tideline.api.connection;

import dev.tideline.control.spec.ConnectionSpec;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.Map;

/**
 * A connection as the API shows it, Databricks' ConnectionInfo. {@code options} never holds the password:
 * the stored spec has no password option at all (it is sealed apart).
 */
@RegisterForReflection
public record ConnectionInfo(String name, String fullName, String connectionType, String credentialType, String securableType,
                             Map<String, String> options, String comment, String connectionId, String url, long createdAt,
                             long updatedAt) {

    static ConnectionInfo of(ConnectionSpec spec) {
        return new ConnectionInfo(spec.name(), spec.name(), spec.connectionType(), "USERNAME_PASSWORD", "CONNECTION", spec.options(),
                spec.comment(), spec.connectionId(), spec.host() + ":" + spec.port(), spec.createdAtMillis(), spec.createdAtMillis());
    }
}
