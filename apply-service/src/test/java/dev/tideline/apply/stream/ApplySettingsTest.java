package dev.tideline.apply.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How many messages a pull asks for: never more than {@code fetch-bytes} of the largest possible messages. */
class ApplySettingsTest {

    @Test
    void aPullStaysWithinFetchBytesEvenForMessagesOfTheServersLargestSize() {
        ApplySettings defaults = ApplySettings.DEFAULT; // 1,000 messages, 64 MiB
        assertEquals(64, defaults.fetchCount(1024 * 1024), "NATS's default max_payload, 1 MiB");
        assertEquals(1, defaults.fetchCount(64L * 1024 * 1024), "max_payload 64 MiB: one message at a time");
        assertEquals(1, defaults.fetchCount(128L * 1024 * 1024), "never fewer than one");
        assertEquals(1000, defaults.fetchCount(1024), "small payloads: fetch-size decides");
        assertEquals(50, defaults.withFetchSize(50).fetchCount(1024 * 1024));
        assertEquals(16, defaults.withFetchBytes(16L * 1024 * 1024).fetchCount(1024 * 1024));
    }

    @Test
    void fetchBytesMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> ApplySettings.DEFAULT.withFetchBytes(0));
    }

    @Test
    void anInvalidValueIsReportedByItsPropertyAndValue() {
        assertEquals("tideline.apply.fetch-size must be >= 1 (was 0)",
                assertThrows(IllegalArgumentException.class, () -> ApplySettings.DEFAULT.withFetchSize(0)).getMessage());
        assertEquals("tideline.apply.max-batch-rows must be >= 1 (was -5)",
                assertThrows(IllegalArgumentException.class, () -> ApplySettings.DEFAULT.withMaxBatchRows(-5)).getMessage());
        assertEquals("tideline.apply.ack-wait must be >= 1s (was PT0.5S)",
                assertThrows(IllegalArgumentException.class, () -> ApplySettings.DEFAULT.withAckWait(Duration.ofMillis(500))).getMessage());
        assertEquals("ApplySettings.fetchBytes must be >= 1 (was 0)",
                assertThrows(IllegalArgumentException.class, () -> ApplySettings.DEFAULT.withFetchBytes(0)).getMessage());
    }
}
