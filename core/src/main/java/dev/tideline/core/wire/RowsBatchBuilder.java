package dev.tideline.core.wire;

import dev.tideline.core.Lsn;
import dev.tideline.core.OrderingKey;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.ChangeEvent.OldRowKind;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.RelationSchema;
import java.time.Instant;
import java.util.Objects;

/**
 * Builds {@link BatchKind#ROWS} messages row by row, encoding each row as it is added so that
 * {@link #encodedSize()} is exact and the publisher can cut batches by bytes. One builder serves one
 * (table, transaction) at a time and is reused across batches; not thread-safe.
 *
 * <p>Publisher loop. Cut lazily, before the next change rather than after a full one, so the
 * builder always holds the table's last rows when the transaction ends and the last message can say
 * so:
 * <pre>{@code
 * builder.start(schema, commitLsn, commitTime, xid, txnSeq = 0);
 * for each change of the table in the transaction:
 *     if (builder.isFull()) {                 // reached targetBytes
 *         publish(builder.finish(false)); builder.start(..., ++txnSeq);
 *     }
 *     if (!builder.add(change)) {             // would exceed maxBytes: cut before it
 *         publish(builder.finish(false)); builder.start(..., ++txnSeq); builder.add(change);
 *     }
 * at commit: publish(builder.finish(true));
 * }</pre>
 * A TRUNCATE of the table inside the transaction takes the next {@code txnSeq}: publish the open
 * batch with {@code finish(false)} first, and hold the TRUNCATE until the next change of the table
 * ({@code lastInTxn = false}) or the commit ({@code lastInTxn = true}).
 *
 * Since cuts depend only on the rows and the {@link BatchLimits}, a re-publish of the same
 * transaction yields the same batches and so the same {@code Nats-Msg-Id}s.
 */
public final class RowsBatchBuilder {

    private final TableBatch tableBatch;

    private Lsn commitLsn;
    private int txnSeq;
    private long firstOrdinal;
    private long lastOrdinal;

    public RowsBatchBuilder(String gatewayId, BatchLimits limits) {
        this.tableBatch = new TableBatch(BatchKind.ROWS, gatewayId, limits);
    }

    /** Starts a batch; anything not finished is discarded. */
    public RowsBatchBuilder start(RelationSchema schema, Lsn commitLsn, Instant commitTime, long xid, int txnSeq) {
        Objects.requireNonNull(commitTime, "commitTime");
        if (txnSeq < 0 || xid < 0) {
            throw new IllegalArgumentException("txnSeq and xid must be >= 0");
        }
        this.commitLsn = Objects.requireNonNull(commitLsn, "commitLsn");
        this.txnSeq = txnSeq;
        this.lastOrdinal = -1;
        WireWriter head = tableBatch.start(schema);
        head.u64(commitLsn.value());
        head.instant(commitTime);
        head.uvarint(xid);
        head.uvarint(txnSeq);
        head.schema(schema);
        return this;
    }

    public boolean insert(long ordinal, Row newRow) {
        return add(RowChange.Op.INSERT, ordinal, OldRowKind.NONE, null, newRow);
    }

    public boolean update(long ordinal, OldRowKind oldRowKind, Row oldRow, Row newRow) {
        return add(RowChange.Op.UPDATE, ordinal, oldRowKind, oldRow, newRow);
    }

    public boolean delete(long ordinal, OldRowKind oldRowKind, Row oldRow) {
        return add(RowChange.Op.DELETE, ordinal, oldRowKind, oldRow, null);
    }

    public boolean add(RowChange change) {
        return add(change.op(), change.ordinal(), change.oldRowKind(), change.oldRow(), change.newRow());
    }

    /**
     * Encodes one change into the batch.
     *
     * @return {@code false}, leaving the batch unchanged, when the batch already holds rows and this
     *         one would take it past {@link BatchLimits#maxBytes()}: finish the batch, start the next
     *         and add the change there
     * @throws TidelineException (NEEDS_OPERATOR) when this change alone exceeds {@code maxBytes};
     *                           (FATAL) when a value has a Java type without a wire encoding
     * @throws IllegalArgumentException when ordinals do not increase or the row does not fit the schema
     */
    public boolean add(RowChange.Op op, long ordinal, OldRowKind oldRowKind, Row oldRow, Row newRow) {
        tableBatch.requireOpen();
        RelationSchema schema = tableBatch.schema();
        if (ordinal <= lastOrdinal) {
            throw new IllegalArgumentException("ordinal " + ordinal + " does not follow " + lastOrdinal + " in " + schema.table());
        }
        tableBatch.requireWidth(oldRow);
        tableBatch.requireWidth(newRow);
        WireWriter rows = tableBatch.rows();
        int mark = rows.size();
        try {
            rows.u8(op.code() | (oldKindCode(oldRowKind) << 4));
            rows.uvarint(lastOrdinal < 0 ? ordinal : ordinal - lastOrdinal);
            if (oldRowKind != OldRowKind.NONE) {
                rows.row(oldRow, schema);
            }
            if (op != RowChange.Op.DELETE) {
                rows.row(newRow, schema);
            }
        } catch (IllegalArgumentException e) {
            rows.truncate(mark);
            throw new TidelineException(TidelineException.Kind.FATAL, "cannot encode change " + new OrderingKey(commitLsn, ordinal)
                    + ": " + e.getMessage(), "this is a bug in the decoder or gateway; report it with the table's definition", e);
        }
        boolean first = tableBatch.rowCount() == 0;
        if (!tableBatch.keepRow(mark, () -> "change " + new OrderingKey(commitLsn, ordinal))) {
            return false;
        }
        if (first) {
            firstOrdinal = ordinal;
        }
        lastOrdinal = ordinal;
        return true;
    }

    public int rowCount() {
        return tableBatch.rowCount();
    }

    public boolean isEmpty() {
        return tableBatch.rowCount() == 0;
    }

    /** The exact body size if the batch were finished now. */
    public int encodedSize() {
        return tableBatch.encodedSize();
    }

    /** Whether the body has reached {@link BatchLimits#targetBytes()}. */
    public boolean isFull() {
        return tableBatch.isFull();
    }

    /**
     * Completes the batch as a message and leaves the builder ready for {@link #start}.
     *
     * @param lastInTxn whether no more messages of this table follow in this transaction
     * @throws IllegalStateException when the batch holds no rows
     */
    public EncodedMessage finish(boolean lastInTxn) {
        EncodedMessage message = tableBatch.finish(lastInTxn ? 1 : 0, headers -> {
            headers.put(WireHeaders.COMMIT_LSN, commitLsn.toString());
            headers.put(WireHeaders.ORDINAL, Long.toString(firstOrdinal));
            headers.put(WireHeaders.LAST_ORDINAL, Long.toString(lastOrdinal));
            headers.put(WireHeaders.TXN_SEQ, Integer.toString(txnSeq));
            headers.put(WireHeaders.TXN_LAST, Boolean.toString(lastInTxn));
        });
        lastOrdinal = -1;
        return message;
    }

    static int oldKindCode(OldRowKind kind) {
        return kind == OldRowKind.NONE ? 0 : kind == OldRowKind.KEY ? 1 : 2;
    }
}
