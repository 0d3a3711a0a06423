package dev.tideline.core.sink;

import dev.tideline.core.Lsn;
import dev.tideline.core.TidelineException;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.wire.ChangeBatch;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Where the exactly-once applier writes one source table: the port between the applier's stream
 * bookkeeping (transactions, acknowledgements, snapshots, FAILED) and a storage format (a Delta table,
 * or memory in tests). The sink turns change batches into its own rows itself — it evolves its layout
 * to each batch's {@link RelationSchema} and converts the values — so the caller deals in
 * {@link ChangeBatch}es only.
 *
 * <p><b>Ordering.</b> The caller hands over the changes of complete source transactions in source
 * commit order, each transaction's batches in {@code txnSeq} order, never part of a transaction in one
 * commit and the rest in another (a {@linkplain #stage staged} transaction is one commit published in
 * rounds). The sink applies them in exactly that order.
 *
 * <p><b>Idempotency by commit LSN.</b> Every commit records the commit LSN of its last transaction
 * atomically with the data; {@link #appliedLsn()} returns the highest one recorded, and a commit at or
 * below it is skipped (empty result) — so a crash between the sink's commit and the caller's
 * acknowledgements, which redelivers the messages, applies nothing twice. Only a commit that returned
 * is durable; the caller acknowledges its messages after that, never before.
 *
 * <p><b>Failures.</b> A {@link TidelineException} that {@linkplain TidelineException#isRetryable() is
 * retryable} (storage unreachable, a concurrent writer) means nothing became visible: the caller keeps
 * its messages unacknowledged and retries later with the same or more changes. Any other kind means the
 * table cannot take these changes (an incompatible type change, an unrepresentable value, a row without
 * key): the caller marks the table FAILED with {@link #markFailed} — recorded in the table, with the
 * reason and the fix, so every reader and restart sees it — and drops its changes until a snapshot
 * {@linkplain #replace replaces} the table, which clears the mark.
 *
 * <p><b>Threads.</b> Not thread-safe: one caller thread per table (the pipeline's loop); a sink and the
 * staged commit or replacement it handed out are used from that thread only.
 */
public interface TableSink {

    /** Whether the table exists (a snapshot or a first transaction created it). */
    boolean exists();

    /** Where the table is (a Delta table's path); for events and logs. */
    String location();

    /** Every source transaction with a commit LSN at or below this one is in the table ({@link Lsn#INVALID} when none). */
    Lsn appliedLsn();

    /** The reason recorded by {@link #markFailed}, or null when the table is not FAILED. */
    String failure();

    /** The id of the snapshot whose {@linkplain #replace replacement} the table holds, or null. */
    String snapshotId();

    /**
     * Applies the changes of complete source transactions in one commit recording {@code commitLsn}
     * (the last transaction's). A table that does not exist is created from the first ROWS batch's
     * schema; a commit whose batches are only TRUNCATEs of a table that does not exist changes nothing.
     *
     * @param batches ROWS and TRUNCATE batches, in source order
     * @return what was committed, or empty when nothing was: the table already holds {@code commitLsn}
     *         (a redelivery), or there was nothing to write
     * @throws TidelineException retryable: nothing is visible; otherwise the table cannot take the changes
     */
    Optional<SinkCommit> commit(List<ChangeBatch> batches, Lsn commitLsn);

    /**
     * Starts a commit of one source transaction too large to hold in memory: its batches are written in
     * rounds as they arrive, and published together by {@link Staged#commit}, at {@code commitLsn}.
     * Until it ends the staged commit is the table's only writer.
     */
    Staged stage(Lsn commitLsn);

    /**
     * Applies the changes that arrived since a snapshot's begin on top of the snapshot just
     * {@linkplain Replacement#commit committed}, recording {@code commitLsn}. The snapshot may already
     * show some of them (it was read while the source was written), so each change is applied
     * idempotently: a keyless table is treated as a set here. A TRUNCATE among them is not applied to
     * the table — the chunk reads before it were not loaded — but drops the changes before it.
     *
     * @return as {@link #commit}
     */
    Optional<SinkCommit> commitOverSnapshot(List<ChangeBatch> batches, Lsn commitLsn);

    /**
     * Starts replacing the table's content and shape with a snapshot of the source table valid at
     * {@code validAt}; nothing is visible until {@link Replacement#commit}. An unfinished replacement
     * is simply dropped (what it wrote is never visible).
     */
    Replacement replace(RelationSchema schema, String snapshotId, Lsn validAt);

    /**
     * Records in the table that it is FAILED for {@code reason} (what went wrong, and the fix), until
     * the next replacement. No-op when the table does not exist.
     */
    void markFailed(String reason);

    /**
     * Housekeeping after commits (a Delta table compacts its files); changes no row. A failure is
     * logged by the sink and retried at a later call.
     */
    void maintain();

    /** One large source transaction, written in rounds and published by one commit. */
    interface Staged {

        /** Writes the next batches of the transaction; none of it is visible yet. */
        void round(List<ChangeBatch> batches);

        /**
         * Writes the transaction's last batches and publishes the whole transaction in one commit.
         *
         * @return as {@link TableSink#commit}
         */
        Optional<SinkCommit> commit(List<ChangeBatch> lastBatches);

        /** Drops what was written; the table is unchanged. */
        void abandon();
    }

    /**
     * A snapshot being loaded. Rows come in chunk reads (a read number is never reused); the caller
     * decides which complete reads count, and publishes those at once.
     */
    interface Replacement {

        /** Writes rows of chunk read {@code read}; none is visible yet. */
        void write(int read, ChangeBatch.Snapshot rows);

        /**
         * Publishes the rows of {@code reads} as the table's whole content and shape, in one commit that
         * also clears a FAILED mark and records the snapshot's id ({@link #snapshotId()}). The applied
         * LSN stays as it was: the {@link #commitOverSnapshot} that follows records the snapshot's.
         *
         * @param rows the row count of those reads
         */
        SinkCommit commit(Collection<Integer> reads, long rows);
    }
}
