package dev.tideline.core.pgoutput;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Builds raw pgoutput messages and binary values by hand, big-endian as on the wire. */
public final class PgBytes {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public static PgBytes message(char type) {
        return new PgBytes().i8(type);
    }

    public static PgBytes empty() {
        return new PgBytes();
    }

    public PgBytes i8(int v) {
        out.write(v);
        return this;
    }

    public PgBytes i16(int v) {
        return i8(v >> 8).i8(v);
    }

    public PgBytes i32(int v) {
        return i16(v >> 16).i16(v);
    }

    public PgBytes i64(long v) {
        return i32((int) (v >> 32)).i32((int) v);
    }

    /** NUL-terminated UTF-8. */
    public PgBytes cstring(String s) {
        return raw(s.getBytes(StandardCharsets.UTF_8)).i8(0);
    }

    public PgBytes raw(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    /** A length-prefixed byte string (binary array elements, logical message content). */
    public PgBytes counted(byte[] bytes) {
        return i32(bytes.length).raw(bytes);
    }

    /** Tuple data: column count then one column per value: null → 'n', "\u0000u" → 'u', String → 't', byte[] → 'b'. */
    public PgBytes tuple(Object... values) {
        i16(values.length);
        for (Object value : values) {
            if (value == null) {
                i8('n');
            } else if (value.equals(TOAST)) {
                i8('u');
            } else if (value instanceof byte[] binary) {
                i8('b').counted(binary);
            } else {
                i8('t').counted(value.toString().getBytes(StandardCharsets.UTF_8));
            }
        }
        return this;
    }

    /** Marks an unchanged TOAST column in {@link #tuple}. */
    public static final String TOAST = "\u0000u";

    public byte[] bytes() {
        return out.toByteArray();
    }

    public ByteBuffer buffer() {
        return ByteBuffer.wrap(bytes());
    }
}
