package dev.tideline.sync.delta;

import dev.tideline.sync.types.RowKey;

/**
 * One row read from a data or change data file of a refresh: its primary key, its binary COPY
 * tuple ({@code null} for a key read without its row: a deletion-vector rewrite's newly deleted
 * position, or a change data {@code delete}), its timeseries value ({@code null} without a
 * timeseries key, or NULL) and, for change data, what kind of change it is.
 *
 * @param key    the primary key, as a binary COPY tuple
 * @param row    all columns as a binary COPY tuple, or {@code null}
 * @param ts     the timeseries key's value, or {@code null}
 * @param change {@link #ROW} for a data file's row, else the change data kind
 */
record ChangeImage(RowKey key, byte[] row, @SuppressWarnings("rawtypes") Comparable ts, byte change) {

    /** A row of a data file (added or removed, by the file it was read from). */
    static final byte ROW = 0;
    /** A change data {@code insert}. */
    static final byte CDC_INSERT = 1;
    /** A change data {@code update_postimage}. */
    static final byte CDC_POSTIMAGE = 2;
    /** A change data {@code delete}. */
    static final byte CDC_DELETE = 3;

    /**
     * Heap an image takes while a refresh holds it, including what folding it adds (its map entry,
     * the key object, the net change record): the arrays plus about 200 bytes of object headers and
     * references, measured for 64-bit JVMs with compressed pointers. The fold budget is counted in it.
     */
    long heapBytes() {
        return 200L + key.bytes().length + (row == null ? 0 : row.length);
    }
}
