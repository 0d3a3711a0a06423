package dev.tideline.core.checkpoint;

import dev.tideline.core.TidelineException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one JSON reader/writer of core: flat objects whose values are strings, integers, booleans or
 * null — all that checkpoint records need, without a JSON library in core. The reader accepts any
 * valid JSON of that shape (whitespace, escapes, surrogate pairs) and refuses nested values, so a
 * checkpoint written by a human or another tool reads the same.
 */
final class FlatJson {

    private FlatJson() {
    }

    /** Builds one object; field order is kept. */
    static final class Writer {
        private final StringBuilder out = new StringBuilder(128).append('{');
        private boolean first = true;

        Writer string(String name, String value) {
            key(name);
            if (value == null) {
                out.append("null");
            } else {
                quote(value);
            }
            return this;
        }

        Writer number(String name, long value) {
            key(name);
            out.append(value);
            return this;
        }

        private void key(String name) {
            if (!first) {
                out.append(',');
            }
            first = false;
            quote(name);
            out.append(':');
        }

        private void quote(String s) {
            out.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    case '\b' -> out.append("\\b");
                    case '\f' -> out.append("\\f");
                    default -> {
                        // Control characters must be escaped; U+2028/2029 too, so the text is also valid JavaScript.
                        // Unpaired surrogates are escaped rather than turned into '?' by UTF-8 encoding.
                        if (c < 0x20 || c == '\u2028' || c == '\u2029' || (Character.isSurrogate(c) && !pairedAt(s, i))) {
                            out.append(String.format("\\u%04x", (int) c));
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
        }

        private static boolean pairedAt(String s, int i) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
            }
            return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
        }

        @Override
        public String toString() {
            return out + "}";
        }
    }

    /**
     * Parses a flat object into field → value ({@code String}, {@code Long}, {@code Boolean} or
     * {@code null}).
     *
     * @param what names the document in errors, e.g. "gateway checkpoint"
     * @throws TidelineException FATAL, naming the offset, when the text is not such an object
     */
    static Map<String, Object> parse(String json, String what) {
        if (json == null) {
            throw new TidelineException(TidelineException.Kind.FATAL, what + " is missing", null);
        }
        return new Reader(json, what).object();
    }

    /** A required string field. */
    static String string(Map<String, Object> fields, String name, String what) {
        Object value = fields.get(name);
        if (value instanceof String s) {
            return s;
        }
        throw fieldError(what, name, value, "a string");
    }

    /** A required LSN field, in Postgres' {@code X/X} form. */
    static dev.tideline.core.Lsn lsn(Map<String, Object> fields, String name, String what) {
        String text = string(fields, name, what);
        try {
            return dev.tideline.core.Lsn.parse(text);
        } catch (IllegalArgumentException e) {
            throw new TidelineException(TidelineException.Kind.FATAL, what + ": field \"" + name + "\": " + e.getMessage(),
                    "the stored value was changed by hand or by another tool; fix or delete the key so it is rewritten", e);
        }
    }

    /** A required timestamp field, ISO-8601 in UTC ({@code 2024-05-01T12:00:00.123456Z}). */
    static java.time.Instant instant(Map<String, Object> fields, String name, String what) {
        String text = string(fields, name, what);
        try {
            return java.time.Instant.parse(text);
        } catch (java.time.format.DateTimeParseException e) {
            throw new TidelineException(TidelineException.Kind.FATAL, what + ": field \"" + name + "\" is '" + text
                    + "', not an ISO-8601 UTC timestamp such as 2024-05-01T12:00:00Z",
                    "the stored value was changed by hand or by another tool; fix or delete the key so it is rewritten", e);
        }
    }

    /** Runs a record constructor, turning its validation errors into the same error as a bad field. */
    static <T> T build(String what, java.util.function.Supplier<T> constructor) {
        try {
            return constructor.get();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new TidelineException(TidelineException.Kind.FATAL, what + ": " + e.getMessage(),
                    "the stored value was changed by hand or by another tool; fix or delete the key so it is rewritten", e);
        }
    }

    /** A required integer field. */
    static long number(Map<String, Object> fields, String name, String what) {
        Object value = fields.get(name);
        if (value instanceof Long l) {
            return l;
        }
        throw fieldError(what, name, value, "an integer");
    }

