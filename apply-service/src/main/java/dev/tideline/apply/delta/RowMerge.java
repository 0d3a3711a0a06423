package dev.tideline.apply.delta;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The pure part of applying a batch: replays row operations over the table's current rows of the
 * keys they touch and returns the rows that replace them. No I/O; the writer loads the current rows
 * and places the result in files.
 */
final class RowMerge {

    private RowMerge() {
    }

    /** The keys the operations touch (new and old keys of upserts, deleted keys). */
    static Set<RowKey> touchedKeys(List<RowOp> ops) {
        Set<RowKey> keys = new HashSet<>();
        for (RowOp op : ops) {
            if (op.kind() == RowOp.Kind.TRUNCATE) {
                continue;
            }
            keys.add(op.key());
            if (op.baseKey() != null) {
                keys.add(op.baseKey());
            }
        }
        return keys;
    }

    /**
     * The keys whose stored row an SCD1 replay needs: base keys of updates that left TOASTed values
     * out ({@link DeltaRows#KEEP}). Every other replaced row is only deleted, never read.
     */
    static Set<RowKey> keysNeedingStoredValues(List<RowOp> ops) {
        Set<RowKey> keys = new HashSet<>();
        for (RowOp op : ops) {
            if (op.kind() == RowOp.Kind.UPSERT && DeltaRows.hasKeep(op.row())) {
                keys.add(op.baseKey());
            }
        }
        return keys;
    }

    static boolean truncates(List<RowOp> ops) {
        return ops.stream().anyMatch(op -> op.kind() == RowOp.Kind.TRUNCATE);
    }

    /**
     * Whether a stored row takes part in the merge: SCD1 every row, SCD2 only current versions
     * ({@code __END_AT} null); closed history is never changed.
     */
    static boolean isLive(TableLayout layout, Object[] row) {
        return layout.scdType() == ScdType.SCD_TYPE_1 || row[layout.endAtIndex()] == null;
    }

    /**
     * Replays {@code ops} over {@code live}, the table's live rows of (at least) the touched keys —
     * of all keys when the operations truncate.
     *
     * @return every row that replaces those live rows: SCD1 the final row per surviving key; SCD2
     *         the closed versions plus the current version per surviving key
     */
    static List<Object[]> apply(TableLayout layout, List<RowOp> ops, Map<RowKey, Object[]> live) {
        Map<RowKey, Object[]> current = new LinkedHashMap<>(live);
        List<Object[]> closed = new ArrayList<>();
        boolean scd2 = layout.scdType() == ScdType.SCD_TYPE_2;
        for (RowOp op : ops) {
            switch (op.kind()) {
                case TRUNCATE -> {
                    if (scd2) {
                        for (Object[] row : current.values()) {
                            closed.add(close(layout, row, op.commitMicros()));
                        }
                    }
                    current.clear();
                }
                case DELETE -> {
                    Object[] gone = current.remove(op.key());
                    if (scd2 && gone != null && !sameInstant(layout, gone, op)) {
                        closed.add(close(layout, gone, op.commitMicros()));
                    }
                }
                case UPSERT -> {
                    Object[] base = current.remove(op.baseKey());
                    if (!op.baseKey().equals(op.key())) {
                        // A key change onto a key that exists (possible within one transaction with
                        // deferred constraints) replaces that row too.
                        Object[] displaced = current.remove(op.key());
                        if (scd2 && displaced != null) {
                            closed.add(close(layout, displaced, op.commitMicros()));
                        }
                    }
                    Object[] row = DeltaRows.resolve(op.row(), base);
                    if (scd2) {
                        if (base != null && !sameInstant(layout, base, op)) {
                            closed.add(close(layout, base, op.commitMicros()));
                        }
                        row = row.clone();
                        row[layout.startAtIndex()] = op.commitMicros();
                        row[layout.endAtIndex()] = null;
                    }
                    current.put(op.key(), row);
                }
            }
        }
        List<Object[]> out = new ArrayList<>(closed.size() + current.size());
        out.addAll(closed);
        out.addAll(current.values());
        return out;
    }

    /**
     * A version written at the same commit time (an earlier change of the same source transaction)
     * is superseded, not closed: SCD2 keeps one version per key and transaction, as Lakeflow does.
     */
    private static boolean sameInstant(TableLayout layout, Object[] version, RowOp op) {
        return version[layout.startAtIndex()] instanceof Long start && start == op.commitMicros();
    }

    private static Object[] close(TableLayout layout, Object[] row, long endMicros) {
        Object[] c = row.clone();
        c[layout.endAtIndex()] = endMicros;
        return c;
    }
}
