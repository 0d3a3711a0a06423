package dev.tideline.sync.types;

import java.util.Arrays;

/**
 * The primary key of one row as its binary COPY tuple (field count, then each key field), so keys
 * compare and hash by bytes and can be streamed as they are into a key-only staging table. Equal
 * keys have equal bytes: every type has one binary form per value.
 *
 * <p>The hash is FNV-1a with a final mix rather than {@link Arrays#hashCode(byte[])}: big-endian
 * integers differ only in their last bytes, where the polynomial hash collides so often that hash
 * maps of keys degrade into trees.
 */
public final class RowKey {

    private final byte[] bytes;
    private final int hash;

    /** @param bytes the tuple; not copied, never modified */
    public RowKey(byte[] bytes) {
        this.bytes = bytes;
        int h = 0x811C9DC5;
        for (byte b : bytes) {
            h = (h ^ (b & 0xFF)) * 0x01000193;
        }
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        this.hash = h;
    }

    /** The binary COPY tuple of the key columns; do not modify. */
    public byte[] bytes() {
        return bytes;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RowKey other && other.hash == hash && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return "RowKey[" + bytes.length + " bytes]";
    }
}
