package dev.tideline.apply.delta;

import dev.tideline.core.OrderingKey;
import dev.tideline.core.TidelineException;
import dev.tideline.core.wire.ChangeBatch;
import dev.tideline.core.wire.RowChange;
import java.time.Instant;
import java.util.List;

/** Turns decoded change batches into {@link RowOp}s of a table layout. */
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
                    Object[] row = converter.toDelta(change.newRow(), where);
                    RowKey key = key(layout, row, where, converter);
                    RowKey base = change.oldRow() == null ? key
                            : key(layout, converter.toDelta(change.oldRow(), where), where, converter);
                    out.add(RowOp.upsert(key, base, row, micros));
                }
                case DELETE -> {
                    Object[] old = converter.toDelta(change.oldRow(), where);
                    out.add(RowOp.delete(key(layout, old, where, converter), micros));
                }
            }
        }
    }

    /** Appends a TRUNCATE. */
    public static void add(ChangeBatch.Truncate truncate, List<RowOp> out) {
        out.add(RowOp.truncate(micros(truncate.commitTime())));
    }

    private static RowKey key(TableLayout layout, Object[] row, OrderingKey where, RowConverter converter) {
        RowKey key = layout.keyOf(row);
        for (int i = 0; i < key.size(); i++) {
            if (key.get(i) == null || key.get(i) == DeltaRows.KEEP) {
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
