package dev.tideline.gateway.snapshot;

import dev.tideline.core.change.ChangeEvent;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.value.UnchangedToast;
import dev.tideline.core.wire.EncodedRows;
import java.util.HashMap;
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
 *
 * <p>The read rows stay encoded: most chunks see no change, and only when one arrives are the rows
 * decoded to find their keys; rows no change touched are copied out as they were read.
 */
final class ChunkOverlay {

    private final EncodedRows read;
    private final RelationSchema schema;
    private final int[] keyColumns;
    /** Row index by key, built on the first change. */
    private Map<List<Object>, Integer> index;
    /** Read rows a change replaced, by row index; {@code null} values are rows removed. */
    private Map<Integer, Row> changed;

    ChunkOverlay(EncodedRows chunkRows) {
        this.read = chunkRows;
        this.schema = chunkRows.schema();
        this.keyColumns = RowKey.keyColumns(schema);
    }

    /** Applies one change of the chunk's table from a transaction the read did not see. */
    void apply(ChangeEvent event) {
        if (index == null) {
            index = new HashMap<>();
            changed = new HashMap<>();
            for (int i = 0; i < read.size(); i++) {
                index.put(RowKey.of(read.row(i), keyColumns), i);
            }
        }
        if (event instanceof ChangeEvent.Update u) {
            List<Object> newKey = RowKey.of(u.newRow(), keyColumns);
            List<Object> oldKey = u.oldRow() == null ? newKey : RowKey.of(u.oldRow(), keyColumns);
            Integer at = index.get(oldKey);
            if (at == null) {
                return;
            }
            if (!oldKey.equals(newKey) || !compatible(u.relation())) {
                // A key change removes the old key; a change of shape cannot be carried by this
                // chunk's rows, and the published update holds the whole new row.
                remove(oldKey, at);
                return;
            }
            Row current = changed.containsKey(at) ? changed.get(at) : read.row(at);
            changed.put(at, withToast(u.newRow(), current));
        } else if (event instanceof ChangeEvent.Delete d) {
            List<Object> key = RowKey.of(d.oldRow(), keyColumns);
            Integer at = index.get(key);
            if (at != null) {
                remove(key, at);
            }
        } else if (event instanceof ChangeEvent.Truncate) {
            for (Integer at : index.values()) {
                changed.put(at, null);
            }
            index.clear();
        }
        // An insert of a key the chunk holds cannot happen without a delete before it (which removed it).
    }

    private void remove(List<Object> key, int at) {
        index.remove(key);
        changed.put(at, null);
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
    EncodedRows rows() {
        if (changed == null || changed.isEmpty()) {
            return read;
        }
        EncodedRows out = new EncodedRows(schema, read.byteSize());
        for (int i = 0; i < read.size(); i++) {
            if (!changed.containsKey(i)) {
                out.addRow(read, i);
            } else if (changed.get(i) != null) {
                out.addRow(changed.get(i));
            }
        }
        return out;
    }
}
