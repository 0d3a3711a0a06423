package dev.tideline.gateway.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SnapshotSettingsTest {

    @Test
    void anInvalidValueIsReportedByItsPropertyAndValue() {
        assertEquals("tideline.gateway.snapshot.parallelism must be >= 1 (was 0)", assertThrows(IllegalArgumentException.class,
                () -> new SnapshotSettings(10, 0, Duration.ofMinutes(1), 1, Duration.ofSeconds(1))).getMessage());
        assertEquals("tideline.gateway.snapshot.chunk-bytes must be >= 1 (was -1)", assertThrows(IllegalArgumentException.class,
                () -> SnapshotSettings.DEFAULT.withChunkBytes(-1)).getMessage());
    }
}
