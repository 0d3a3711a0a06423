package dev.tideline.control;

import dev.tideline.control.secret.SecretBox;
import dev.tideline.core.TidelineException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SecretBoxTest {

    private final SecretBox box = SecretBox.fromConfiguredKey("a-local-test-passphrase");

    @Test
    void sealsAndOpensForTheSameContext() {
        String sealed = box.seal("s3cr3t!", "neon");
        assertTrue(sealed.startsWith("v1:"));
        assertFalse(sealed.contains("s3cr3t"));
        assertEquals("s3cr3t!", box.open(sealed, "neon"));
    }

    @Test
    void everySealIsDifferent() {
        assertNotEquals(box.seal("x", "c"), box.seal("x", "c"));
    }

    @Test
    void refusesAnotherContextOrKey() {
        String sealed = box.seal("pw", "neon");
        TidelineException otherContext = assertThrows(TidelineException.class, () -> box.open(sealed, "other"));
        assertTrue(otherContext.getMessage().contains("'other'"));
        SecretBox otherKey = SecretBox.fromConfiguredKey("another-passphrase-here");
        assertThrows(TidelineException.class, () -> otherKey.open(sealed, "neon"));
        assertThrows(TidelineException.class, () -> box.open("plain", "neon"));
    }

    @Test
    void acceptsARawBase64KeyAndRejectsShortOnes() {
        SecretBox raw = SecretBox.fromConfiguredKey("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=");
        assertEquals("pw", raw.open(raw.seal("pw", "c"), "c"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SecretBox.fromConfiguredKey("short"));
        assertTrue(e.getMessage().contains("tideline.secrets.key"));
    }
}
