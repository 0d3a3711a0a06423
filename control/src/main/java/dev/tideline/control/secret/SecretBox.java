package dev.tideline.control.secret;

import dev.tideline.core.TidelineException;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Seals connection passwords for storage in KV: AES-256-GCM with a random 96-bit nonce, the connection
 * name as associated data (a sealed password copied to another connection does not open), output
 * {@code v1:<base64(nonce ‖ ciphertext ‖ tag)>}.
 *
 * <p>The key comes from configuration ({@code tideline.secrets.key}) and must be the same in api-service,
 * gateway-service and sync-service. A base64 value of exactly 32 bytes ({@code openssl rand -base64 32})
 * is used as is; any other text of at least 16 characters is hashed with SHA-256 into a key. Thread-safe.
 */
public final class SecretBox {

    private static final String PREFIX = "v1:";
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();

    private SecretBox(byte[] key) {
        this.key = new SecretKeySpec(key, "AES");
    }

    /**
     * @throws IllegalArgumentException when {@code configuredKey} is missing or shorter than 16 characters,
     *                                  naming the property and how to generate a key
     */
    public static SecretBox fromConfiguredKey(String configuredKey) {
        if (configuredKey == null || configuredKey.isBlank() || configuredKey.length() < 16) {
            throw new IllegalArgumentException("tideline.secrets.key (env TIDELINE_SECRETS_KEY) must be set to at least 16 characters;"
                    + " generate one with `openssl rand -base64 32` and give the same value to api-, gateway- and sync-service");
        }
        try {
            byte[] decoded = Base64.getDecoder().decode(configuredKey.trim());
            if (decoded.length == 32) {
                return new SecretBox(decoded);
            }
        } catch (IllegalArgumentException notBase64) {
            // fall through: a passphrase
        }
        try {
            return new SecretBox(MessageDigest.getInstance("SHA-256").digest(configuredKey.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /** Seals {@code secret} for the resource named {@code context} (e.g. the connection name). */
    public String seal(String secret, String context) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = cipher.doFinal(secret.getBytes(StandardCharsets.UTF_8));
            return PREFIX + Base64.getEncoder().encodeToString(ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    /**
     * Opens what {@link #seal} produced for the same {@code context}.
     *
     * @throws TidelineException NEEDS_OPERATOR when the value was sealed with another key or for another
     *                           context, or is not a sealed value at all
     */
    public String open(String sealed, String context) {
        if (sealed == null || !sealed.startsWith(PREFIX)) {
            throw wrongKey(context, null);
        }
        try {
            byte[] bytes = Base64.getDecoder().decode(sealed.substring(PREFIX.length()));
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, bytes, 0, NONCE_BYTES));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            return new String(cipher.doFinal(bytes, NONCE_BYTES, bytes.length - NONCE_BYTES), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw wrongKey(context, e);
        }
    }

    private static TidelineException wrongKey(String context, Exception cause) {
        return new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, "the stored password of '" + context + "' cannot be decrypted",
                "give every service the same tideline.secrets.key as api-service, or re-create the connection with its password", cause);
    }
}
