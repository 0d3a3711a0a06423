package dev.tideline.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.TidelineException;
import org.junit.jupiter.api.Test;

class TableLocationsTest {

    @Test
    void localWarehousesAreNormalizedToHadoopSpelling() {
        assertEquals("file:/tmp/wh/main/public/orders", TableLocations.of("/tmp/wh", "main", "public", "orders"));
        assertEquals("file:/tmp/wh/main/public/orders", TableLocations.of("file:/tmp/wh/", "main", "public", "orders"));
        assertEquals("file:/tmp/wh/main/public/orders", TableLocations.of("file:///tmp/wh", "main", "public", "orders"));
    }

    @Test
    void objectStoreWarehousesKeepTheirUri() {
        assertEquals("s3a://bucket/prefix/main/sales/orders",
                TableLocations.of("s3a://bucket/prefix/", "main", "sales", "orders"));
        assertEquals("s3a://bucket/c/s/t", TableLocations.of("s3a://bucket", "c", "s", "t"));
    }

    @Test
    void namesBecomeOneSafeReversibleSegmentEach() {
        assertEquals("file:/w/my=2Ecat/a=20b/x=2Fy", TableLocations.of("/w", "my.cat", "a b", "x/y"));
        assertEquals("file:/w/c/s/caf=C3=A9", TableLocations.of("/w", "c", "s", "café"));
    }

    @Test
    void relativeOrBlankWarehousesAreRefusedWithAHint() {
        TidelineException e = assertThrows(TidelineException.class, () -> TableLocations.of("wh", "c", "s", "t"));
        assertEquals(TidelineException.Kind.NEEDS_OPERATOR, e.kind());
        assertTrue(e.hint().contains("absolute path"));
        assertThrows(TidelineException.class, () -> TableLocations.normalizeWarehouse(" "));
        assertThrows(TidelineException.class, () -> TableLocations.normalizeWarehouse("file:relative"));
    }

    @Test
    void localDetection() {
        assertTrue(DeltaEngines.isLocal("/tmp/x"));
        assertTrue(DeltaEngines.isLocal("file:///tmp/x"));
        assertEquals(false, DeltaEngines.isLocal("s3a://b/x"));
        assertEquals(java.nio.file.Path.of("/tmp/x/y"), DeltaEngines.localPath("file:/tmp/x/y"));
    }
}
