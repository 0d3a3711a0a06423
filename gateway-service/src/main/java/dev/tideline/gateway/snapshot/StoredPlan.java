package dev.tideline.gateway.snapshot;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A chunk plan as {@link SnapshotProgressStore} keeps it: the bounds between chunks, which is all a
 * plan holds (chunk {@code i} runs from bound {@code i - 1} to bound {@code i}; the first is unbounded
 * below, the last above — {@link ChunkPlanner} plans nothing else). Bounds in arithmetic progression
 * (block ranges, integer ranges) are stored as {@link Steps}, a few bytes whatever the table's size;
 * any other bounds (key ranges) are cut into pages of a bounded size. Pure: same input, same output.
 */
final class StoredPlan {

    private StoredPlan() {
    }

    /**
     * Bounds {@code first, first + step, …} ({@code count} of them), each one single-column integer
     * whose text form is {@link Long#toString(long)}.
     */
    record Steps(long first, long step, int count) {

        List<List<String>> bounds() {
            List<List<String>> out = new ArrayList<>(count);
            long b = first;
            for (int i = 0; i < count; i++) {
                out.add(List.of(Long.toString(b)));
                b += step; // exact: found by exact subtraction in of(), and the last addition is never used
            }
            return out;
        }

        /** These bounds as steps, if they are single canonical integers evenly spaced (at least one of them). */
        static Optional<Steps> of(List<List<String>> bounds) {
            if (bounds.isEmpty()) {
                return Optional.empty();
            }
            long first;
            long previous = 0;
            long step = 0;
            try {
                first = integer(bounds.get(0));
                previous = first;
                for (int i = 1; i < bounds.size(); i++) {
                    long b = integer(bounds.get(i));
                    long d = Math.subtractExact(b, previous);
                    if (i == 1) {
                        step = d;
                    } else if (d != step) {
                        return Optional.empty();
                    }
                    previous = b;
                }
            } catch (NumberFormatException | ArithmeticException e) {
                return Optional.empty();
            }
            return Optional.of(new Steps(first, step, bounds.size()));
        }

        private static long integer(List<String> bound) {
            if (bound == null || bound.size() != 1 || bound.get(0) == null) {
                throw new NumberFormatException("not a single integer");
            }
            long v = Long.parseLong(bound.get(0));
            if (!Long.toString(v).equals(bound.get(0))) {
                throw new NumberFormatException("not canonical: " + bound.get(0)); // "+1" or "01" must come back as written
            }
            return v;
        }
    }

    /**
     * The bounds between a plan's chunks.
     *
     * @throws IllegalArgumentException when the chunks do not cover the key space one after the other
     *                                  (every plan of {@link ChunkPlanner} does)
     */
    static List<List<String>> bounds(List<ChunkRange> chunks) {
        if (chunks.isEmpty() || chunks.get(0).lower() != null || chunks.get(chunks.size() - 1).upper() != null) {
            throw new IllegalArgumentException("a chunk plan must start and end unbounded");
        }
        List<List<String>> out = new ArrayList<>(chunks.size() - 1);
        for (int i = 1; i < chunks.size(); i++) {
            List<String> bound = chunks.get(i - 1).upper();
            if (bound == null || !bound.equals(chunks.get(i).lower())) {
                throw new IllegalArgumentException("chunk " + i + " of the plan does not start where chunk " + (i - 1) + " ends");
            }
            out.add(bound);
        }
        return out;
    }

    /** The chunks between these bounds: one more than there are bounds. */
    static List<ChunkRange> chunks(List<List<String>> bounds) {
        List<ChunkRange> out = new ArrayList<>(bounds.size() + 1);
        List<String> lower = null;
        for (List<String> bound : bounds) {
            List<String> upper = List.copyOf(bound);
            out.add(new ChunkRange(lower, upper));
            lower = upper;
        }
        out.add(new ChunkRange(lower, null));
        return out;
    }

    /**
     * Cuts bounds into pages of at most {@code pageBytes} of JSON each (a page holds at least one
     * bound, so a single bound larger than that makes a page of its own).
     *
     * @param jsonBytes the JSON size of one bound
     */
    static List<List<List<String>>> pages(List<List<String>> bounds, int pageBytes, java.util.function.ToIntFunction<List<String>> jsonBytes) {
        List<List<List<String>>> pages = new ArrayList<>();
        List<List<String>> page = new ArrayList<>();
        long bytes = 0;
        for (List<String> bound : bounds) {
            int b = jsonBytes.applyAsInt(bound) + 1; // and its comma
            if (!page.isEmpty() && bytes + b > pageBytes) {
                pages.add(page);
                page = new ArrayList<>();
                bytes = 0;
            }
            page.add(bound);
            bytes += b;
        }
        if (!page.isEmpty()) {
            pages.add(page);
        }
        return pages;
    }
}
