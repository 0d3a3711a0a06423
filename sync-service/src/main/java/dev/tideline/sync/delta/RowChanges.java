package dev.tideline.sync.delta;

import dev.tideline.sync.types.RowKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The net row changes of a Delta table between two versions, by primary key: the rows to write
 * (binary COPY tuples of all columns) and the keys to delete. A key is in at most one of the two.
 *
 * <p>A written row is an <em>insert</em> when its key did not exist at the start version (no
 * version of the range replaced or deleted a row with that key before adding it), otherwise an
 * <em>update</em>. Without a timeseries key an insert whose key Postgres already holds means the
 * Delta table now has two rows with that key — one in a file no version of the range touched — so
 * inserts are written without {@code ON CONFLICT}, where such a key fails the refresh.
 *
 * <p>Held in memory: built by {@link VersionFold} for a whole refresh that fits its fold budget, or
 * for one key-hash partition of a larger one ({@link ChangeSpool}). Not thread-safe.
 */
public final class RowChanges implements NetChanges {

    private Map<RowKey, Pending> upserts = new LinkedHashMap<>();
    private final Set<RowKey> deletes = new LinkedHashSet<>();
    private boolean deletesUnderTimeseriesKey;
    private long rowsRead;

    /** One row to write, with its timeseries key value (or {@code null}) and whether its key is new. */
    record Pending(byte[] row, @SuppressWarnings("rawtypes") Comparable timeseries, boolean insert) {
    }

    /**
     * Folds in a version's row for {@code key}.
     *
     * @param insert whether that version added the key without replacing a row with it
     */
    void upsert(RowKey key, byte[] row, @SuppressWarnings("rawtypes") Comparable timeseries, boolean insert) {
        Pending earlier = upserts.get(key);
        if (deletes.remove(key)) {
            insert = false; // the key existed at the start version: Postgres holds it
        } else if (earlier != null) {
            insert = earlier.insert(); // what matters is whether the key existed at the start version
        }
        upserts.put(key, new Pending(row, timeseries, insert));
    }

    /**
     * Folds in a version's rows, as {@link #upsert} of each in the map's order. The first version's
     * map is taken over as it is (nothing to fold it into): the map then belongs to this object.
     */
    void upsertAll(Map<RowKey, Pending> version) {
        if (upserts.isEmpty() && deletes.isEmpty()) {
            upserts = version;
            return;
        }
        version.forEach((key, p) -> upsert(key, p.row(), p.timeseries(), p.insert()));
    }

    /** Folds in a version's delete of {@code key}. */
    void delete(RowKey key) {
        Pending earlier = upserts.remove(key);
        if (earlier == null || !earlier.insert()) {
            deletes.add(key);
        } // else: inserted and deleted within the range; Postgres never had it
    }

    void markDeleteUnderTimeseriesKey() {
        deletesUnderTimeseriesKey = true;
    }

    void countRead(long rows) {
        rowsRead += rows;
    }

    @Override
    public long insertCount() {
        return upserts.values().stream().filter(Pending::insert).count();
    }

    @Override
    public long updateCount() {
        return upserts.size() - insertCount();
    }

    @Override
    public long deleteCount() {
        return deletes.size();
    }

    @Override
    public Iterable<byte[]> insertRows() {
        return inserts();
    }

    @Override
    public Iterable<byte[]> updateRows() {
        return updates();
    }

    @Override
    public Iterable<byte[]> deleteKeys() {
        return () -> deletes.stream().map(RowKey::bytes).iterator();
    }

    @Override
    public int partitionsFolded() {
        return 1;
    }

    /** Nothing to release: the changes are in memory. */
    @Override
    public void close() {
    }

    /** Binary COPY tuples of the rows whose key is new (see the class comment). */
    public List<byte[]> inserts() {
        List<byte[]> rows = new ArrayList<>();
        upserts.values().forEach(p -> {
            if (p.insert()) {
                rows.add(p.row());
            }
        });
        return rows;
    }

    /** Binary COPY tuples of the rows whose key existed at the start version. */
    public List<byte[]> updates() {
        List<byte[]> rows = new ArrayList<>();
        upserts.values().forEach(p -> {
            if (!p.insert()) {
                rows.add(p.row());
            }
        });
        return rows;
    }

    /** The keys of all rows to write, inserts and updates. */
    public Set<RowKey> upsertKeys() {
        return Collections.unmodifiableSet(upserts.keySet());
    }

    /** Keys to delete, as binary COPY tuples of the key columns. */
    public Collection<RowKey> deletes() {
        return Collections.unmodifiableSet(deletes);
    }

    @Override
    public boolean deletesUnderTimeseriesKey() {
        return deletesUnderTimeseriesKey;
    }

    @Override
    public long rowsRead() {
        return rowsRead;
    }

    @Override
    public long size() {
        return upserts.size() + deletes.size();
    }
}
