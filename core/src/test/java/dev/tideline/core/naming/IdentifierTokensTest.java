package dev.tideline.core.naming;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class IdentifierTokensTest {

    /** What a NATS subject token may hold: no '.', '*', '>' and no whitespace (and not empty). */
    private static final Pattern SUBJECT_TOKEN = Pattern.compile("[^.*>\\s]+");
    /** What a NATS KV key may hold. */
    private static final Pattern KV_KEY = Pattern.compile("[-/_=.A-Za-z0-9]+");

    private static final String ALPHABET = "aZ09_-.= \t\n\"'~*>/\\:é漢\u0000\u00A0\u2028";

    private static String randomIdentifier(Random random) {
        int n = 1 + random.nextInt(12);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int kind = random.nextInt(4);
            if (kind == 0) {
                sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
            } else if (kind == 1) {
                sb.appendCodePoint(0x10000 + random.nextInt(0x10FFFF - 0x10000)); // surrogate pairs
            } else if (kind == 2) {
                int cp;
                do {
                    cp = random.nextInt(0xFFFF);
                } while (Character.isSurrogate((char) cp));
                sb.append((char) cp);
            } else {
                sb.append((char) ('a' + random.nextInt(26)));
            }
        }
        return sb.toString();
    }

    @Test
    void encodingIsValidEverywhereReversibleAndInjective() {
        Random random = new Random(42);
        Map<String, String> seen = new HashMap<>();
        for (int n = 0; n < 50_000; n++) {
            String identifier = randomIdentifier(random);
            String token = IdentifierTokens.encode(identifier);
            assertTrue(SUBJECT_TOKEN.matcher(token).matches(), token);
            assertTrue(KV_KEY.matcher(token).matches(), token);
            assertFalse(token.contains("."), token);
            assertEquals(identifier, IdentifierTokens.decode(token));
            String previous = seen.put(token, identifier);
            if (previous != null) {
                assertEquals(previous, identifier, "two identifiers share the token " + token);
            }
        }
    }

    @Test
    void knownEncodings() {
        assertEquals("orders", IdentifierTokens.encode("orders"));
        assertEquals("Order_Items-2", IdentifierTokens.encode("Order_Items-2"));
        assertEquals("my=2Etable", IdentifierTokens.encode("my.table"));
        assertEquals("a=20b", IdentifierTokens.encode("a b"));
        assertEquals("=3D", IdentifierTokens.encode("="));
        assertEquals("=22q=22", IdentifierTokens.encode("\"q\""));
        assertEquals("=7E", IdentifierTokens.encode("~"));
        assertEquals("caf=C3=A9", IdentifierTokens.encode("café"));
        assertEquals("=F0=9F=A6=80", IdentifierTokens.encode("🦀"));
        assertEquals("=2A=3E", IdentifierTokens.encode("*>"));
    }

    @Test
    void onlyCanonicalTokensDecode() {
        for (String bad : List.of("", "a.b", "a b", "=", "=4", "=e9", "=41", "=5F", "=C3", "=FF", "=C3=28", "a*", "é", "=ED=A0=80")) {
            assertThrows(IllegalArgumentException.class, () -> IdentifierTokens.decode(bad), bad);
            assertFalse(IdentifierTokens.isToken(bad), bad);
        }
        assertTrue(IdentifierTokens.isToken("caf=C3=A9"));
    }

    @Test
    void emptyNullAndUnpairedSurrogatesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> IdentifierTokens.encode(""));
        assertThrows(IllegalArgumentException.class, () -> IdentifierTokens.encode(null));
        assertThrows(IllegalArgumentException.class, () -> IdentifierTokens.encode("a\uD800b"));
        assertThrows(IllegalArgumentException.class, () -> IdentifierTokens.encode("\uDC00"));
    }
}
