package dev.tideline.core.wire;

/**
 * The one-byte tag in front of every column value in a body. Package-private: the layout is
 * documented in {@code docs/reference/events.md}; these constants are its single source in code.
 */
final class ValueTag {

    static final int NULL = 0;
    static final int UNCHANGED_TOAST = 1;
    static final int FALSE = 2;
    static final int TRUE = 3;
    static final int INT2 = 4;
    static final int INT4 = 5;
    static final int INT8 = 6;
    static final int FLOAT4 = 7;
    static final int FLOAT8 = 8;
    static final int DECIMAL = 9;
    static final int BIG_DECIMAL = 10;
    static final int SPECIAL = 11;
    static final int STRING = 12;
    static final int BYTES = 13;
    static final int DATE = 14;
    static final int TIME = 15;
    static final int TIMETZ = 16;
    static final int TIMESTAMP = 17;
    static final int TIMESTAMPTZ = 18;
    static final int INTERVAL = 19;
    static final int UUID = 20;
    static final int LIST = 21;
    /**
     * A column value in Postgres' binary send form ({@code COPY … (FORMAT binary)} field), decoded
     * with the column's type OID by {@link dev.tideline.core.value.PgBinaryValues}; only for types
     * {@link dev.tideline.core.value.PgBinaryValues#isTyped} accepts, only as a whole column value
     * (never inside a LIST). Format 2.
     */
    static final int PG_BINARY = 22;

    /** Postgres arrays have at most 6 dimensions; anything deeper is corrupt input. */
    static final int MAX_LIST_DEPTH = 16;

    private ValueTag() {
    }
}
