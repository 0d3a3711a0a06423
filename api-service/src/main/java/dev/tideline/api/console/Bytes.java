package dev.tideline.api.console;

import java.util.Locale;

/** Byte counts and durations as people read them. Pure. */
final class Bytes {

    private Bytes() {
    }

    /** {@code 1536} → {@code 1.5 KiB}; null → empty. */
    static String human(Long bytes) {
        if (bytes == null) {
            return "";
        }
        long b = bytes;
        if (Math.abs(b) < 1024) {
            return b + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double value = b;
        int unit = -1;
        while (Math.abs(value) >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    /** {@code 95} → {@code 1m 35s}; null → empty. */
    static String duration(Long seconds) {
        if (seconds == null) {
            return "";
        }
        long s = seconds;
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return (s / 60) + "m " + (s % 60) + "s";
        }
        return (s / 3600) + "h " + (s % 3600 / 60) + "m";
    }
}