    static TidelineException fieldError(String what, String name, Object value, String expected) {
        String found = value == null ? "missing or null" : "a " + value.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
        return new TidelineException(TidelineException.Kind.FATAL,
                what + ": field \"" + name + "\" must be " + expected + " but is " + found,
                "the stored value was changed by hand or by another tool; fix or delete the key so it is rewritten");
    }

    private static final class Reader {
        private final String s;
        private final String what;
        private int pos;

        Reader(String s, String what) {
            this.s = s;
            this.what = what;
        }

        Map<String, Object> object() {
            skipSpace();
            expect('{');
            Map<String, Object> fields = new LinkedHashMap<>();
            skipSpace();
            if (peek() == '}') {
                pos++;
            } else {
                while (true) {
                    skipSpace();
                    int keyAt = pos;
                    String key = string();
                    skipSpace();
                    expect(':');
                    skipSpace();
                    Object value = value();
                    if (fields.containsKey(key)) {
                        throw error(keyAt, "field \"" + key + "\" appears twice");
                    }
                    fields.put(key, value);
                    skipSpace();
                    char c = next();
                    if (c == '}') {
                        break;
                    }
                    if (c != ',') {
                        throw error(pos - 1, "expected ',' or '}'");
                    }
                }
            }
            skipSpace();
            if (pos != s.length()) {
                throw error(pos, "unexpected text after the object");
            }
            return fields;
        }

        private Object value() {
            char c = peek();
            if (c == '"') {
                return string();
            }
            if (c == '-' || (c >= '0' && c <= '9')) {
                return number();
            }
            if (s.startsWith("true", pos)) {
                pos += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("false", pos)) {
                pos += 5;
                return Boolean.FALSE;
            }
            if (s.startsWith("null", pos)) {
                pos += 4;
                return null;
            }
            if (c == '{' || c == '[') {
                throw error(pos, "nested objects and arrays are not expected here");
            }
            throw error(pos, "expected a value");
        }

        private Long number() {
            int start = pos;
            if (peek() == '-') {
                pos++;
            }
            int digitsAt = pos;
            while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') {
                pos++;
            }
            if (pos == digitsAt || (s.charAt(digitsAt) == '0' && pos - digitsAt > 1)) {
                throw error(start, "malformed number");
            }
            if (pos < s.length() && (s.charAt(pos) == '.' || s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
                throw error(start, "only integers are expected");
            }
            try {
                return Long.parseLong(s.substring(start, pos));
            } catch (NumberFormatException e) {
                throw error(start, "integer out of the 64-bit range");
            }
        }

        private String string() {
            expect('"');
            StringBuilder out = new StringBuilder();
            while (true) {
                if (pos >= s.length()) {
                    throw error(pos, "unterminated string");
                }
                char c = s.charAt(pos++);
                if (c == '"') {
                    return out.toString();
                }
                if (c < 0x20) {
                    throw error(pos - 1, "unescaped control character in a string");
                }
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                if (pos >= s.length()) {
                    throw error(pos, "unterminated escape");
                }
                char e = s.charAt(pos++);
                switch (e) {
                    case '"' -> out.append('"');
                    case '\\' -> out.append('\\');
                    case '/' -> out.append('/');
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'u' -> {
                        if (pos + 4 > s.length()) {
                            throw error(pos - 2, "truncated \\u escape");
                        }
                        int code = 0;
                        for (int i = 0; i < 4; i++) {
                            int digit = Character.digit(s.charAt(pos + i), 16);
                            if (digit < 0) {
                                throw error(pos - 2, "malformed \\u escape");
                            }
                            code = code * 16 + digit;
                        }
                        pos += 4;
                        out.append((char) code);
                    }
                    default -> throw error(pos - 2, "unknown escape \\" + e);
                }
            }
        }

        private void skipSpace() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    return;
                }
                pos++;
            }
        }

        private char peek() {
            if (pos >= s.length()) {
                throw error(pos, "unexpected end of text");
            }
            return s.charAt(pos);
        }

        private char next() {
            char c = peek();
            pos++;
            return c;
        }

        private void expect(char c) {
            if (pos >= s.length() || s.charAt(pos) != c) {
                throw error(pos, "expected '" + c + "'");
            }
            pos++;
        }

        private TidelineException error(int at, String detail) {
            return new TidelineException(TidelineException.Kind.FATAL,
                    what + " is not valid JSON: " + detail + " at offset " + at,
                    "the stored value was changed by hand or by another tool; fix or delete the key so it is rewritten");
        }
    }
}
