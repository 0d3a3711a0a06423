package dev.tideline.core.value;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Parses Postgres' array text syntax: {@code {1,2,NULL}}, quoted elements with backslash escapes
 * ({@code {"a b","c\"d",NULL,"NULL"}}, where only the unquoted NULL is SQL NULL), nesting for more
 * dimensions and the optional bounds decoration {@code [0:1]={1,2}}, which is dropped: a value is a
 * (nested) Java {@link List} indexed from 0. All built-in types Tideline types use ',' as delimiter.
 */
final class PgArrayText {

    /** Postgres' MAXDIM. */
    static final int MAX_DIMENSIONS = 6;

    private final int arrayOid;
    private final int elementOid;
    private final int typeModifier;
    private final String text;
    private int pos;
    private StringBuilder scratch;

    private PgArrayText(int arrayOid, int elementOid, int typeModifier, String text) {
        this.arrayOid = arrayOid;
        this.elementOid = elementOid;
        this.typeModifier = typeModifier;
        this.text = text;
    }

    static List<Object> parse(int arrayOid, int elementOid, int typeModifier, String text) {
        PgArrayText parser = new PgArrayText(arrayOid, elementOid, typeModifier, text);
        parser.skipBlanks();
        if (parser.at('[')) {
            parser.bounds();
        }
        parser.skipBlanks();
        List<Object> value = parser.level(1);
        parser.skipBlanks();
        if (parser.pos != text.length()) {
            throw parser.invalid("nothing after the closing '}'");
        }
        return value;
    }

    private void bounds() {
        String expected = "dimension bounds like [0:1]= before the '{'";
        int dimensions = 0;
        while (at('[')) {
            pos++;
            integer(expected);
            if (!at(':')) {
                throw invalid(expected);
            }
            pos++;
            integer(expected);
            if (!at(']')) {
                throw invalid(expected);
            }
            pos++;
            if (++dimensions > MAX_DIMENSIONS) {
                throw invalid("at most " + MAX_DIMENSIONS + " dimensions");
            }
        }
        if (!at('=')) {
            throw invalid(expected);
        }
        pos++;
    }

    private void integer(String expected) {
        if (at('-') || at('+')) {
            pos++;
        }
        int start = pos;
        while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
            pos++;
        }
        if (pos == start) {
            throw invalid(expected);
        }
    }

    private List<Object> level(int depth) {
        if (!at('{')) {
            throw invalid("'{' to open the array");
        }
        if (depth > MAX_DIMENSIONS) {
            throw invalid("at most " + MAX_DIMENSIONS + " dimensions");
        }
        pos++;
        List<Object> values = new ArrayList<>();
        skipBlanks();
        if (at('}')) {
            pos++;
            return Collections.unmodifiableList(values);
        }
        boolean subArrays = at('{');
        while (true) {
            skipBlanks();
            if (at('{') != subArrays) {
                throw invalid("elements and sub-arrays not mixed on one level");
            }
            if (subArrays) {
                values.add(level(depth + 1));
            } else if (at('"')) {
                values.add(PgTextValues.decodeValue(elementOid, typeModifier, quoted()));
            } else {
                values.add(unquoted());
            }
            skipBlanks();
            if (at(',')) {
                pos++;
            } else if (at('}')) {
                pos++;
                return Collections.unmodifiableList(values);
            } else {
                throw invalid("',' or '}' after an element");
            }
        }
    }

    private String quoted() {
        pos++;
        int start = pos;
        // Fast path: no escapes, the element is a plain substring.
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '"') {
                return text.substring(start, pos++);
            }
            if (c == '\\') {
                break;
            }
            pos++;
        }
        StringBuilder out = scratch();
        out.append(text, start, pos);
        while (pos < text.length()) {
            char c = text.charAt(pos++);
            if (c == '"') {
                return out.toString();
            }
            if (c == '\\') {
                if (pos == text.length()) {
                    break;
                }
                c = text.charAt(pos++);
            }
            out.append(c);
        }
        throw invalid("a closing '\"'");
    }

    private Object unquoted() {
        int start = pos;
        boolean escaped = false;
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == ',' || c == '}') {
                break;
            }
            if (c == '{' || c == '"') {
                throw invalid("'{' and '\"' in an unquoted element to be escaped");
            }
            if (c == '\\') {
                escaped = true;
                pos++;
            }
            pos++;
        }
        if (pos > text.length()) {
            throw invalid("a character after '\\'");
        }
        if (pos == text.length()) {
            throw invalid("'}' to close the array");
        }
        String element;
        if (!escaped) {
            int end = pos;
            while (end > start && isBlank(text.charAt(end - 1))) {
                end--;
            }
            element = text.substring(start, end);
            if (element.isEmpty()) {
                throw invalid("an element between delimiters");
            }
            if (element.length() == 4 && element.equalsIgnoreCase("NULL")) {
                return null;
            }
        } else {
            StringBuilder out = scratch();
            int significant = 0;
            for (int i = start; i < pos; i++) {
                char c = text.charAt(i);
                if (c == '\\') {
                    out.append(text.charAt(++i));
                    significant = out.length();
                } else {
                    out.append(c);
                    if (!isBlank(c)) {
                        significant = out.length();
                    }
                }
            }
            out.setLength(significant);
            element = out.toString();
        }
        return PgTextValues.decodeValue(elementOid, typeModifier, element);
    }

    private StringBuilder scratch() {
        if (scratch == null) {
            scratch = new StringBuilder();
        }
        scratch.setLength(0);
        return scratch;
    }

    private boolean at(char c) {
        return pos < text.length() && text.charAt(pos) == c;
    }

    private void skipBlanks() {
        while (pos < text.length() && isBlank(text.charAt(pos))) {
            pos++;
        }
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0B;
    }

    private RuntimeException invalid(String expected) {
        return InvalidValue.text(arrayOid, text, expected + " at position " + pos);
    }
}
