package dev.tideline.gateway.snapshot;

import dev.tideline.core.wire.EncodedRows;

/**
 * Moves the rows of a {@code COPY … TO STDOUT (FORMAT binary)} stream into {@link EncodedRows}
 * without decoding a value: each field's bytes go in as they came, as a pg-binary value (or as text,
 * for the columns the query turned into their text output). The stream is the 19-byte header
 * ({@code PGCOPY\n\377\r\n\0}, flags, extension length), then per row an int16 field count and per
 * field an int32 length ({@code -1} for NULL) and the bytes, then the int16 {@code -1} trailer.
 * Postgres ends every CopyData message at a row boundary, so each message is parsed on its own.
 * One instance per COPY; not thread-safe.
 */
final class CopyBinaryRows {

    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0};

    private final EncodedRows rows;
    private boolean headerSeen;
    private boolean trailerSeen;

    CopyBinaryRows(EncodedRows rows) {
        this.rows = rows;
    }

    /**
     * Appends the rows of one CopyData message.
     *
     * @throws IllegalArgumentException when the message is not what a binary COPY of the rows' columns sends
     */
    void accept(byte[] message) {
        int pos = 0;
        int end = message.length;
        if (!headerSeen) {
            if (end < SIGNATURE.length + 8) {
                throw new IllegalArgumentException("the first COPY message is shorter than the binary header");
            }
            for (int i = 0; i < SIGNATURE.length; i++) {
                if (message[i] != SIGNATURE[i]) {
                    throw new IllegalArgumentException("the COPY output does not start with the binary signature");
                }
            }
            int extension = int32(message, SIGNATURE.length + 4);
            pos = SIGNATURE.length + 8 + extension;
            if (extension < 0 || pos > end) {
                throw new IllegalArgumentException("bad COPY header extension length " + extension);
            }
            headerSeen = true;
        }
        int columns = rows.schema().columnCount();
        while (pos < end) {
            if (trailerSeen) {
                throw new IllegalArgumentException("data after the COPY trailer");
            }
            need(pos, 2, end);
            int fields = (short) ((message[pos] & 0xFF) << 8 | (message[pos + 1] & 0xFF));
            pos += 2;
            if (fields == -1) {
                trailerSeen = true;
                continue;
            }
            if (fields != columns) {
                throw new IllegalArgumentException("a COPY row has " + fields + " fields, expected " + columns);
            }
            rows.startRow();
            for (int c = 0; c < columns; c++) {
                need(pos, 4, end);
                int length = int32(message, pos);
                pos += 4;
                if (length == -1) {
                    rows.addNull();
                    continue;
                }
                if (length < 0) {
                    throw new IllegalArgumentException("negative field length " + length);
                }
                need(pos, length, end);
                if (rows.acceptsPgBinary(c)) {
                    rows.addPgBinary(message, pos, length);
                } else {
                    rows.addText(message, pos, length);
                }
                pos += length;
            }
            rows.endRow();
        }
    }

    private static void need(int pos, int n, int end) {
        if (n > end - pos) {
            throw new IllegalArgumentException("a COPY row continues past the end of its message");
        }
    }

    private static int int32(byte[] b, int off) {
        return (b[off] & 0xFF) << 24 | (b[off + 1] & 0xFF) << 16 | (b[off + 2] & 0xFF) << 8 | (b[off + 3] & 0xFF);
    }
}
