package dev.tideline.core.value;

import dev.tideline.core.schema.PgType;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;

/**
 * Parses Postgres' ISO date/time output ({@code DateStyle} ISO) and the {@code postgres}
 * {@code IntervalStyle} by hand: {@code DateTimeFormatter} is several times slower and knows neither
 * {@code BC}, years past 9999, nor offsets with seconds as Postgres prints them.
 */
final class PgDateTimeText {

    static final int MICROS_PER_SECOND = 1_000_000;
    static final long SECONDS_PER_DAY = 86_400;

    /** {@code infinity}/{@code -infinity} intervals (Postgres 17+) are stored as all fields at their extreme. */
    static final PgInterval INTERVAL_INFINITY = new PgInterval(Integer.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE);
    static final PgInterval INTERVAL_MINUS_INFINITY = new PgInterval(Integer.MIN_VALUE, Integer.MIN_VALUE, Long.MIN_VALUE);

    private PgDateTimeText() {
    }

    static Object date(String text) {
        Object special = infinity(text);
        if (special != null) {
            return special;
        }
        Cursor in = new Cursor(PgType.DATE, text);
        in.date();
        LocalDate date = in.era();
        in.end();
        return date;
    }

    static LocalTime time(String text) {
        Cursor in = new Cursor(PgType.TIME, text);
        LocalTime time = in.time(true);
        in.end();
        return time;
    }

    static OffsetTime timetz(String text) {
        Cursor in = new Cursor(PgType.TIMETZ, text);
        LocalTime time = in.time(true);
        ZoneOffset offset = in.offset();
        in.end();
        return OffsetTime.of(time, offset);
    }

    static Object timestamp(String text) {
        Object special = infinity(text);
        if (special != null) {
            return special;
        }
        Cursor in = new Cursor(PgType.TIMESTAMP, text);
        in.date();
        in.dateTimeSeparator();
        LocalTime time = in.time(false);
        LocalDate date = in.era();
        in.end();
        return LocalDateTime.of(date, time);
    }

    static Object timestamptz(String text) {
        Object special = infinity(text);
        if (special != null) {
            return special;
        }
        Cursor in = new Cursor(PgType.TIMESTAMPTZ, text);
        in.date();
        in.dateTimeSeparator();
        LocalTime time = in.time(false);
        ZoneOffset offset = in.offset();
        LocalDate date = in.era();
        in.end();
        long epochSecond = date.toEpochDay() * SECONDS_PER_DAY + time.toSecondOfDay() - offset.getTotalSeconds();
        return Instant.ofEpochSecond(epochSecond, time.getNano());
    }

    /**
     * The {@code postgres} IntervalStyle: {@code [N year[s]] [N mon[s]] [N day[s]] [[+-]H:MM:SS[.f]]},
     * each part signed on its own, e.g. {@code -1 days +02:03:00}.
     */
    static PgInterval interval(String text) {
        if (text.equals("infinity")) {
            return INTERVAL_INFINITY;
        }
        if (text.equals("-infinity")) {
            return INTERVAL_MINUS_INFINITY;
        }
        Cursor in = new Cursor(PgType.INTERVAL, text);
        long months = 0;
        long days = 0;
        long micros = 0;
        boolean any = false;
        String expected = "years, mons, days and H:MM:SS as Postgres prints them (IntervalStyle postgres), e.g. '1 year 2 mons -3 days +04:05:06.7'";
        while (true) {
            while (in.at(' ')) {
                in.pos++;
            }
            if (in.atEnd()) {
                break;
            }
            boolean negative = in.at('-');
            if (negative || in.at('+')) {
                in.pos++;
            }
            long number = in.number(1, 18, expected);
            if (in.at(':')) {
                in.pos++;
                long minutes = in.number(2, 2, expected);
                in.expect(':', expected);
                long seconds = in.number(2, 2, expected);
                long fraction = in.at('.') ? in.fractionNanos() / 1000 : 0;
                if (minutes > 59 || seconds > 59) {
                    throw in.invalid(expected);
                }
                long hours = Math.multiplyExact(number, 3_600L * MICROS_PER_SECOND);
                long rest = (minutes * 60 + seconds) * MICROS_PER_SECOND + fraction;
                // Built on the negative side when negative: -2562047788:00:54.775808 is Long.MIN_VALUE.
                long part = negative ? Math.subtractExact(-hours, rest) : Math.addExact(hours, rest);
                micros = Math.addExact(micros, part);
            } else {
                in.expect(' ', expected);
                int unitStart = in.pos;
                while (!in.atEnd() && in.text.charAt(in.pos) >= 'a' && in.text.charAt(in.pos) <= 'z') {
                    in.pos++;
                }
                long signed = negative ? -number : number;
                switch (in.text.substring(unitStart, in.pos)) {
                    case "year":
                    case "years":
                        months = Math.addExact(months, Math.multiplyExact(signed, 12));
                        break;
                    case "mon":
                    case "mons":
                        months = Math.addExact(months, signed);
                        break;
                    case "day":
                    case "days":
                        days = Math.addExact(days, signed);
                        break;
                    default:
                        throw in.invalid(expected);
                }
            }
            any = true;
            if (!in.atEnd()) {
                in.expect(' ', expected);
            }
        }
        if (!any) {
            throw in.invalid(expected);
        }
        return new PgInterval(Math.toIntExact(months), Math.toIntExact(days), micros);
    }

