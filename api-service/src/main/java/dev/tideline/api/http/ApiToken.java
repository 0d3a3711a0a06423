package dev.tideline.api.http;

import dev.tideline.api.ApiConfig;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The one secret of the API, {@code tideline.api.token}, and the one way a presented token is compared with it:
 * constant-time over SHA-256 digests, so neither the content nor the length of the token leaks through response
 * timing. Used by {@link BearerTokenFilter} (the {@code Authorization} header) and by the console's sign-in
 * (the session cookie). Thread-safe.
 */
@Startup // a blank token stops the service at start, naming the property
@ApplicationScoped
public class ApiToken {

    private final byte[] expectedDigest;

    ApiToken(ApiConfig config) {
        String token = config.api().token();
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("tideline.api.token (env TIDELINE_API_TOKEN) must not be blank");
        }
        this.expectedDigest = sha256(token);
    }

    /** Whether {@code presented} is the configured token; false for null. */
    public boolean matches(String presented) {
        return presented != null && MessageDigest.isEqual(expectedDigest, sha256(presented));
    }

    private static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
