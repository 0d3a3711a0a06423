package dev.tideline.apply.delta;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pure part of applying a batch to a keyless table (see {@link TableLayout#keyless()}): a row is
 * identified by all its values, NULLs equal to NULLs, and the table is a multiset — two identical rows
 * are two rows, and a DELETE removes one of them, not both, as in the source.
 *
 * <p>Multiset changes commute, so a batch reduces to a net count per distinct row: each
 * {@link RowOp.Kind#UPSERT} adds one occurrence ({@link RowOps} turns an UPDATE into the DELETE of its
 * old row and the addition of its new one), each {@link RowOp.Kind#DELETE} removes one, a TRUNCATE
 * removes every row stored and every one added before it. No I/O; the writer finds the occurrences
 * to remove in the table's files.
 *
 * @param truncates whether every row stored before the batch goes
 * @param removals  how many stored occurrences of each row to remove (none when {@code truncates})
 * @param additions the rows to append, one array per occurrence
 */
record RowMultiset(boolean truncates, Map<RowKey, Integer> removals, List<Object[]> additions) {

    /** The net effect of {@code ops} (in source order) on a keyless table. */
    static RowMultiset of(List<RowOp> ops) {
        Map<RowKey, Integer> net = new LinkedHashMap<>();
        Map<RowKey, Object[]> rows = new LinkedHashMap<>();
        boolean truncates = false;
        for (RowOp op : ops) {
            switch (op.kind()) {
                case TRUNCATE -> {
                    truncates = true;
                    net.clear();
                    rows.clear();
                }
                case UPSERT -> {
                    net.merge(op.key(), 1, Integer::sum);
                    rows.putIfAbsent(op.key(), op.row());
                }
                case DELETE -> net.merge(op.key(), -1, Integer::sum);
            }
        }
        Map<RowKey, Integer> removals = new LinkedHashMap<>();
        List<Object[]> additions = new ArrayList<>();
        for (Map.Entry<RowKey, Integer> e : net.entrySet()) {
            int n = e.getValue();
            if (n < 0 && !truncates) {
                // After a TRUNCATE nothing stored is left to delete: more deletes than additions since
                // then cannot happen in a consistent stream, and there is nothing they could remove.
                removals.put(e.getKey(), -n);
            }
            for (int i = 0; i < n; i++) {
                additions.add(rows.get(e.getKey()));
            }
        }
        return new RowMultiset(truncates, removals, additions);
    }
}
