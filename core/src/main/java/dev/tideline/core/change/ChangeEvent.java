package dev.tideline.core.change;

import dev.tideline.core.Lsn;
import dev.tideline.core.schema.RelationSchema;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One message of a logical replication stream, decoded. A committed transaction arrives as
 * {@link Begin}, any number of {@link Relation}, {@link TypeDefinition}, {@link Insert},
 * {@link Update}, {@link Delete}, {@link Truncate} and {@link LogicalMessage}, then {@link Commit}.
 *
 * <p>With protocol version 2 and streaming on, a large in-progress transaction arrives in segments
 * between {@link StreamStart} and {@link StreamStop}, its data events carrying the transaction id
 * ({@code xid} &gt; 0), and ends with {@link StreamCommit} or {@link StreamAbort}. Such data is not
 * committed yet: consumers must buffer it and publish nothing before the StreamCommit.
 * Outside streams, {@code xid} is 0 on data events.
 */
public sealed interface ChangeEvent {

    /** Start of a committed transaction; {@code finalLsn} is the LSN of its commit record. */
    record Begin(Lsn finalLsn, Instant commitTime, long xid) implements ChangeEvent {
    }

    /**
     * End of a transaction.
     *
     * @param commitLsn LSN of the commit record (equals the Begin's finalLsn)
     * @param endLsn    LSN just past the commit record: the position to confirm to the slot
     */
    record Commit(int flags, Lsn commitLsn, Lsn endLsn, Instant commitTime) implements ChangeEvent {
    }

    /** The (new) shape of a table; sent before the first change of the table and after each schema change. */
    record Relation(long xid, RelationSchema schema) implements ChangeEvent {
    }

    /** Name of a non-built-in type used by a following Relation (e.g. an enum or a domain). */
    record TypeDefinition(long xid, int typeOid, String namespace, String name) implements ChangeEvent {
    }

    /** The transaction came from another node (replication origin). */
    record Origin(Lsn originCommitLsn, String name) implements ChangeEvent {
    }

    record Insert(long xid, RelationSchema relation, Row newRow) implements ChangeEvent {
        public Insert {
            Objects.requireNonNull(relation, "relation");
            Objects.requireNonNull(newRow, "newRow");
        }
    }

    /**
     * @param oldRow     the old row when the key changed or the replica identity is FULL, else {@code null}
     * @param oldRowKind what {@code oldRow} holds
     * @param newRow     the new row; columns may be {@link dev.tideline.core.value.UnchangedToast}
     */
    record Update(long xid, RelationSchema relation, OldRowKind oldRowKind, Row oldRow, Row newRow) implements ChangeEvent {
        public Update {
            Objects.requireNonNull(relation, "relation");
            Objects.requireNonNull(oldRowKind, "oldRowKind");
            Objects.requireNonNull(newRow, "newRow");
            if ((oldRowKind == OldRowKind.NONE) != (oldRow == null)) {
                throw new IllegalArgumentException("oldRow must be present exactly when oldRowKind is not NONE");
            }
        }
    }

    /**
     * @param oldRow the key columns (others null) for {@link OldRowKind#KEY}, or the full old row
     */
    record Delete(long xid, RelationSchema relation, OldRowKind oldRowKind, Row oldRow) implements ChangeEvent {
        public Delete {
            Objects.requireNonNull(relation, "relation");
            Objects.requireNonNull(oldRow, "oldRow");
            if (oldRowKind == OldRowKind.NONE) {
                throw new IllegalArgumentException("a delete always carries the old key or row");
            }
        }
    }

    record Truncate(long xid, List<RelationSchema> relations, boolean cascade, boolean restartIdentity) implements ChangeEvent {
        public Truncate {
            relations = List.copyOf(relations);
        }
    }

    /**
     * A message written with {@code pg_logical_emit_message}. Transactional messages arrive inside
     * their transaction; non-transactional ones immediately, outside any Begin/Commit.
     */
    record LogicalMessage(long xid, boolean transactional, Lsn lsn, String prefix, byte[] content) implements ChangeEvent {
    }

    /** Protocol 2: a segment of an in-progress transaction starts. */
    record StreamStart(long xid, boolean firstSegment) implements ChangeEvent {
    }

    /** Protocol 2: the current segment ends. */
    record StreamStop() implements ChangeEvent {
    }

    /** Protocol 2: the streamed transaction committed; what was buffered for it may be published. */
    record StreamCommit(long xid, int flags, Lsn commitLsn, Lsn endLsn, Instant commitTime) implements ChangeEvent {
    }

    /** Protocol 2: the streamed (sub)transaction aborted; drop what was buffered for {@code subXid}. */
    record StreamAbort(long xid, long subXid) implements ChangeEvent {
    }

    /** What the old-row part of an update or delete holds. */
    enum OldRowKind {
        /** No old row was sent (update of a non-key column under the default replica identity). */
        NONE,
        /** Only the replica-identity (key) columns; the other values are null. pgoutput tag 'K'. */
        KEY,
        /** The whole old row (replica identity FULL). pgoutput tag 'O'. */
        FULL
    }
}
