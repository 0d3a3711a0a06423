package dev.tideline.core.wire;

import dev.tideline.core.schema.RelationSchema;

/**
 * The body being built by a batch builder: a head (prelude, flags, kind-specific fields, schema)
 * and the encoded rows, kept apart because the row count sits between them and is only known at the
 * end. Both buffers are reused from batch to batch.
 */
final class BatchBody {

    static final int MAGIC_0 = 'T';
    static final int MAGIC_1 = 'L';
    /** Offset of the flags byte, right after the 4-byte prelude. */
    static final int FLAGS_OFFSET = 4;
    /** Offset of the format version byte. */
    static final int VERSION_OFFSET = 2;

    final WireWriter head = new WireWriter(512);
    final WireWriter rows;
    int rowCount;
    /** Whether a row holds a pg-binary value, which makes the body format 2. */
    boolean pgBinary;

    BatchBody(int initialRowsCapacity) {
        rows = new WireWriter(initialRowsCapacity);
    }

    /** Starts a body: prelude and a flags placeholder. */
    void start(BatchKind kind) {
        head.reset();
        rows.reset();
        rowCount = 0;
        pgBinary = false;
        prelude(head, kind);
        head.u8(0);
    }

    static void prelude(WireWriter w, BatchKind kind) {
        w.u8(MAGIC_0);
        w.u8(MAGIC_1);
        w.u8(WireCodec.BASE_VERSION);
        w.u8(kind.code());
    }

    int size() {
        return sizeWith(rowCount);
    }

    int sizeWith(int rows) {
        return head.size() + WireWriter.uvarintSize(rows) + this.rows.size();
    }

    byte[] finish(int flags) {
        byte[] out = new byte[size()];
        head.copyTo(out, 0);
        out[FLAGS_OFFSET] = (byte) flags;
        out[VERSION_OFFSET] = (byte) version();
        int p = head.size();
        long v = rowCount;
        while ((v & ~0x7FL) != 0) {
            out[p++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out[p++] = (byte) v;
        rows.copyTo(out, p);
        return out;
    }

    int version() {
        return pgBinary ? WireCodec.FORMAT_VERSION : WireCodec.BASE_VERSION;
    }

    static String tableToken(RelationSchema schema) {
        return WireCodec.tableToken(schema.table());
    }
}
