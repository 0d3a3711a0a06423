package dev.tideline.sync.delta;

/**
 * The net row changes of a refresh, ready to apply: rows whose key is new (inserts), rows whose key
 * existed at the synced version (updates) and keys to delete, as binary COPY tuples; a key is in at
 * most one of the three (see {@link RowChanges} for what makes a row an insert). Held in memory
 * ({@link RowChanges}) or, for a refresh larger than its fold budget, in spill files
 * ({@link SpilledChanges}) read back as they are iterated.
 *
 * <p>Each {@code Iterable} may be iterated more than once, one iteration at a time, from one thread.
 * {@link #close()} releases the spill files; the changes are unusable afterwards.
 */
public interface NetChanges extends AutoCloseable {

    /** Rows to insert. */
    long insertCount();

    /** Rows to update. */
    long updateCount();

    /** Keys to delete. */
    long deleteCount();

    /** Binary COPY tuples (all columns) of the rows whose key is new. */
    Iterable<byte[]> insertRows();

    /** Binary COPY tuples (all columns) of the rows whose key existed at the start version. */
    Iterable<byte[]> updateRows();

    /** Binary COPY tuples of the key columns of the rows to delete. */
    Iterable<byte[]> deleteKeys();

    /**
     * Whether a row was deleted from a table with a timeseries key: then the surviving latest row of
     * that key may live in a file the change did not touch, so only a snapshot is exact.
     */
    boolean deletesUnderTimeseriesKey();

    /** Rows read from Delta to compute the changes. */
    long rowsRead();

    /** Partitions the changes were folded in; 1 when they never left memory. */
    int partitionsFolded();

    /** Rows the target will see change: upserts plus deletes. */
    default long size() {
        return insertCount() + updateCount() + deleteCount();
    }

    @Override
    void close();
}
