package dev.tideline.core.wire;

import dev.tideline.core.Lsn;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.Row;
import dev.tideline.core.naming.ResourceIds;
import dev.tideline.core.naming.Subjects;
import dev.tideline.core.schema.RelationSchema;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Builds {@link BatchKind#SNAPSHOT} messages row by row, like {@link RowsBatchBuilder} does for
 * changes: {@link #add} returns {@code false} when the row must go into the next batch,
 * {@link #isFull()} says when to cut. Batch numbers restart at 0 for every chunk. Not thread-safe.
 */
public final class SnapshotBatchBuilder {

    private final String gatewayId;
    private final BatchLimits limits;
    private final BatchBody body;

    private RelationSchema schema;
    private boolean open;
    private String snapshotId;
    private Lsn validAtLsn;
    private int chunk;
    private int batch;
    private String subject;
    private String tableToken;

    public SnapshotBatchBuilder(String gatewayId, BatchLimits limits) {
        this.gatewayId = ResourceIds.requireValid("gateway id", gatewayId);
        this.limits = Objects.requireNonNull(limits, "limits");
        this.body = new BatchBody(Math.min(limits.targetBytes() + 4096, 1 << 20));
    }

    /** Starts a batch; anything not finished is discarded. */
    public SnapshotBatchBuilder start(RelationSchema schema, String snapshotId, Lsn validAtLsn, int chunk, int batch) {
        ResourceIds.requireValid("snapshot id", snapshotId);
        if (chunk < 0 || batch < 0) {
            throw new IllegalArgumentException("chunk and batch must be >= 0");
        }
        if (this.schema != schema) {
            this.subject = Subjects.changes(gatewayId, schema.table());
            this.tableToken = BatchBody.tableToken(schema);
        }
        this.schema = schema;
        this.snapshotId = snapshotId;
        this.validAtLsn = Objects.requireNonNull(validAtLsn, "validAtLsn");
        this.chunk = chunk;
        this.batch = batch;
        open = true;
        body.start(BatchKind.SNAPSHOT);
        WireWriter head = body.head;
        head.u64(validAtLsn.value());
        head.str(snapshotId);
        head.uvarint(chunk);
        head.uvarint(batch);
        head.schema(schema);
        return this;
    }

    /**
     * Encodes one row into the batch.
     *
     * @return {@code false}, leaving the batch unchanged, when the batch holds rows and this one would
     *         take it past {@link BatchLimits#maxBytes()}
     * @throws TidelineException (NEEDS_OPERATOR) when this row alone exceeds {@code maxBytes};
     *                           (FATAL) when a value has a Java type without a wire encoding
     */
    public boolean add(Row row) {
        if (!open) {
            throw new IllegalStateException("start() a batch first");
        }
        if (row.size() != schema.columnCount()) {
            throw new IllegalArgumentException("a row of " + schema.table() + " has " + row.size() + " values but the schema has "
                    + schema.columnCount() + " columns");
        }
        WireWriter rows = body.rows;
        int mark = rows.size();
        try {
            rows.row(row, schema);
        } catch (IllegalArgumentException e) {
            rows.truncate(mark);
            throw new TidelineException(TidelineException.Kind.FATAL, "cannot encode a snapshot row: " + e.getMessage(),
                    "this is a bug in the snapshot reader; report it with the table's definition", e);
        }
        if (body.sizeWith(body.rowCount + 1) > limits.maxBytes()) {
            int rowBytes = rows.size() - mark;
            rows.truncate(mark);
            if (body.rowCount == 0) {
                throw RowsBatchBuilder.tooLarge(schema, "a snapshot row (chunk " + chunk + ")", rowBytes, limits);
            }
            return false;
        }
        body.rowCount++;
        return true;
    }

    public int rowCount() {
        return body.rowCount;
    }

    public boolean isEmpty() {
        return body.rowCount == 0;
    }

    public int encodedSize() {
        return body.size();
    }

    public boolean isFull() {
        return body.size() >= limits.targetBytes();
    }

    /**
     * Completes the batch as a message.
     *
     * @param lastInChunk whether this is the chunk's last batch
     * @throws IllegalStateException when the batch holds no rows
     */
    public EncodedMessage finish(boolean lastInChunk) {
        if (!open || body.rowCount == 0) {
            throw new IllegalStateException("a SNAPSHOT batch needs at least one row");
        }
        byte[] bytes = body.finish(lastInChunk ? 1 : 0);
        Map<String, String> headers = new HashMap<>(16);
        headers.put(WireHeaders.FORMAT, WireCodec.FORMAT_VERSION_TEXT);
        headers.put(WireHeaders.KIND, BatchKind.SNAPSHOT.name());
        headers.put(WireHeaders.TABLE, tableToken);
        headers.put(WireHeaders.SNAPSHOT_ID, snapshotId);
        headers.put(WireHeaders.SNAPSHOT_LSN, validAtLsn.toString());
        headers.put(WireHeaders.CHUNK, Integer.toString(chunk));
        headers.put(WireHeaders.BATCH, Integer.toString(batch));
        headers.put(WireHeaders.CHUNK_LAST, Boolean.toString(lastInChunk));
        headers.put(WireHeaders.ROW_COUNT, Integer.toString(body.rowCount));
        headers.put(WireHeaders.NATS_MSG_ID, WireHeaders.natsMsgId(gatewayId, headers));
        EncodedMessage message = new EncodedMessage(subject, headers, bytes);
        open = false;
        body.rowCount = 0;
        body.rows.reset();
        return message;
    }
}
