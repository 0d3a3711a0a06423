package dev.tideline.core.wire;

import dev.tideline.core.Lsn;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.Row;
import dev.tideline.core.naming.ResourceIds;
import dev.tideline.core.schema.RelationSchema;
import java.util.Objects;

/**
 * Builds {@link BatchKind#SNAPSHOT} messages row by row, like {@link RowsBatchBuilder} does for
 * changes: {@link #add} returns {@code false} when the row must go into the next batch,
 * {@link #isFull()} says when to cut. Batch numbers restart at 0 for every chunk. Not thread-safe.
 */
public final class SnapshotBatchBuilder {

    private final TableBatch tableBatch;

    private String snapshotId;
    private Lsn validAtLsn;
    private int chunk;
    private int batch;

    public SnapshotBatchBuilder(String gatewayId, BatchLimits limits) {
        this.tableBatch = new TableBatch(BatchKind.SNAPSHOT, gatewayId, limits);
    }

    /** Starts a batch; anything not finished is discarded. */
    public SnapshotBatchBuilder start(RelationSchema schema, String snapshotId, Lsn validAtLsn, int chunk, int batch) {
        ResourceIds.requireValid("snapshot id", snapshotId);
        if (chunk < 0 || batch < 0) {
            throw new IllegalArgumentException("chunk and batch must be >= 0");
        }
        this.snapshotId = snapshotId;
        this.validAtLsn = Objects.requireNonNull(validAtLsn, "validAtLsn");
        this.chunk = chunk;
        this.batch = batch;
        WireWriter head = tableBatch.start(schema);
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
        tableBatch.requireOpen();
        tableBatch.requireWidth(Objects.requireNonNull(row, "row"));
        WireWriter rows = tableBatch.rows();
        int mark = rows.size();
        try {
            rows.row(row, tableBatch.schema());
        } catch (IllegalArgumentException e) {
            rows.truncate(mark);
            throw new TidelineException(TidelineException.Kind.FATAL, "cannot encode a snapshot row: " + e.getMessage(),
                    "this is a bug in the snapshot reader; report it with the table's definition", e);
        }
        return tableBatch.keepRow(mark, () -> "a snapshot row (chunk " + chunk + ")");
    }

    /**
     * Copies row {@code index} of already encoded rows into the batch; no value is decoded or
     * re-encoded. The rows must have the batch's columns.
     *
     * @return {@code false}, leaving the batch unchanged, when the batch holds rows and this one would
     *         take it past {@link BatchLimits#maxBytes()}
     * @throws TidelineException (NEEDS_OPERATOR) when this row alone exceeds {@code maxBytes}
     * @throws IllegalArgumentException when the rows have other columns than the batch's schema
     */
    public boolean add(EncodedRows rows, int index) {
        tableBatch.requireOpen();
        if (rows.schema() != tableBatch.schema() && !rows.schema().columns().equals(tableBatch.schema().columns())) {
            throw new IllegalArgumentException("encoded rows of " + rows.schema().table() + " have other columns than the batch's schema");
        }
        WireWriter out = tableBatch.rows();
        int mark = out.size();
        int start = rows.start(index);
        out.raw(rows.buffer(), start, rows.end(index) - start);
        if (!tableBatch.keepRow(mark, () -> "a snapshot row (chunk " + chunk + ")")) {
            return false;
        }
        if (rows.pgBinary()) {
            tableBatch.usesPgBinary();
        }
        return true;
    }

    public int rowCount() {
        return tableBatch.rowCount();
    }

    public boolean isEmpty() {
        return tableBatch.rowCount() == 0;
    }

    public int encodedSize() {
        return tableBatch.encodedSize();
    }

    public boolean isFull() {
        return tableBatch.isFull();
    }

    /**
     * Completes the batch as a message.
     *
     * @param lastInChunk whether this is the chunk's last batch
     * @throws IllegalStateException when the batch holds no rows
     */
    public EncodedMessage finish(boolean lastInChunk) {
        return tableBatch.finish(lastInChunk ? 1 : 0, headers -> {
            headers.put(WireHeaders.SNAPSHOT_ID, snapshotId);
            headers.put(WireHeaders.SNAPSHOT_LSN, validAtLsn.toString());
            headers.put(WireHeaders.CHUNK, Integer.toString(chunk));
            headers.put(WireHeaders.BATCH, Integer.toString(batch));
            headers.put(WireHeaders.CHUNK_LAST, Boolean.toString(lastInChunk));
        });
    }
}
