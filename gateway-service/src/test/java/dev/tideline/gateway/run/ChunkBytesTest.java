package dev.tideline.gateway.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ChunkBytesTest {

    private static final long MIB = 1L << 20;

    @Test
    void aSmallHeapGetsSmallerChunksAndALargeOneTheConfiguredSize() {
        assertEquals(12 * MIB, GatewayRunner.chunkBytesFor(32 * MIB, 4, 384 * MIB), "a 512 MiB container at 75 %");
        assertEquals(32 * MIB, GatewayRunner.chunkBytesFor(32 * MIB, 4, 1024 * MIB));
        assertEquals(32 * MIB, GatewayRunner.chunkBytesFor(32 * MIB, 4, 6144 * MIB));
        assertEquals(MIB, GatewayRunner.chunkBytesFor(32 * MIB, 64, 64 * MIB), "never below 1 MiB");
    }
}
