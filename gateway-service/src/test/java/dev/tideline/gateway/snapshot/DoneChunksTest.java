package dev.tideline.gateway.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DoneChunksTest {

    private static List<Boolean> done(int chunks, int... doneOnes) {
        List<Boolean> out = new ArrayList<>(Collections.nCopies(chunks, false));
        for (int i : doneOnes) {
            out.set(i, true);
        }
        return out;
    }

    @Test
    void chunksDoneAboutInOrderAreAFewRuns() {
        List<Boolean> d = done(50_000);
        for (int i = 0; i < 40_000; i++) {
            d.set(i, true);
        }
        d.set(40_002, true);
        assertEquals("r0-39999,40002", DoneChunks.encode(d));
        assertEquals(d, DoneChunks.decode(DoneChunks.encode(d), 50_000));
        assertEquals("r", DoneChunks.encode(done(3)));
        assertEquals(done(3), DoneChunks.decode("r", 3));
        assertEquals(done(3, 0, 1, 2), DoneChunks.decode(DoneChunks.encode(done(3, 0, 1, 2)), 3));
    }

    @Test
    void scatteredChunksAreABitsetOfAtMostOneBitPerChunk() {
        int chunks = SnapshotProgress.MAX_CHUNKS;
        List<Boolean> d = done(chunks);
        for (int i = 0; i < chunks; i += 2) {
            d.set(i, true);
        }
        String text = DoneChunks.encode(d);
        assertTrue(text.startsWith("b"), text.substring(0, 10));
        assertTrue(text.length() <= 1 + (chunks + 5) / 6, "length " + text.length());
        assertEquals(d, DoneChunks.decode(text, chunks));
    }

    @Test
    void randomSetsRoundTrip() {
        Random random = new Random(21);
        for (int round = 0; round < 200; round++) {
            int chunks = 1 + random.nextInt(300);
            List<Boolean> d = new ArrayList<>();
            double p = random.nextDouble();
            for (int i = 0; i < chunks; i++) {
                d.add(random.nextDouble() < p);
            }
            assertEquals(d, DoneChunks.decode(DoneChunks.encode(d), chunks), "round " + round);
        }
    }

    @Test
    void malformedTextIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> DoneChunks.decode("r5", 3), "beyond the plan");
        assertThrows(IllegalArgumentException.class, () -> DoneChunks.decode("r2-1", 3));
        assertThrows(IllegalArgumentException.class, () -> DoneChunks.decode("x", 3));
        assertThrows(IllegalArgumentException.class, () -> DoneChunks.decode("", 3));
        assertThrows(IllegalArgumentException.class, () -> DoneChunks.decode("b/w", 3));
    }
}
