package dev.tideline.gateway.snapshot;

import dev.tideline.core.change.ChangeEvent;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.value.UnchangedToast;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Brings the rows of one chunk, read in an MVCC snapshot, forward to the high watermark: applies
 * the changes of the transactions that committed inside the watermark window but were
 * <em>not</em> visible to the read.
 *
 * <p>Only keys the chunk holds are touched: an update replaces the row (keeping values the update
 * left unchanged in TOAST), an update that changes the key or a delete removes it, a TRUNCATE
 * empties the chunk. A key the chunk does not hold is left alone even when a change inserts it —
 * that change is already published before the chunk, and the chunk must not re-assert a key it
 * did not read. Not thread-safe.
 */
final class ChunkOverlay {

    private final RelationSchema schema;
    private final int[] keyColumns;
    private final Collection<Row> read;
    /** The rows by key, built on the first change: most chunks see none, and keying every row costs. */
    private Map<List<Object>, Row> rows;

    ChunkOverlay(RelationSchema schema, Collection<Row> chunkRows) {
        this.schema = schema;
        this.keyColumns = RowKey.keyColumns(schema);
        this.read = chunkRows;
    }

    /** Applies one change of the chunk's table from a transaction the read did not see. */
    void apply(ChangeEvent event) {
        if (rows == null) {
            rows = new LinkedHashMap<>();
            for (Row row : read) {
                rows.put(RowKey.of(row, keyColumns), row);
            }
        }
        if (event instanceof ChangeEvent.Update u) {
            List<Object> newKey = RowKey.of(u.newRow(), keyColumns);
            List<Object> oldKey = u.oldRow() == null ? newKey : RowKey.of(u.oldRow(), keyColumns);
            Row current = rows.get(oldKey);
            if (current == null) {
                return;
            }
            if (!oldKey.equals(newKey)) {
                rows.remove(oldKey);
                return;
            }
            if (compatible(u.relation())) {
                rows.put(newKey, withToast(u.newRow(), current));
            } else {
                // The shape changed inside the window: the chunk's row cannot carry the new shape,
                // and the published update already holds the whole new row.
                rows.remove(oldKey);
            }
        } else if (event instanceof ChangeEvent.Delete d) {
            rows.remove(RowKey.of(d.oldRow(), keyColumns));
        } else if (event instanceof ChangeEvent.Truncate) {
            rows.clear();
        }
        // An insert of a key the chunk holds cannot happen without a delete before it (which removed it).
    }

    private boolean compatible(RelationSchema relation) {
        return relation.columns().equals(schema.columns());
    }

    private static Row withToast(Row newRow, Row current) {
        boolean any = false;
        for (int i = 0; i < newRow.size(); i++) {
            any |= newRow.isUnchangedToast(i);
        }
        if (!any) {
            return newRow;
        }
        Object[] values = new Object[newRow.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = newRow.get(i) == UnchangedToast.VALUE ? current.get(i) : newRow.get(i);
        }
        return Row.wrap(values);
    }

    /** The chunk's rows as of the high watermark, in read order. */
    List<Row> rows() {
        return rows == null ? new ArrayList<>(read) : new ArrayList<>(rows.values());
    }
}
