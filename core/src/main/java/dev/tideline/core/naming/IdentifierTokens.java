package dev.tideline.core.naming;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The one encoding of an arbitrary identifier (a Postgres schema, table or column name, a synced
 * table or connection name) into a single token that is valid both as a NATS subject token and as a
 * NATS KV key part.
 *
 * <p>Rule: {@code A-Z a-z 0-9 _ -} pass through unchanged; every other character is UTF-8 encoded
 * and each byte written as {@code =XX} (upper-case hex). So {@code "my.table"} becomes
 * {@code my=2Etable}, {@code "é"} becomes {@code =C3=A9} and {@code "="} becomes {@code =3D}.
 * The output alphabet is {@code [A-Za-z0-9_=-]}: no {@code .}, {@code *}, {@code >}, {@code /} or
 * whitespace, and a subset of what KV keys allow ({@code [-/_=.A-Za-z0-9]}).
 *
 * <p>The encoding is injective and {@link #decode} accepts only the canonical form (upper-case hex,
 * no escaped pass-through characters, valid UTF-8), so {@code decode(encode(x)).equals(x)} and
 * {@code encode(decode(t)).equals(t)} both hold. Sorting and prefix wildcards on tokens therefore
 * never mix up two identifiers.
 */
public final class IdentifierTokens {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private IdentifierTokens() {
    }

    /**
     * Encodes a non-empty identifier.
     *
     * @throws IllegalArgumentException for null, the empty string, or a string with an unpaired
     *                                  surrogate (which has no UTF-8 form, and no Postgres identifier contains)
     */
    public static String encode(String identifier) {
        if (identifier == null || identifier.isEmpty()) {
            throw new IllegalArgumentException("identifier is " + (identifier == null ? "null" : "empty")
                    + "; names must have at least one character");
        }
        int n = identifier.length();
        int i = 0;
        while (i < n && passesThrough(identifier.charAt(i))) {
            i++;
        }
        if (i == n) {
            return identifier; // the common case: nothing to escape
        }
        StringBuilder out = new StringBuilder(n + 16).append(identifier, 0, i);
        byte[] utf8 = strictUtf8(identifier);
        // Re-walk the UTF-8 bytes from the first escaped character: pass-through chars are ASCII,
        // so byte index == char index up to i.
        for (int b = i; b < utf8.length; b++) {
            int v = utf8[b] & 0xFF;
            if (v < 0x80 && passesThrough((char) v)) {
                out.append((char) v);
            } else {
                out.append('=').append(HEX[v >>> 4]).append(HEX[v & 0xF]);
            }
        }
        return out.toString();
    }

    /**
     * Decodes a token made by {@link #encode}.
     *
     * @throws IllegalArgumentException naming the position when {@code token} is not a canonical token
     */
    public static String decode(String token) {
        if (token == null || token.isEmpty()) {
            throw new IllegalArgumentException("token is " + (token == null ? "null" : "empty") + "; tokens have at least one character");
        }
        if (token.indexOf('=') < 0) {
            for (int i = 0; i < token.length(); i++) {
                if (!passesThrough(token.charAt(i))) {
                    throw invalid(token, i, "character '" + token.charAt(i) + "' is not allowed");
                }
            }
            return token;
        }
        byte[] bytes = new byte[token.length()];
        int len = 0;
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c == '=') {
                if (i + 2 >= token.length()) {
                    throw invalid(token, i, "'=' must be followed by two hex digits");
                }
                int hi = hexValue(token.charAt(i + 1));
                int lo = hexValue(token.charAt(i + 2));
                if (hi < 0 || lo < 0) {
                    throw invalid(token, i, "'=' must be followed by two upper-case hex digits");
                }
                int v = (hi << 4) | lo;
                if (v < 0x80 && passesThrough((char) v)) {
                    throw invalid(token, i, "'" + (char) v + "' must not be escaped");
                }
                bytes[len++] = (byte) v;
                i += 2;
            } else if (passesThrough(c)) {
                bytes[len++] = (byte) c;
            } else {
                throw invalid(token, i, "character '" + c + "' is not allowed");
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, len)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("token '" + token + "' does not decode to valid UTF-8", e);
        }
    }

    /** Whether {@code token} is a canonical token, i.e. {@link #decode} accepts it. */
    public static boolean isToken(String token) {
        try {
            decode(token);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static boolean passesThrough(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    }

    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static byte[] strictUtf8(String s) {
        // String.getBytes would silently turn an unpaired surrogate into '?', making two different
        // strings encode alike; refuse instead.
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            ByteBuffer buffer = encoder.encode(CharBuffer.wrap(s));
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("identifier contains an unpaired UTF-16 surrogate and has no UTF-8 form", e);
        }
    }

    private static IllegalArgumentException invalid(String token, int index, String why) {
        return new IllegalArgumentException("'" + token + "' is not an identifier token: at index " + index + ", " + why);
    }
}
