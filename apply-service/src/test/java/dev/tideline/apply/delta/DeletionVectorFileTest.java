package dev.tideline.apply.delta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.kernel.DeletionVectorBitmap;
import dev.tideline.delta.kernel.DeletionVectorRef;
import dev.tideline.delta.kernel.KernelInternals;
import io.delta.kernel.engine.Engine;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deletion vectors written by Tideline are read back by Delta Kernel's own reader (checksum and size verified). */
class DeletionVectorFileTest {

    @TempDir
    Path table;

    @Test
    void kernelReadsTheVectorsOfAFileBack() throws Exception {
        Engine engine = DeltaEngines.forWarehouse(table.toString(), EngineSettings.defaults());
        long[] first = {0, 3, 4, 5, 65_535, 65_536, 1_000_000};
        long[] second = {7, (1L << 32) + 9, (3L << 32)}; // positions above 2^32 use further bitmaps
        List<DeletionVectorRef> dvs = DeletionVectorFile.write(engine, table.toUri().toString(),
                List.of(DeletionVectorBitmap.of(first), DeletionVectorBitmap.of(second)));
        assertEquals(2, dvs.size());
        assertEquals("u", dvs.get(0).getStorageType());
        assertEquals(1, dvs.get(0).getOffset().orElseThrow(), "the first vector starts after the version byte");
        assertEquals(7, dvs.get(0).getCardinality());
        assertArrayEquals(first, KernelInternals.loadDeletionVector(engine, table.toUri().toString(), dvs.get(0)).toArray());
        assertArrayEquals(second, KernelInternals.loadDeletionVector(engine, table.toUri().toString(), dvs.get(1)).toArray());
        Path file = Path.of(java.net.URI.create(dvs.get(0).getAbsolutePath(table.toUri().toString())));
        assertEquals(file.getParent(), table);
        byte[] bytes = Files.readAllBytes(file);
        assertEquals(1, bytes[0], "format version");
        assertEquals(DeletionVectorBitmap.PORTABLE_MAGIC, ByteBuffer.wrap(bytes, 5, 4).order(ByteOrder.LITTLE_ENDIAN).getInt());
        // A damaged vector is refused by its checksum, not read as other rows.
        bytes[bytes.length - 20] ^= 0x5a;
        Files.write(file, bytes);
        assertThrows(RuntimeException.class, () -> KernelInternals.loadDeletionVector(engine, table.toUri().toString(), dvs.get(1)));
    }

    @Test
    void bitmapCountsEachPositionOnce() {
        DeletionVectorBitmap b = DeletionVectorBitmap.of(1, 2, 2, 1L << 33);
        assertEquals(3, b.cardinality());
        DeletionVectorBitmap c = b.copy();
        c.add(5);
        assertEquals(3, b.cardinality(), "copies are independent");
        assertEquals(4, c.cardinality());
        assertThrows(IllegalArgumentException.class, () -> b.add(-1));
    }
}