    private static Object infinity(String text) {
        if (text.length() > 0 && (text.charAt(0) == 'i' || text.charAt(0) == '-' && text.length() > 1 && text.charAt(1) == 'i')) {
            if (text.equals("infinity")) {
                return PgSpecial.POSITIVE_INFINITY;
            }
            if (text.equals("-infinity")) {
                return PgSpecial.NEGATIVE_INFINITY;
            }
        }
        return null;
    }

    /** A position in one value's text; every read checks bounds and reports the type on failure. */
    private static final class Cursor {
        final int typeOid;
        final String text;
        int pos;

        Cursor(int typeOid, String text) {
            this.typeOid = typeOid;
            this.text = text;
        }

        boolean atEnd() {
            return pos >= text.length();
        }

        boolean at(char c) {
            return pos < text.length() && text.charAt(pos) == c;
        }

        void expect(char c, String expected) {
            if (!at(c)) {
                throw invalid(expected);
            }
            pos++;
        }

        RuntimeException invalid(String expected) {
            return InvalidValue.text(typeOid, text, expected);
        }

        long number(int minDigits, int maxDigits, String expected) {
            long value = 0;
            int start = pos;
            while (pos < text.length() && pos - start < maxDigits) {
                int digit = text.charAt(pos) - '0';
                if (digit < 0 || digit > 9) {
                    break;
                }
                value = value * 10 + digit;
                pos++;
            }
            if (pos - start < minDigits) {
                throw invalid(expected);
            }
            return value;
        }

        long year;
        int month;
        int day;

        /** Reads {@code YYYY-MM-DD}; {@link #era()} builds the date once it knows whether {@code BC} follows. */
        void date() {
            String expected = "an ISO date YYYY-MM-DD, optionally followed by BC";
            year = number(4, 9, expected);
            expect('-', expected);
            month = (int) number(2, 2, expected);
            expect('-', expected);
            day = (int) number(2, 2, expected);
            if (year == 0 || month < 1 || month > 12 || day < 1 || day > 31) {
                throw invalid(expected);
            }
        }

        /**
         * Postgres prints years before 1 AD as {@code YYYY BC}; like ISO (and Java) it counts 1 BC as
         * year 0 internally, so leap years line up once the year is converted.
         */
        LocalDate era() {
            long isoYear = year;
            if (pos + 3 == text.length() && text.startsWith(" BC", pos)) {
                pos += 3;
                isoYear = 1 - year;
            }
            return LocalDate.of((int) isoYear, month, day);
        }

        void dateTimeSeparator() {
            if (at(' ') || at('T')) {
                pos++;
            } else {
                throw invalid("a date and a time separated by a space, e.g. 2024-01-02 03:04:05.123456");
            }
        }

        LocalTime time(boolean allow24) {
            String expected = "a time HH:MM:SS[.ffffff]";
            int hour = (int) number(2, 2, expected);
            expect(':', expected);
            int minute = (int) number(2, 2, expected);
            expect(':', expected);
            int second = (int) number(2, 2, expected);
            int nanos = at('.') ? fractionNanos() : 0;
            if (hour == 24 && allow24 && minute == 0 && second == 0 && nanos == 0) {
                // Postgres allows 24:00:00 as the end of a day; LocalTime cannot hold it.
                return LocalTime.MAX;
            }
            if (hour > 23 || minute > 59 || second > 59) {
                throw invalid(expected);
            }
            return LocalTime.of(hour, minute, second, nanos);
        }

        /** Reads {@code .d…} (1 to 9 digits) and returns it in nanoseconds. */
        int fractionNanos() {
            pos++;
            int start = pos;
            long digits = number(1, 9, "digits after the decimal point");
            if (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
                throw invalid("at most 9 fractional digits");
            }
            for (int n = pos - start; n < 9; n++) {
                digits *= 10;
            }
            return (int) digits;
        }

        ZoneOffset offset() {
            String expected = "a UTC offset +HH[:MM[:SS]]";
            boolean negative = at('-');
            if (!negative && !at('+')) {
                throw invalid(expected);
            }
            pos++;
            int hours = (int) number(2, 2, expected);
            int minutes = 0;
            int seconds = 0;
            if (at(':')) {
                pos++;
                minutes = (int) number(2, 2, expected);
                if (at(':')) {
                    pos++;
                    seconds = (int) number(2, 2, expected);
                }
            }
            if (hours > 18 || minutes > 59 || seconds > 59) {
                throw invalid(expected);
            }
            int total = hours * 3600 + minutes * 60 + seconds;
            return ZoneOffset.ofTotalSeconds(negative ? -total : total);
        }

        void end() {
            if (pos != text.length()) {
                throw invalid("nothing after position " + pos);
            }
        }
    }
}
