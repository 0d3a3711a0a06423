package dev.tideline.core.wire;

import dev.tideline.core.Lsn;
import dev.tideline.core.OrderingKey;
import dev.tideline.core.TableId;
import dev.tideline.core.change.Row;
import dev.tideline.core.naming.ResourceIds;
import dev.tideline.core.schema.RelationSchema;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The content of one message on a gateway's JetStream stream, decoded ({@link WireCodec}). Each
 * message is about one table (except {@link Message}) and is self-describing: batches that carry
 * rows also carry the table's {@link RelationSchema}, so a consumer needs no other state.
 *
 * <p><b>Transactions.</b> The changes of one table in one source transaction are published as
 * {@link Rows} and {@link Truncate} messages numbered {@code txnSeq = 0, 1, 2, …} in order; the last
 * one has {@code lastInTxn = true}. A consumer may apply that table's part of the transaction once
 * it has seen the message with {@code lastInTxn}; never earlier.
 *
 * <p><b>Snapshots.</b> A table's snapshot is {@link SnapshotBegin}, any number of {@link Snapshot}
 * batches (chunks may interleave), then {@link SnapshotDone} with the total row count. Its rows are
 * the table as of {@code validAtLsn}: streamed changes with a commit LSN at or below it are already
 * in the snapshot.
 */
public sealed interface ChangeBatch {

    BatchKind kind();

    /** The source table this message is about, or {@code null} for a {@link Message}. */
    TableId table();

    /**
     * Row changes of one table from one committed source transaction.
     *
     * @param commitLsn  LSN of the transaction's commit record
     * @param commitTime commit timestamp of the transaction
     * @param xid        the source transaction id (informational)
     * @param txnSeq     0-based number of this message among the table's messages of this transaction
     * @param lastInTxn  whether this is the table's last message of the transaction
     * @param schema     the table's shape the rows are aligned with
     * @param changes    at least one change, ordinals strictly increasing
     */
    record Rows(Lsn commitLsn, Instant commitTime, long xid, int txnSeq, boolean lastInTxn, RelationSchema schema,
                List<RowChange> changes) implements ChangeBatch {
        public Rows {
            Objects.requireNonNull(commitLsn, "commitLsn");
            Objects.requireNonNull(commitTime, "commitTime");
            Objects.requireNonNull(schema, "schema");
            requireNonNegative(txnSeq, "txnSeq");
            changes = List.copyOf(changes);
            if (changes.isEmpty()) {
                throw new IllegalArgumentException("a ROWS batch holds at least one change");
            }
            long previous = -1;
            for (RowChange change : changes) {
                if (change.ordinal() <= previous) {
                    throw new IllegalArgumentException("ordinals must strictly increase within a batch: " + change.ordinal()
                            + " after " + previous);
                }
                previous = change.ordinal();
                requireWidth(change.oldRow(), schema);
                requireWidth(change.newRow(), schema);
            }
        }

        @Override
        public BatchKind kind() {
            return BatchKind.ROWS;
        }

        @Override
        public TableId table() {
            return schema.table();
        }

        public OrderingKey firstKey() {
            return new OrderingKey(commitLsn, changes.get(0).ordinal());
        }

        public OrderingKey lastKey() {
            return new OrderingKey(commitLsn, changes.get(changes.size() - 1).ordinal());
        }
    }

    /**
     * Rows of a table's snapshot.
     *
     * @param snapshotId  identifies one snapshot run of the table ({@link ResourceIds} rules)
     * @param validAtLsn  the rows are the table's content as of this LSN
     * @param chunk       0-based chunk (key or block range) the rows come from
     * @param batch       0-based batch number within the chunk
     * @param lastInChunk whether this is the chunk's last batch
     * @param rows        at least one row, aligned with {@code schema}
     */
    record Snapshot(String snapshotId, Lsn validAtLsn, int chunk, int batch, boolean lastInChunk, RelationSchema schema,
                    List<Row> rows) implements ChangeBatch {
        public Snapshot {
            ResourceIds.requireValid("snapshot id", snapshotId);
            Objects.requireNonNull(validAtLsn, "validAtLsn");
            Objects.requireNonNull(schema, "schema");
            requireNonNegative(chunk, "chunk");
            requireNonNegative(batch, "batch");
            rows = List.copyOf(rows);
            if (rows.isEmpty()) {
                throw new IllegalArgumentException("a SNAPSHOT batch holds at least one row");
            }
            for (Row row : rows) {
                requireWidth(row, schema);
            }
        }

        @Override
        public BatchKind kind() {
            return BatchKind.SNAPSHOT;
        }

        @Override
        public TableId table() {
            return schema.table();
        }
    }

    /** A snapshot of a table starts; its batches follow, then {@link SnapshotDone}. */
    record SnapshotBegin(String snapshotId, Lsn validAtLsn, RelationSchema schema) implements ChangeBatch {
        public SnapshotBegin {
            ResourceIds.requireValid("snapshot id", snapshotId);
            Objects.requireNonNull(validAtLsn, "validAtLsn");
            Objects.requireNonNull(schema, "schema");
        }

