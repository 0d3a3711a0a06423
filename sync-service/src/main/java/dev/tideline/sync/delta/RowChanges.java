package dev.tideline.sync.delta;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The net row changes of a Delta table between two versions, by primary key: the rows to upsert
 * (as COPY text lines of all columns) and the keys to delete (as COPY text lines of the key
 * columns). A key is in at most one of the two. Built by {@link DeltaChangeReader}; not thread-safe.
 */
public final class RowChanges {

    private final Map<String, Pending> upserts = new LinkedHashMap<>();
    private final Set<String> deletes = new LinkedHashSet<>();
    private boolean deletesUnderTimeseriesKey;
    private long rowsRead;

    /** One row to upsert, with its timeseries key value (or {@code null}). */
    record Pending(String line, @SuppressWarnings("rawtypes") Comparable timeseries) {
    }

    void upsert(String key, String line, @SuppressWarnings("rawtypes") Comparable timeseries) {
        deletes.remove(key);
        upserts.put(key, new Pending(line, timeseries));
    }

    void delete(String key) {
        upserts.remove(key);
        deletes.add(key);
    }

    void markDeleteUnderTimeseriesKey() {
        deletesUnderTimeseriesKey = true;
    }

    void countRead(long rows) {
        rowsRead += rows;
    }

    /** Key text → full COPY line of each row to insert or update. */
    public Map<String, String> upserts() {
        Map<String, String> lines = new LinkedHashMap<>();
        upserts.forEach((k, p) -> lines.put(k, p.line()));
        return Collections.unmodifiableMap(lines);
    }

    /** COPY lines of the primary keys to delete. */
    public Set<String> deletes() {
        return Collections.unmodifiableSet(deletes);
    }

    /**
     * Whether a row was deleted from a table with a timeseries key: then the surviving latest row of
     * that key may live in a file the change did not touch, so only a snapshot is exact.
     */
    public boolean deletesUnderTimeseriesKey() {
        return deletesUnderTimeseriesKey;
    }

    /** Rows read from Delta to compute the changes. */
    public long rowsRead() {
        return rowsRead;
    }

    /** Rows the target will see change: upserts plus deletes. */
    public long size() {
        return upserts.size() + deletes.size();
    }
}
