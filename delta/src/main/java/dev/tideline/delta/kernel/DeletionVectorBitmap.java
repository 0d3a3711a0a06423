package dev.tideline.delta.kernel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.TreeMap;
import org.roaringbitmap.RoaringBitmap;

/**
 * The row positions a deletion vector removes from one data file: a set of 64-bit row indexes kept as
 * one 32-bit Roaring bitmap per high half, serialized in the Delta protocol's
 * {@code RoaringBitmapArray} portable format ("Deletion Vector Format": magic number 1681511377, the
 * number of bitmaps as a 64-bit integer, then per bitmap its high 32 bits and the bitmap in Roaring's
 * portable format; all little-endian). Written by apply-service, read back by apply-service and
 * sync-service ({@link KernelInternals#loadDeletionVector}). Not thread-safe; instances are copied,
 * never shared mutably.
 */
public final class DeletionVectorBitmap {

    /** Magic number of the portable RoaringBitmapArray serialization. */
    public static final int PORTABLE_MAGIC = 1681511377;

    private final TreeMap<Integer, RoaringBitmap> bitmaps = new TreeMap<>();
    private long cardinality;

    public static DeletionVectorBitmap of(long... positions) {
        DeletionVectorBitmap b = new DeletionVectorBitmap();
        for (long p : positions) {
            b.add(p);
        }
        return b;
    }

    public DeletionVectorBitmap copy() {
        DeletionVectorBitmap c = new DeletionVectorBitmap();
        bitmaps.forEach((high, bitmap) -> c.bitmaps.put(high, bitmap.clone()));
        c.cardinality = cardinality;
        return c;
    }

    /** Adds a row position; returns whether it was new. */
    public boolean add(long position) {
        if (position < 0) {
            throw new IllegalArgumentException("row positions are not negative: " + position);
        }
        RoaringBitmap bitmap = bitmaps.computeIfAbsent((int) (position >>> 32), h -> new RoaringBitmap());
        boolean added = bitmap.checkedAdd((int) position);
        if (added) {
            cardinality++;
        }
        return added;
    }

    public boolean contains(long position) {
        RoaringBitmap bitmap = bitmaps.get((int) (position >>> 32));
        return bitmap != null && bitmap.contains((int) position);
    }

    /** Whether every position of {@code other} is in this one. */
    public boolean containsAll(DeletionVectorBitmap other) {
        if (other.cardinality > cardinality) {
            return false;
        }
        for (Map.Entry<Integer, RoaringBitmap> e : other.bitmaps.entrySet()) {
            RoaringBitmap mine = bitmaps.get(e.getKey());
            if (e.getValue().isEmpty()) {
                continue;
            }
            if (mine == null || !mine.contains(e.getValue())) {
                return false;
            }
        }
        return true;
    }

    public long cardinality() {
        return cardinality;
    }

    public boolean isEmpty() {
        return cardinality == 0;
    }

    /** The positions, ascending (an array of 8 bytes per position: for tests and small vectors). */
    public long[] toArray() {
        long[] out = new long[Math.toIntExact(cardinality)];
        int[] i = {0};
        bitmaps.forEach((high, bitmap) -> bitmap.forEach(
                (org.roaringbitmap.IntConsumer) low -> out[i[0]++] = ((long) high << 32) | (low & 0xFFFF_FFFFL)));
        return out;
    }

    /** The portable serialization ({@code bitmapData} of the DV file format, also the inline form). */
    public byte[] serialize() {
        int size = 4 + 8;
        for (RoaringBitmap bitmap : bitmaps.values()) {
            bitmap.runOptimize();
            size += 4 + bitmap.serializedSizeInBytes();
        }
        ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(PORTABLE_MAGIC);
        out.putLong(bitmaps.size());
        for (Map.Entry<Integer, RoaringBitmap> e : bitmaps.entrySet()) {
            out.putInt(e.getKey());
            e.getValue().serialize(out);
        }
        return out.array();
    }
}