        @Override
        public BatchKind kind() {
            return BatchKind.SNAPSHOT_BEGIN;
        }

        @Override
        public TableId table() {
            return schema.table();
        }
    }

    /**
     * A snapshot of a table is complete.
     *
     * @param rowCount   rows in all of its {@link Snapshot} batches
     * @param chunkCount chunks it was read in
     */
    record SnapshotDone(String snapshotId, Lsn validAtLsn, TableId table, long rowCount, int chunkCount) implements ChangeBatch {
        public SnapshotDone {
            ResourceIds.requireValid("snapshot id", snapshotId);
            Objects.requireNonNull(validAtLsn, "validAtLsn");
            Objects.requireNonNull(table, "table");
            requireNonNegative(rowCount, "rowCount");
            requireNonNegative(chunkCount, "chunkCount");
        }

        @Override
        public BatchKind kind() {
            return BatchKind.SNAPSHOT_DONE;
        }
    }

    /**
     * A table's new shape. Informational: every batch carries the schema its rows follow.
     *
     * @param commitLsn commit LSN of the transaction in which the shape was first used
     * @param ordinal   ordinal of the first change that uses it
     */
    record Schema(Lsn commitLsn, long ordinal, RelationSchema schema) implements ChangeBatch {
        public Schema {
            Objects.requireNonNull(commitLsn, "commitLsn");
            Objects.requireNonNull(schema, "schema");
            requireNonNegative(ordinal, "ordinal");
        }

        @Override
        public BatchKind kind() {
            return BatchKind.SCHEMA;
        }

        @Override
        public TableId table() {
            return schema.table();
        }
    }

    /**
     * A {@code TRUNCATE} of one table inside a source transaction; part of the table's message
     * sequence in that transaction ({@code txnSeq}, {@code lastInTxn} as for {@link Rows}). A
     * statement truncating several tables becomes one message per table, all with the same ordinal.
     */
    record Truncate(Lsn commitLsn, Instant commitTime, long xid, int txnSeq, boolean lastInTxn, long ordinal, int relationOid,
                    TableId table, boolean cascade, boolean restartIdentity) implements ChangeBatch {
        public Truncate {
            Objects.requireNonNull(commitLsn, "commitLsn");
            Objects.requireNonNull(commitTime, "commitTime");
            Objects.requireNonNull(table, "table");
            requireNonNegative(txnSeq, "txnSeq");
            requireNonNegative(ordinal, "ordinal");
        }

        @Override
        public BatchKind kind() {
            return BatchKind.TRUNCATE;
        }

        public OrderingKey key() {
            return new OrderingKey(commitLsn, ordinal);
        }
    }

    /**
     * A logical decoding message.
     *
     * @param transactional whether it was emitted inside a transaction (and so is only published if it committed)
     * @param commitLsn     the transaction's commit LSN; for a non-transactional message, {@code messageLsn}
     * @param ordinal       its ordinal within the transaction; 0 for a non-transactional message
     * @param messageLsn    the LSN of the message record itself
     * @param xid           the transaction id, 0 when non-transactional
     */
    record Message(boolean transactional, Lsn commitLsn, long ordinal, Lsn messageLsn, long xid, String prefix,
                   byte[] content) implements ChangeBatch {
        public Message {
            Objects.requireNonNull(commitLsn, "commitLsn");
            Objects.requireNonNull(messageLsn, "messageLsn");
            Objects.requireNonNull(prefix, "prefix");
            Objects.requireNonNull(content, "content");
            requireNonNegative(ordinal, "ordinal");
        }

        @Override
        public BatchKind kind() {
            return BatchKind.MESSAGE;
        }

        @Override
        public TableId table() {
            return null;
        }

        public OrderingKey key() {
            return new OrderingKey(commitLsn, ordinal);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Message m && transactional == m.transactional && commitLsn.equals(m.commitLsn)
                    && ordinal == m.ordinal && messageLsn.equals(m.messageLsn) && xid == m.xid && prefix.equals(m.prefix)
                    && Arrays.equals(content, m.content);
        }

        @Override
        public int hashCode() {
            return Objects.hash(transactional, commitLsn, ordinal, messageLsn, xid, prefix) * 31 + Arrays.hashCode(content);
        }

        @Override
        public String toString() {
            return "Message[transactional=" + transactional + ", key=" + key() + ", prefix=" + prefix + ", " + content.length + " bytes]";
        }
    }

    private static void requireNonNegative(long value, String what) {
        if (value < 0) {
            throw new IllegalArgumentException(what + " must be >= 0, was " + value);
        }
    }

    private static void requireWidth(Row row, RelationSchema schema) {
        if (row != null && row.size() != schema.columnCount()) {
            throw new IllegalArgumentException("a row of " + schema.table() + " has " + row.size() + " values but the table has "
                    + schema.columnCount() + " columns");
        }
    }
}
