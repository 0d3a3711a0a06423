package dev.tideline.control.nats;

import java.time.Duration;
import java.util.Objects;

/**
 * A bounded exponential backoff: attempt 1 waits {@code initial}, each further attempt twice the
 * one before, never more than {@code max}. Deterministic (no jitter): the same attempt always waits
 * the same time, so logs and tests can state it. Immutable and thread-safe.
 *
 * @param initial the wait after the first failed attempt, at least 1 ms
 * @param max     the longest wait, at least {@code initial}
 */
public record Backoff(Duration initial, Duration max) {

    /**
     * The schedule for (re)connecting to NATS and for starting work that needs it: 0.5 s, 1 s, 2 s, 4 s,
     * 8 s, then every 10 s. A service is back within 10 s of NATS coming back; a failed attempt is a
     * single TCP connect, so retrying every 10 s costs the server nothing worth saving.
     */
    public static final Backoff NATS = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(10));

    public Backoff {
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(max, "max");
        if (initial.toMillis() < 1 || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff must satisfy 1 ms <= initial <= max, was initial " + initial + ", max " + max);
        }
    }

    /**
     * The wait after failed attempt {@code attempt}.
     *
     * @param attempt 1 for the first failed attempt
     * @throws IllegalArgumentException if {@code attempt < 1}
     */
    public Duration delay(int attempt) {
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt must be >= 1, was " + attempt);
        }
        // 2^62 ms overflows nothing; any shift past the cap is the cap.
        int shift = Math.min(attempt - 1, 62);
        long millis = initial.toMillis();
        long delayed = millis > (Long.MAX_VALUE >> shift) ? Long.MAX_VALUE : millis << shift;
        return delayed >= max.toMillis() ? max : Duration.ofMillis(delayed);
    }
}
