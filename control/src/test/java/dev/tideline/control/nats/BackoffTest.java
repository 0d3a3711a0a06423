package dev.tideline.control.nats;

import io.nats.client.Options;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackoffTest {

    @Test
    void natsScheduleDoublesFromHalfASecondAndStaysAtTenSeconds() {
        List<Long> millis = IntStream.rangeClosed(1, 8).mapToObj(Backoff.NATS::delay).map(Duration::toMillis).toList();
        assertEquals(List.of(500L, 1_000L, 2_000L, 4_000L, 8_000L, 10_000L, 10_000L, 10_000L), millis);
    }

    @Test
    void aVeryLateAttemptWaitsTheCapWithoutOverflowing() {
        assertEquals(Duration.ofSeconds(10), Backoff.NATS.delay(64));
        assertEquals(Duration.ofSeconds(10), Backoff.NATS.delay(Integer.MAX_VALUE));
        assertEquals(Duration.ofDays(1), new Backoff(Duration.ofMillis(3), Duration.ofDays(1)).delay(1_000));
    }

    @Test
    void aCapEqualToTheStartNeverGrows() {
        Backoff flat = new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(2));
        assertEquals(Duration.ofSeconds(2), flat.delay(1));
        assertEquals(Duration.ofSeconds(2), flat.delay(5));
    }

    @Test
    void rejectsAnInvalidScheduleOrAttempt() {
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> Backoff.NATS.delay(0));
    }

    @Test
    void reconnectModesSetTheClientOptions() {
        Options forever = NatsConnect.options("nats://a:4222, nats://b:4222", "tideline-test", NatsConnect.Reconnect.FOREVER);
        assertEquals(-1, forever.getMaxReconnect());
        assertEquals(2, forever.getServers().size());
        assertEquals("tideline-test", forever.getConnectionName());
        assertTrue(forever.getReconnectBufferSize() > 0);
        Options unbuffered = NatsConnect.options("nats://a:4222", "t", NatsConnect.Reconnect.FOREVER_UNBUFFERED);
        assertEquals(0, unbuffered.getReconnectBufferSize());
        Options never = NatsConnect.options("nats://a:4222", "t", NatsConnect.Reconnect.NEVER);
        assertEquals(0, never.getMaxReconnect());
        assertFalse(never.getServers().isEmpty());
    }

    @Test
    void retryGivesUpWhenStoppedWithoutAttempting() {
        assertFalse(NatsConnect.retry("nats://nowhere:1", "t", () -> true, () -> {
            throw new AssertionError("must not run");
        }, () -> { }));
    }

    @Test
    void retryWaitsTheScheduleBetweenFailuresAndStopsOnSuccess() {
        int[] attempts = {0};
        int[] cleanups = {0};
        long start = System.nanoTime();
        assertTrue(NatsConnect.retry("nats://nowhere:1", "t", () -> false, () -> {
            if (++attempts[0] < 3) {
                throw new java.io.IOException("refused");
            }
        }, () -> cleanups[0]++));
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(3, attempts[0]);
        assertEquals(2, cleanups[0]);
        assertTrue(elapsedMillis >= 1_500, "waited 0.5 s + 1 s, took " + elapsedMillis + " ms");
    }
}
