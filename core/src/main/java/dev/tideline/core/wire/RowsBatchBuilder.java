package dev.tideline.core.wire;

import dev.tideline.core.Lsn;
import dev.tideline.core.OrderingKey;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.ChangeEvent.OldRowKind;
import dev.tideline.core.change.Row;
import dev.tideline.core.naming.ResourceIds;
import dev.tideline.core.naming.Subjects;
import dev.tideline.core.schema.RelationSchema;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
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

    private final String gatewayId;
    private final BatchLimits limits;
    private final BatchBody body;

    private RelationSchema schema;
    private boolean open;
    private Lsn commitLsn;
    private int txnSeq;
    private long firstOrdinal;
    private long lastOrdinal;
    private String subject;
    private String tableToken;

    public RowsBatchBuilder(String gatewayId, BatchLimits limits) {
        this.gatewayId = ResourceIds.requireValid("gateway id", gatewayId);
        this.limits = Objects.requireNonNull(limits, "limits");
        this.body = new BatchBody(Math.min(limits.targetBytes() + 4096, 1 << 20));
    }

    /** Starts a batch; anything not finished is discarded. */
    public RowsBatchBuilder start(RelationSchema schema, Lsn commitLsn, Instant commitTime, long xid, int txnSeq) {
        Objects.requireNonNull(commitTime, "commitTime");
        if (txnSeq < 0 || xid < 0) {
            throw new IllegalArgumentException("txnSeq and xid must be >= 0");
        }
        if (this.schema != schema) {
            this.subject = Subjects.changes(gatewayId, schema.table());
            this.tableToken = BatchBody.tableToken(schema);
        }
        this.schema = schema;
        this.commitLsn = Objects.requireNonNull(commitLsn, "commitLsn");
        this.txnSeq = txnSeq;
        this.lastOrdinal = -1;
        open = true;
        body.start(BatchKind.ROWS);
        WireWriter head = body.head;
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
        if (!open) {
            throw new IllegalStateException("start() a batch first");
        }
        if (ordinal <= lastOrdinal) {
            throw new IllegalArgumentException("ordinal " + ordinal + " does not follow " + lastOrdinal + " in " + schema.table());
        }
        requireWidth(oldRow);
        requireWidth(newRow);
        WireWriter rows = body.rows;
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
        if (body.sizeWith(body.rowCount + 1) > limits.maxBytes()) {
            int rowBytes = rows.size() - mark;
            rows.truncate(mark);
            if (body.rowCount == 0) {
                throw tooLarge(schema, "change " + new OrderingKey(commitLsn, ordinal), rowBytes, limits);
            }
            return false;
        }
        if (body.rowCount == 0) {
            firstOrdinal = ordinal;
        }
        body.rowCount++;
        lastOrdinal = ordinal;
        return true;
    }

    public int rowCount() {
        return body.rowCount;
    }

    public boolean isEmpty() {
        return body.rowCount == 0;
    }

    /** The exact body size if the batch were finished now. */
    public int encodedSize() {
        return body.size();
    }

    /** Whether the body has reached {@link BatchLimits#targetBytes()}. */
    public boolean isFull() {
        return body.size() >= limits.targetBytes();
    }

    /**
     * Completes the batch as a message and leaves the builder ready for {@link #start}.
     *
     * @param lastInTxn whether no more messages of this table follow in this transaction
     * @throws IllegalStateException when the batch holds no rows
     */
    public EncodedMessage finish(boolean lastInTxn) {
        if (!open || body.rowCount == 0) {
            throw new IllegalStateException("a ROWS batch needs at least one row");
        }
        byte[] bytes = body.finish(lastInTxn ? 1 : 0);
        Map<String, String> headers = new HashMap<>(16);
        headers.put(WireHeaders.FORMAT, WireCodec.FORMAT_VERSION_TEXT);
        headers.put(WireHeaders.KIND, BatchKind.ROWS.name());
        headers.put(WireHeaders.TABLE, tableToken);
        headers.put(WireHeaders.COMMIT_LSN, commitLsn.toString());
        headers.put(WireHeaders.ORDINAL, Long.toString(firstOrdinal));
        headers.put(WireHeaders.LAST_ORDINAL, Long.toString(lastOrdinal));
        headers.put(WireHeaders.TXN_SEQ, Integer.toString(txnSeq));
        headers.put(WireHeaders.TXN_LAST, Boolean.toString(lastInTxn));
        headers.put(WireHeaders.ROW_COUNT, Integer.toString(body.rowCount));
        headers.put(WireHeaders.NATS_MSG_ID, WireHeaders.natsMsgId(gatewayId, headers));
        EncodedMessage message = new EncodedMessage(subject, headers, bytes);
        open = false;
        body.rowCount = 0;
        body.rows.reset();
        lastOrdinal = -1;
        return message;
    }

    private void requireWidth(Row row) {
        if (row != null && row.size() != schema.columnCount()) {
            throw new IllegalArgumentException("a row of " + schema.table() + " has " + row.size() + " values but the schema has "
                    + schema.columnCount() + " columns");
        }
    }

    static int oldKindCode(OldRowKind kind) {
        return kind == OldRowKind.NONE ? 0 : kind == OldRowKind.KEY ? 1 : 2;
    }

    static TidelineException tooLarge(RelationSchema schema, String what, int bytes, BatchLimits limits) {
        return new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                what + " of table " + schema.table() + " encodes to about " + bytes + " bytes, more than the largest message body allowed ("
                        + limits.maxBytes() + " bytes)",
                "raise the NATS server's max_payload (up to 64 MB) and the gateway's maximum message size to match, "
                        + "or remove the oversized column from the publication");
    }
}
