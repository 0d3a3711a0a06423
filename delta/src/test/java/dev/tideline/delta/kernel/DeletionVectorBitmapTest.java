package dev.tideline.delta.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The set operations sync-service's change reader relies on. */
class DeletionVectorBitmapTest {

    @Test
    void positionsComeBackAscendingAcrossBitmaps() {
        long high = (1L << 32) + 9;
        long top = 0xFFFF_FFFFL; // the largest low half: unsigned, not -1
        assertArrayEquals(new long[] {0, 7, top, high, 3L << 32},
                DeletionVectorBitmap.of(3L << 32, high, 7, top, 0, 7).toArray());
    }

    @Test
    void containsAllIsSubsetAcrossBitmaps() {
        DeletionVectorBitmap now = DeletionVectorBitmap.of(1, 2, 3, (1L << 32) + 5);
        assertTrue(now.containsAll(DeletionVectorBitmap.of()));
        assertTrue(now.containsAll(DeletionVectorBitmap.of(2, (1L << 32) + 5)));
        assertTrue(now.containsAll(now.copy()));
        assertFalse(now.containsAll(DeletionVectorBitmap.of(2, 4)), "a row came back");
        assertFalse(now.containsAll(DeletionVectorBitmap.of((2L << 32) + 1)), "a bitmap this one does not have");
        assertFalse(DeletionVectorBitmap.of(1).containsAll(now));
    }
}
