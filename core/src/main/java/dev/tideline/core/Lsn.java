package dev.tideline.core;

import java.util.Locale;

/**
 * A Postgres write-ahead-log position ({@code pg_lsn}), written {@code X/X} in hexadecimal.
 *
 * <p>LSNs are unsigned 64-bit numbers; comparison is unsigned. {@link #INVALID} ({@code 0/0}) means
 * "no position", as in Postgres ({@code InvalidXLogRecPtr}).
 */
public record Lsn(long value) implements Comparable<Lsn> {

    /** {@code 0/0}: no position. */
    public static final Lsn INVALID = new Lsn(0L);

    public static Lsn of(long value) {
        return value == 0L ? INVALID : new Lsn(value);
    }

    /**
     * Parses the {@code X/X} text form (as printed by {@code pg_current_wal_lsn()}), case-insensitive.
     *
     * @throws IllegalArgumentException naming the input when it is not of that form
     */
    public static Lsn parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("LSN is null; expected the form X/X, e.g. 16/B374D848");
        }
        int slash = text.indexOf('/');
        if (slash < 1 || slash > 8 || text.length() - slash - 1 < 1 || text.length() - slash - 1 > 8
                || !isHex(text, 0, slash) || !isHex(text, slash + 1, text.length())) {
            throw new IllegalArgumentException("'" + text + "' is not an LSN; expected the form X/X with 1 to 8 hex digits on each side, e.g. 16/B374D848");
        }
        long high = Long.parseLong(text, 0, slash, 16);
        long low = Long.parseLong(text, slash + 1, text.length(), 16);
        return of((high << 32) | low);
    }

    private static boolean isHex(String text, int from, int to) {
        for (int i = from; i < to; i++) {
            if (Character.digit(text.charAt(i), 16) < 0 || text.charAt(i) > 'f') {
                return false;
            }
        }
        return true;
    }

    public boolean isValid() {
        return value != 0L;
    }

    public boolean isAfter(Lsn other) {
        return compareTo(other) > 0;
    }

    public boolean isBefore(Lsn other) {
        return compareTo(other) < 0;
    }

    /** The larger of the two positions. */
    public static Lsn max(Lsn a, Lsn b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** Bytes of WAL between {@code earlier} and this position; negative when {@code earlier} is later. */
    public long bytesSince(Lsn earlier) {
        return value - earlier.value;
    }

    /** The {@code X/X} form Postgres prints (upper-case hex). */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%X/%X", value >>> 32, value & 0xFFFF_FFFFL);
    }

    /** Fixed-width, lexicographically ordered form ({@code 16 hex digits}), for message ids and keys. */
    public String toSortableHex() {
        return String.format(Locale.ROOT, "%016X", value);
    }

    @Override
    public int compareTo(Lsn other) {
        return Long.compareUnsigned(value, other.value);
    }
}
