package dev.tideline.core.pgoutput;

import dev.tideline.core.TidelineException;
import java.nio.charset.StandardCharsets;

/**
 * A bounds-checked cursor over one pgoutput message. Every read names what it expected, so a short
 * or corrupt message fails with the message type, the byte offset and the missing field rather than
 * an {@code IndexOutOfBoundsException}.
 */
final class PgOutputReader {

    static final String HINT = "The replication stream is corrupt or is not pgoutput protocol 1 or 2: check that the slot "
            + "uses the pgoutput plugin and START_REPLICATION asks for proto_version '1' or '2'. If it persists, report it "
            + "as a Tideline bug with the message type and offset.";

    private byte[] bytes;
    private int start;
    private int pos;
    private int end;
    private String messageName;

    void reset(byte[] bytes, int start, int end) {
        this.bytes = bytes;
        this.start = start;
        this.pos = start;
        this.end = end;
        this.messageName = "?";
    }

    /** The message type's name as the Postgres docs spell it, for error messages. */
    void messageName(String name) {
        this.messageName = name;
    }

    String messageName() {
        return messageName;
    }

    byte[] bytes() {
        return bytes;
    }

    /** The offset of the next byte from the start of the message (the type byte is offset 0). */
    int offset() {
        return pos - start;
    }

    int remaining() {
        return end - pos;
    }

    byte int8(String what) {
        need(1, what);
        return bytes[pos++];
    }

    int int16(String what) {
        need(2, what);
        int value = (short) ((bytes[pos] & 0xFF) << 8 | (bytes[pos + 1] & 0xFF));
        pos += 2;
        return value;
    }

    int int32(String what) {
        need(4, what);
        int p = pos;
        pos += 4;
        return (bytes[p] & 0xFF) << 24 | (bytes[p + 1] & 0xFF) << 16 | (bytes[p + 2] & 0xFF) << 8 | (bytes[p + 3] & 0xFF);
    }

    /** A Postgres {@code uint32} (transaction ids), widened so it never reads as negative. */
    long uint32(String what) {
        return Integer.toUnsignedLong(int32(what));
    }

    long int64(String what) {
        need(8, what);
        long high = int32(what);
        return high << 32 | (int32(what) & 0xFFFF_FFFFL);
    }

    /** A NUL-terminated UTF-8 string. */
    String cstring(String what) {
        for (int i = pos; i < end; i++) {
            if (bytes[i] == 0) {
                String value = new String(bytes, pos, i - pos, StandardCharsets.UTF_8);
                pos = i + 1;
                return value;
            }
        }
        throw malformed(offset(), "expected " + what + " ending in a NUL byte, " + remaining() + " bytes left without one");
    }

    /** Skips {@code length} bytes and returns the array index where they start. */
    int skip(int length, String what) {
        if (length < 0) {
            throw malformed(offset() - 4, "expected a non-negative length of " + what + ", found " + length);
        }
        need(length, what);
        int at = pos;
        pos += length;
        return at;
    }

    /** Fails unless the whole message was consumed: leftovers mean we misread its layout. */
    void end() {
        if (pos != end) {
            throw malformed(offset(), "expected the end of the message, " + remaining() + " bytes left");
        }
    }

    TidelineException malformed(int atOffset, String problem) {
        return malformed(atOffset, problem, HINT, null);
    }

    TidelineException malformed(int atOffset, String problem, String hint, Throwable cause) {
        return new TidelineException(TidelineException.Kind.FATAL,
                "malformed pgoutput " + messageName + " message at byte " + atOffset + ": " + problem, hint, cause);
    }

    private void need(int n, String what) {
        if (end - pos < n) {
            throw malformed(offset(), "expected " + what + ", " + (end - pos) + " bytes left");
        }
    }
}
