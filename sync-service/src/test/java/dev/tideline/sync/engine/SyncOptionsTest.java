package dev.tideline.sync.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tideline.sync.delta.FoldLimits;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SyncOptionsTest {

    private static final FoldLimits FOLD = new FoldLimits(1 << 20, 16, Path.of("spill"));

    @Test
    void anInvalidValueIsReportedByItsPropertyAndValue() {
        assertEquals("tideline.sync.max-connections must be between 1 and 16 (was 17)", assertThrows(IllegalArgumentException.class,
                () -> new SyncOptions(17, 0.5, SyncOptions.DEFAULT_FILL_FACTOR, FOLD)).getMessage());
        assertEquals("tideline.sync.snapshot-fraction must be > 0 (was 0.0)", assertThrows(IllegalArgumentException.class,
                () -> new SyncOptions(4, 0, SyncOptions.DEFAULT_FILL_FACTOR, FOLD)).getMessage());
    }
}
