package dev.tideline.core.wire;

import dev.tideline.core.TidelineException;
import dev.tideline.core.change.Row;
import dev.tideline.core.naming.ResourceIds;
import dev.tideline.core.naming.Subjects;
import dev.tideline.core.schema.RelationSchema;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The part of a batch of one table's rows that {@link RowsBatchBuilder} and
 * {@link SnapshotBatchBuilder} build alike: the table's subject and token, the {@link BatchBody},
 * the {@link BatchLimits} that decide what fits and when the batch is full, and the headers every
 * batch carries. The builders write their kind's head fields and rows and add their kind's headers.
 * Reused from batch to batch; not thread-safe.
 */
final class TableBatch {

    private final BatchKind kind;
    private final String gatewayId;
    private final BatchLimits limits;
    private final BatchBody body;

    private RelationSchema schema;
    private boolean open;
    private String subject;
    private String tableToken;

    TableBatch(BatchKind kind, String gatewayId, BatchLimits limits) {
        this.kind = kind;
        this.gatewayId = ResourceIds.requireValid("gateway id", gatewayId);
        this.limits = Objects.requireNonNull(limits, "limits");
        this.body = new BatchBody(Math.min(limits.targetBytes() + 4096, 1 << 20));
    }

    /**
     * Starts a batch for this table, discarding anything not finished.
     *
     * @return the head, for the kind's fields
     */
    WireWriter start(RelationSchema schema) {
        if (this.schema != schema) {
            this.subject = Subjects.changes(gatewayId, schema.table());
            this.tableToken = BatchBody.tableToken(schema);
        }
        this.schema = schema;
        open = true;
        body.start(kind);
        return body.head;
    }

    RelationSchema schema() {
        return schema;
    }

    void requireOpen() {
        if (!open) {
            throw new IllegalStateException("start() a batch first");
        }
    }

    /** Rejects a row (null passes) whose number of values is not the schema's number of columns. */
    void requireWidth(Row row) {
        if (row != null && row.size() != schema.columnCount()) {
            throw new IllegalArgumentException("a row of " + schema.table() + " has " + row.size() + " values but the schema has "
                    + schema.columnCount() + " columns");
        }
    }

    /** Where the builders encode rows; a row starts at {@link WireWriter#size()}. */
    WireWriter rows() {
        return body.rows;
    }

    /**
     * Counts the row encoded into {@link #rows()} from {@code mark} on, if the body still fits
     * {@link BatchLimits#maxBytes()} with it; otherwise takes it back out.
     *
     * @param what names the row for the error, e.g. {@code "change 0/16B3748:3"}
     * @return {@code false} when the row does not fit but the batch holds others
     * @throws TidelineException (NEEDS_OPERATOR) when the row does not fit even alone
     */
    boolean keepRow(int mark, Supplier<String> what) {
        WireWriter rows = body.rows;
        if (body.sizeWith(body.rowCount + 1) > limits.maxBytes()) {
            int rowBytes = rows.size() - mark;
            rows.truncate(mark);
            if (body.rowCount == 0) {
                throw tooLarge(schema, what.get(), rowBytes, limits);
            }
            return false;
        }
        body.rowCount++;
        return true;
    }

    int rowCount() {
        return body.rowCount;
    }

    /** Marks the body as holding pg-binary values (format 2). */
    void usesPgBinary() {
        body.pgBinary = true;
    }

    int encodedSize() {
        return body.size();
    }

    boolean isFull() {
        return body.size() >= limits.targetBytes();
    }

    /**
     * Completes the batch as a message, its headers those of every batch plus the kind's, and leaves
     * the batch ready for {@link #start}.
     *
     * @param flags the body's flags byte
     * @param kindHeaders adds the kind's headers
     * @throws IllegalStateException when the batch holds no rows
     */
    EncodedMessage finish(int flags, Consumer<Map<String, String>> kindHeaders) {
        if (!open || body.rowCount == 0) {
            throw new IllegalStateException("a " + kind.name() + " batch needs at least one row");
        }
        byte[] bytes = body.finish(flags);
        Map<String, String> headers = new HashMap<>(16);
        headers.put(WireHeaders.FORMAT, body.pgBinary ? WireCodec.FORMAT_VERSION_TEXT : WireCodec.BASE_VERSION_TEXT);
        headers.put(WireHeaders.KIND, kind.name());
        headers.put(WireHeaders.TABLE, tableToken);
        kindHeaders.accept(headers);
        headers.put(WireHeaders.ROW_COUNT, Integer.toString(body.rowCount));
        headers.put(WireHeaders.NATS_MSG_ID, WireHeaders.natsMsgId(gatewayId, headers));
        EncodedMessage message = new EncodedMessage(subject, headers, bytes);
        open = false;
        body.rowCount = 0;
        body.rows.reset();
        return message;
    }

    private static TidelineException tooLarge(RelationSchema schema, String what, int bytes, BatchLimits limits) {
        return new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                what + " of table " + schema.table() + " encodes to about " + bytes + " bytes, more than the largest message body allowed ("
                        + limits.maxBytes() + " bytes)",
                "raise the NATS server's max_payload (up to 64 MB; the gateway sizes its messages to it when it connects), "
                        + "or remove the oversized column from the publication");
    }
}
