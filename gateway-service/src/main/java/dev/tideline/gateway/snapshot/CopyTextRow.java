package dev.tideline.gateway.snapshot;

import java.nio.charset.StandardCharsets;

/**
 * Splits one row of {@code COPY ... TO STDOUT} text format (tab-separated, {@code \N} for NULL,
 * backslash escapes, UTF-8) into the columns' text output forms, the same strings pgoutput sends
 * as {@code 't'} tuple data. Stateless and thread-safe.
 */
final class CopyTextRow {

    private CopyTextRow() {
    }

    /**
     * Fills {@code fields} with the row's values ({@code null} for SQL NULL).
     *
     * @param line one CopyData message: one row, with or without its trailing newline
     * @throws IllegalArgumentException when the row does not have exactly {@code fields.length} columns
     */
    static void split(byte[] line, String[] fields) {
        int end = line.length;
        if (end > 0 && line[end - 1] == '\n') {
            end--;
        }
        int field = 0;
        int start = 0;
        boolean escaped = false;
        for (int i = 0; i <= end; i++) {
            if (i == end || line[i] == '\t') {
                if (field == fields.length) {
                    throw new IllegalArgumentException("COPY row has more than " + fields.length + " columns");
                }
                fields[field++] = escaped ? unescape(line, start, i) : new String(line, start, i - start, StandardCharsets.UTF_8);
                start = i + 1;
                escaped = false;
            } else if (line[i] == '\\') {
                escaped = true;
                i++; // an escaped byte is never a separator (COPY escapes tabs in values as \t)
            }
        }
        if (field != fields.length) {
            throw new IllegalArgumentException("COPY row has " + field + " columns, expected " + fields.length);
        }
    }

    /** The value between {@code from} and {@code to} with COPY's escapes resolved; {@code \N} alone is NULL. */
    private static String unescape(byte[] line, int from, int to) {
        if (to - from == 2 && line[from + 1] == 'N') {
            return null;
        }
        byte[] out = new byte[to - from];
        int n = 0;
        for (int i = from; i < to; i++) {
            byte b = line[i];
            if (b != '\\' || i + 1 >= to) {
                out[n++] = b;
                continue;
            }
            byte c = line[++i];
            switch (c) {
                case 'b' -> out[n++] = '\b';
                case 'f' -> out[n++] = '\f';
                case 'n' -> out[n++] = '\n';
                case 'r' -> out[n++] = '\r';
                case 't' -> out[n++] = '\t';
                case 'v' -> out[n++] = 0x0B;
                case 'x' -> {
                    int v = 0;
                    int digits = 0;
                    while (digits < 2 && i + 1 < to && Character.digit(line[i + 1], 16) >= 0) {
                        v = v * 16 + Character.digit(line[++i], 16);
                        digits++;
                    }
                    out[n++] = digits == 0 ? (byte) 'x' : (byte) v;
                }
                default -> {
                    if (c >= '0' && c <= '7') {
                        int v = c - '0';
                        for (int d = 0; d < 2 && i + 1 < to && line[i + 1] >= '0' && line[i + 1] <= '7'; d++) {
                            v = v * 8 + (line[++i] - '0');
                        }
                        out[n++] = (byte) v;
                    } else {
                        out[n++] = c; // \\ and any other escaped byte stand for themselves
                    }
                }
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }
}
