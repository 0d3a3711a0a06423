package dev.tideline.sync.types;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable byte buffer holding Postgres {@code COPY … (FORMAT binary)} data: big-endian integers
 * as the protocol wants them, plus the stream's header and trailer. Reused across flushes so a
 * snapshot allocates one buffer per connection, not one array per row. Not thread-safe.
 */
public final class CopyBuffer {

    /** The 11-byte signature, flags and header-extension length that open every binary COPY stream. */
    private static final byte[] HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};

    private byte[] bytes;
    private int size;

    public CopyBuffer(int initialCapacity) {
        bytes = new byte[Math.max(64, initialCapacity)];
    }

    /** Appends the header that must open a binary COPY stream. */
    public CopyBuffer header() {
        return write(HEADER, 0, HEADER.length);
    }

    /** Appends the trailer (a field count of -1) that must close a binary COPY stream. */
    public CopyBuffer trailer() {
        return int16(-1);
    }

    public CopyBuffer int16(int v) {
        ensure(2);
        bytes[size++] = (byte) (v >>> 8);
        bytes[size++] = (byte) v;
        return this;
    }

    public CopyBuffer int32(int v) {
        ensure(4);
        bytes[size++] = (byte) (v >>> 24);
        bytes[size++] = (byte) (v >>> 16);
        bytes[size++] = (byte) (v >>> 8);
        bytes[size++] = (byte) v;
        return this;
    }

    public CopyBuffer int64(long v) {
        ensure(8);
        for (int shift = 56; shift >= 0; shift -= 8) {
            bytes[size++] = (byte) (v >>> shift);
        }
        return this;
    }

    public CopyBuffer int8(int v) {
        ensure(1);
        bytes[size++] = (byte) v;
        return this;
    }

    public CopyBuffer write(byte[] b) {
        return write(b, 0, b.length);
    }

    public CopyBuffer write(byte[] b, int offset, int length) {
        ensure(length);
        System.arraycopy(b, offset, bytes, size, length);
        size += length;
        return this;
    }

    /** Appends a field: its length, then its bytes. */
    public CopyBuffer field(byte[] b) {
        return int32(b.length).write(b);
    }

    /** Appends a field holding the UTF-8 bytes of {@code s}. */
    public CopyBuffer utf8Field(String s) {
        return field(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Number of bytes written since the last {@link #clear}. */
    public int size() {
        return size;
    }

    /** The backing array; valid up to {@link #size()}. */
    public byte[] array() {
        return bytes;
    }

    /** A copy of the bytes written from {@code from} on. */
    public byte[] copyFrom(int from) {
        return Arrays.copyOfRange(bytes, from, size);
    }

    public void clear() {
        size = 0;
    }

    private void ensure(int more) {
        if (size + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
        }
    }
}
