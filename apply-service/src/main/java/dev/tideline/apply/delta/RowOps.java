package dev.tideline.apply.delta;

import dev.tideline.core.OrderingKey;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.ChangeEvent.OldRowKind;
import dev.tideline.core.change.Row;
import dev.tideline.core.wire.ChangeBatch;
import dev.tideline.core.wire.RowChange;
import java.time.Instant;
import java.util.List;

/**
 * Turns decoded change batches into {@link RowOp}s of a table layout. For a keyless table (see
 * {@link TableLayout#keyless()}) an UPDATE becomes the DELETE of its old row and the addition of its
 * new one (unchanged TOAST values taken from the old row), and NULLs are key values like any other.
 */
public final class RowOps {

    private RowOps() {
    }

    /** Appends the operations of a ROWS batch, converted with {@code converter}, to {@code out}. */
    public static void add(ChangeBatch.Rows batch, RowConverter converter, List<RowOp> out) {
        TableLayout layout = converter.layout();
        long micros = micros(batch.commitTime());
        for (RowChange change : batch.changes()) {
            OrderingKey where = new OrderingKey(batch.commitLsn(), change.ordinal());
            switch (change.op()) {
                case INSERT -> {
                    Object[] row = converter.toDelta(change.newRow(), where);
                    RowKey key = key(layout, row, where, converter);
                    out.add(RowOp.upsert(key, key, row, micros));
                }
                case UPDATE -> {
                    if (layout.keyless()) {
                        Object[] old = converter.toDelta(requireOldRow(change, where, converter), where);
                        Object[] row = DeltaRows.resolve(converter.toDelta(change.newRow(), where), old);
                        out.add(RowOp.delete(key(layout, old, where, converter), micros));
                        RowKey key = key(layout, row, where, converter);
                        out.add(RowOp.upsert(key, key, row, micros));
                        continue;
                    }
                    Object[] row = converter.toDelta(change.newRow(), where);
                    RowKey key = key(layout, row, where, converter);
                    RowKey base = change.oldRow() == null ? key
                            : key(layout, converter.toDelta(change.oldRow(), where), where, converter);
                    out.add(RowOp.upsert(key, base, row, micros));
                }
                case DELETE -> {
                    Object[] old = converter.toDelta(layout.keyless() ? requireOldRow(change, where, converter) : change.oldRow(), where);
                    out.add(RowOp.delete(key(layout, old, where, converter), micros));
                }
            }
        }
    }

    /** Appends a TRUNCATE. */
    public static void add(ChangeBatch.Truncate truncate, List<RowOp> out) {
        out.add(RowOp.truncate(micros(truncate.commitTime())));
    }

    /**
     * The old row of an UPDATE or DELETE of a keyless table, which only REPLICA IDENTITY FULL sends: without
     * it the row cannot be found (Postgres refuses such changes when the publication publishes them, so
     * this means the identity was changed behind the pipeline's back).
     */
    private static Row requireOldRow(RowChange change, OrderingKey where, RowConverter converter) {
        if (change.oldRow() == null || change.oldRowKind() != OldRowKind.FULL) {
            throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                    "Table " + converter.relation().table() + " at " + where + ": " + change.op() + " of a table without a primary key "
                            + "carries no full old row (replica identity FULL), so the row cannot be identified",
                    "ALTER TABLE ... REPLICA IDENTITY FULL (or add a primary key); then run a full refresh of this table");
        }
        return change.oldRow();
    }

    private static RowKey key(TableLayout layout, Object[] row, OrderingKey where, RowConverter converter) {
        RowKey key = layout.keyOf(row);
        for (int i = 0; i < key.size(); i++) {
            // A keyless table is identified by all its values, NULLs included (NULL-safe equality).
            if ((key.get(i) == null && !layout.keyless()) || key.get(i) == DeltaRows.KEEP) {
                throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                        "Table " + converter.relation().table() + " at " + where + ": key column '" + layout.keyColumns().get(i)
                                + "' has no value, so the row cannot be identified",
                        "make the key columns part of the replica identity (ALTER TABLE ... REPLICA IDENTITY FULL, or USING INDEX "
                                + "on the key), or fix table_configuration.primary_keys; then run a full refresh");
            }
        }
        return key;
    }

    static long micros(Instant t) {
        return PostgresDeltaTypes.micros(t);
    }
}
