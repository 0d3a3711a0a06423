package dev.tideline.api.console;

import io.quarkus.qute.TemplateData;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * A lag chart as inline SVG coordinates, computed on the server: no charting library, nothing loaded from
 * the internet, and the page shows it without script. Each line is scaled to its own maximum (bytes and
 * seconds differ by orders of magnitude) and says that maximum in its legend. Pure.
 */
final class LagChart {

    static final int WIDTH = 600;
    static final int HEIGHT = 120;
    private static final int TOP = 6;

    /**
     * One line.
     *
     * @param name   what it shows, e.g. {@code lag (seconds)}
     * @param css    the CSS class that colours it
     * @param points the SVG {@code points} attribute
     * @param max    the largest value, formatted
     * @param latest the newest value, formatted
     */
    @TemplateData
    record Line(String name, String css, String points, String max, String latest) {
    }

    /**
     * @param title   the series' display name
     * @param href    the page of the series' pipeline or synced table
     * @param samples how many samples the window holds
     */
    @TemplateData
    record Chart(String title, String href, List<Line> lines, String from, String to, int samples) {

        boolean empty() {
            return samples == 0;
        }
    }

    private LagChart() {
    }

    /** The shortest span a chart shows, so that a history only minutes old is not a line at the right edge of hours. */
    static final long MIN_SPAN_MILLIS = 10 * 60_000L;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    /**
     * The chart of {@code samples} (oldest first) read over {@code [windowFromMillis, toMillis]}: its x axis starts at the
     * first sample (or {@link #MIN_SPAN_MILLIS} before {@code toMillis}, whichever is earlier), not before the window.
     */
    static Chart of(String title, String href, List<LagHistory.Sample> samples, long windowFromMillis, long toMillis) {
        long fromMillis = samples.isEmpty() ? windowFromMillis
                : Math.max(windowFromMillis, Math.min(samples.get(0).at(), toMillis - MIN_SPAN_MILLIS));
        List<Line> lines = new ArrayList<>();
        boolean pipeline = samples.stream().anyMatch(s -> s.bytes() != null);
        lines.add(line("lag (seconds)", "lag-seconds", samples, LagHistory.Sample::seconds, fromMillis, toMillis, Bytes::duration));
        if (pipeline) {
            lines.add(line("lag (bytes)", "lag-bytes", samples, LagHistory.Sample::bytes, fromMillis, toMillis, Bytes::human));
        } else {
            lines.add(line("lag (Delta versions)", "lag-versions", samples, LagHistory.Sample::versions, fromMillis, toMillis,
                    v -> v == null ? "" : Long.toString(v)));
        }
        return new Chart(title, href, lines, TIME.format(Instant.ofEpochMilli(fromMillis)), TIME.format(Instant.ofEpochMilli(toMillis)),
                samples.size());
    }

    static Line line(String name, String css, List<LagHistory.Sample> samples, Function<LagHistory.Sample, Long> value,
                     long fromMillis, long toMillis, Function<Long, String> format) {
        long max = 0;
        Long latest = null;
        for (LagHistory.Sample s : samples) {
            Long v = value.apply(s);
            if (v != null) {
                max = Math.max(max, v);
                latest = v;
            }
        }
        double span = Math.max(1, toMillis - fromMillis);
        double scale = max == 0 ? 0 : (HEIGHT - TOP) / (double) max;
        StringBuilder points = new StringBuilder();
        for (LagHistory.Sample s : samples) {
            Long v = value.apply(s);
            if (v == null) {
                continue;
            }
            double x = Math.max(0, Math.min(WIDTH, (s.at() - fromMillis) / span * WIDTH));
            double y = HEIGHT - v * scale;
            if (points.length() > 0) {
                points.append(' ');
            }
            points.append(String.format(Locale.ROOT, "%.1f,%.1f", x, y));
        }
        return new Line(name, css, points.toString(), format.apply(max), latest == null ? "no data" : format.apply(latest));
    }
}
