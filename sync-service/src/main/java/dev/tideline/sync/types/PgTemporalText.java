package dev.tideline.sync.types;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * Delta dates and timestamps as text: in Postgres' own form for messages naming a key, in ISO-8601
 * for JSON. Written by hand rather than with
 * {@code LocalDate.toString()} because Postgres wants years before 1 as {@code 0044-03-15 BC} (ISO
 * year −43) and years after 9999 without the ISO {@code +} sign.
 */
final class PgTemporalText {

    private PgTemporalText() {
    }

    /** Days since 1970-01-01 → {@code YYYY-MM-DD[ BC]}. */
    static String date(int epochDay) {
        StringBuilder out = new StringBuilder(16);
        LocalDate d = LocalDate.ofEpochDay(epochDay);
        appendDate(out, d.getYear(), d.getMonthValue(), d.getDayOfMonth());
        appendEra(out, d.getYear());
        return out.toString();
    }

    /** Microseconds since the epoch of a wall-clock time without zone → {@code YYYY-MM-DD HH:MM:SS.ffffff[ BC]}. */
    static String timestampNtz(long epochMicros) {
        return timestamp(epochMicros, "");
    }

    /** ISO-8601 for JSON: {@code 2024-01-01T10:00:00.123456Z}, the form {@code to_json} gives. */
    static String timestampUtcIso(long epochMicros) {
        return Instant.EPOCH.plusSeconds(Math.floorDiv(epochMicros, 1_000_000L))
                .plusNanos(Math.floorMod(epochMicros, 1_000_000L) * 1000L).toString();
    }

    static String timestampNtzIso(long epochMicros) {
        return LocalDateTime.ofEpochSecond(Math.floorDiv(epochMicros, 1_000_000L),
                (int) (Math.floorMod(epochMicros, 1_000_000L) * 1000L), ZoneOffset.UTC).toString();
    }

    private static String timestamp(long epochMicros, String zone) {
        long seconds = Math.floorDiv(epochMicros, 1_000_000L);
        int micros = (int) Math.floorMod(epochMicros, 1_000_000L);
        LocalDateTime t = LocalDateTime.ofEpochSecond(seconds, micros * 1000, ZoneOffset.UTC);
        StringBuilder out = new StringBuilder(40);
        appendDate(out, t.getYear(), t.getMonthValue(), t.getDayOfMonth());
        out.append(' ');
        two(out, t.getHour()).append(':');
        two(out, t.getMinute()).append(':');
        two(out, t.getSecond());
        if (micros != 0) {
            String f = Integer.toString(micros + 1_000_000).substring(1);
            out.append('.').append(f);
        }
        out.append(zone);
        appendEra(out, t.getYear());
        return out.toString();
    }

    private static void appendDate(StringBuilder out, int isoYear, int month, int day) {
        int year = isoYear <= 0 ? 1 - isoYear : isoYear;
        String y = Integer.toString(year);
        for (int i = y.length(); i < 4; i++) {
            out.append('0');
        }
        out.append(y).append('-');
        two(out, month).append('-');
        two(out, day);
    }

    private static void appendEra(StringBuilder out, int isoYear) {
        if (isoYear <= 0) {
            out.append(" BC");
        }
    }

    private static StringBuilder two(StringBuilder out, int v) {
        if (v < 10) {
            out.append('0');
        }
        return out.append(v);
    }
}
