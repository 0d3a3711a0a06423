package dev.tideline.core.wire;

/**
 * The kinds of message Tideline publishes on a gateway's stream. The name is the value of the
 * {@link WireHeaders#KIND} header; the code is byte 3 of the body.
 */
public enum BatchKind {
    /** Committed row changes of one table from one source transaction. */
    ROWS(1),
    /** Rows of the initial snapshot (or a full refresh) of one table. */
    SNAPSHOT(2),
    /** A snapshot of one table starts: discard what you have of it once the snapshot is done. */
    SNAPSHOT_BEGIN(3),
    /** A snapshot of one table is complete, with its row count. */
    SNAPSHOT_DONE(4),
    /** A table's new shape, published before the first rows that need it. */
    SCHEMA(5),
    /** A table was truncated inside a source transaction. */
    TRUNCATE(6),
    /** A logical decoding message ({@code pg_logical_emit_message}). */
    MESSAGE(7);

    private static final BatchKind[] BY_CODE = {null, ROWS, SNAPSHOT, SNAPSHOT_BEGIN, SNAPSHOT_DONE, SCHEMA, TRUNCATE, MESSAGE};

    private final int code;

    BatchKind(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The kind with this body code, or {@code null}. */
    public static BatchKind fromCode(int code) {
        return code > 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
