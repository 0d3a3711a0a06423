package dev.tideline.core.wire;

import dev.tideline.core.change.ChangeEvent.OldRowKind;
import dev.tideline.core.change.Row;
import java.util.Objects;

/**
 * One row change inside a {@link ChangeBatch.Rows} batch.
 *
 * @param op         insert, update or delete
 * @param ordinal    the change's ordinal within its source transaction (with the batch's commit LSN,
 *                   its {@link dev.tideline.core.OrderingKey})
 * @param oldRowKind what {@code oldRow} holds; {@link OldRowKind#NONE} for inserts and for updates
 *                   that did not send the old row
 * @param oldRow     the old key (other columns null) or the full old row, or {@code null}
 * @param newRow     the new row for inserts and updates (may hold
 *                   {@link dev.tideline.core.value.UnchangedToast#VALUE}), {@code null} for deletes
 */
public record RowChange(Op op, long ordinal, OldRowKind oldRowKind, Row oldRow, Row newRow) {

    /** The operation of a row change. Codes are the low nibble of the row's op byte. */
    public enum Op {
        INSERT(1), UPDATE(2), DELETE(3);

        private final int code;

        Op(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    public RowChange {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(oldRowKind, "oldRowKind");
        if (ordinal < 0) {
            throw new IllegalArgumentException("ordinal must be >= 0, was " + ordinal);
        }
        if ((oldRowKind == OldRowKind.NONE) != (oldRow == null)) {
            throw new IllegalArgumentException("oldRow must be present exactly when oldRowKind is not NONE");
        }
        switch (op) {
            case INSERT -> {
                if (oldRowKind != OldRowKind.NONE || newRow == null) {
                    throw new IllegalArgumentException("an insert has a new row and no old row");
                }
            }
            case UPDATE -> Objects.requireNonNull(newRow, "an update has a new row");
            case DELETE -> {
                if (oldRowKind == OldRowKind.NONE || newRow != null) {
                    throw new IllegalArgumentException("a delete has an old key or row and no new row");
                }
            }
        }
    }

    public static RowChange insert(long ordinal, Row newRow) {
        return new RowChange(Op.INSERT, ordinal, OldRowKind.NONE, null, newRow);
    }

    public static RowChange update(long ordinal, OldRowKind oldRowKind, Row oldRow, Row newRow) {
        return new RowChange(Op.UPDATE, ordinal, oldRowKind, oldRow, newRow);
    }

    public static RowChange delete(long ordinal, OldRowKind oldRowKind, Row oldRow) {
        return new RowChange(Op.DELETE, ordinal, oldRowKind, oldRow, null);
    }
}
