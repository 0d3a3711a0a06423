package dev.tideline.apply.delta;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.delta.CloseableIterators;
import dev.tideline.delta.kernel.AddedFile;
import dev.tideline.delta.kernel.DeletionVectorBitmap;
import dev.tideline.delta.kernel.DeletionVectorRef;
import dev.tideline.delta.kernel.KernelInternals;
import io.delta.kernel.DataWriteContext;
import io.delta.kernel.Operation;
import io.delta.kernel.Snapshot;
import io.delta.kernel.TableManager;
import io.delta.kernel.Transaction;
import io.delta.kernel.TransactionCommitResult;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.exceptions.ConcurrentTransactionException;
import io.delta.kernel.exceptions.ConcurrentWriteException;
import io.delta.kernel.exceptions.TableNotFoundException;
import io.delta.kernel.expressions.Column;
import io.delta.kernel.hook.PostCommitHook;
import io.delta.kernel.transaction.UpdateTableTransactionBuilder;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterable;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.DataFileStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import org.jboss.logging.Logger;

/**
 * Writes one destination Delta table with Delta Kernel: create, apply of row operations with
 * deletion vectors, atomic replace (full refresh), compaction. Its own job is the commit: what a
 * batch adds and removes, and the commit with its transaction identifier; finding the touched rows
 * ({@link TouchedRows}), reading and writing data files ({@link ParquetFiles}) and choosing what to
 * compact ({@link CompactionPolicy}) are delegated (see the package's map).
 *
 * <p><b>Exactly once.</b> Every data commit carries Kernel's transaction identifier
 * ({@code appId}, version = commit LSN of the last source transaction it contains); Kernel refuses
 * a commit whose version is not above the recorded one, and {@link #appliedLsn()} reads it back so
 * that callers skip what is already applied. A replace records the snapshot's id and LSN as table
 * properties ({@link #SNAPSHOT_ID_PROPERTY}, {@link #SNAPSHOT_LSN_PROPERTY}).
 *
 * <p><b>Deletion vectors.</b> Rows replaced or deleted are marked in their file's deletion vector
 * ({@link DeletionVectorFile}); the file is re-added with it ({@code remove} of the old entry,
 * {@code add} of the same path). New row versions go to one new file per commit, sorted by key, so
 * files keep narrow key ranges. Every read of stored rows applies the vectors.
 *
 * <p><b>Staged commits.</b> A source transaction too large for memory is applied in rounds to a
 * {@link StagedCommit} (see there) and published by one commit.
 *
 * <p><b>Checkpoints</b> Kernel asks for after a commit are written off the committing thread, by
 * {@link WriterSettings#checkpoints()} (the apply service's executor); other post-commit hooks
 * (checksums) run inline.
 *
 * <p><b>Tables</b> are created with column mapping ({@code delta.columnMapping.mode=name}), which
 * lets Kernel add columns, and deletion vectors ({@value #ENABLE_DELETION_VECTORS}); older tables
 * get the latter with their next data commit. Tideline writes the physical column names itself
 * (Kernel's {@code transformLogicalData} refuses column-mapped tables). No change data feed (Kernel
 * cannot write {@code _change_data} files and refuses commits with removes on CDF tables).
 *
 * <p>Not thread-safe; one writer per table (Kernel's conflict detection does not cover
 * row-level changes against concurrent writers).
 */
public final class DeltaTableWriter {

    /** Table property: the LSN the snapshot a replace loaded was valid at (informational). */
    public static final String SNAPSHOT_LSN_PROPERTY = "tideline.snapshotLsn";
    /** Table property: the snapshot id a replace loaded. */
    public static final String SNAPSHOT_ID_PROPERTY = "tideline.snapshotId";
    /**
     * Table property: why the table stopped receiving changes (FAILED); set by {@link #markFailed},
     * cleared by the next replace (full refresh). Persisted in the table so that a restarted applier
     * never applies later changes on top of a table that missed some.
     */
    public static final String FAILED_PROPERTY = "tideline.failed";
    /** Delta table property that makes the table support deletion vectors (table feature {@code deletionVectors}). */
    static final String ENABLE_DELETION_VECTORS = "delta.enableDeletionVectors";
    /** A column's name in data files under column mapping (Delta's field metadata key). */
    private static final String PHYSICAL_NAME = "delta.columnMapping.physicalName";

    private static final Logger LOG = Logger.getLogger(DeltaTableWriter.class);

    private final Engine engine;
    private final String tablePath;
    private final String appId;
    private final TableId source;
    private final WriterSettings settings;
    private final ParquetFiles parquet;
    private final TouchedRows touchedRows;
    private final CompactionPolicy compaction;

    private Snapshot snapshot;
    /**
     * {@link #appliedLsn()} of {@link #snapshot}, or null until asked: Kernel finds it by replaying the log, and the
     * applier asks twice per commit.
     */
    private Lsn appliedLsn;
    private TableLayout layout;
    /** The data files of {@link #snapshot}; replaced with it. */
    private SnapshotFiles current;
    /** The version of the last checkpoint this writer asked for, -1 for none since it opened the table; and when. */
    private long checkpointVersion = -1;
    private long checkpointNanos;
    /** The latest version this writer's checkpoints are written at (off this thread), -1 for none. */
    private volatile long checkpointWritten = -1;
    /** The checkpoint the snapshot this writer works on starts its log at, as far as this writer knows. */
    private long rebasedOn = -1;
    /** The physical schema and write context of this writer's latest transaction, with what they derive from ({@link #shapeOf}). */
    private WriteShape shape;

    private DeltaTableWriter(Engine engine, String tablePath, String appId, TableId source, WriterSettings settings) {
        this.engine = engine;
        this.tablePath = tablePath;
        this.appId = appId;
        this.source = source;
        this.settings = settings;
        this.parquet = new ParquetFiles(engine, source, settings.rowsPerBatch(), settings.plainFileMaxRows());
        this.touchedRows = new TouchedRows(engine, tablePath, source);
        this.compaction = CompactionPolicy.of(settings);
    }

    /**
     * Opens the table at {@code tablePath}, which need not exist yet.
     *
     * @param appId the transaction identifier's application id, one per pipeline and table
     */
    public static DeltaTableWriter open(Engine engine, String tablePath, String appId, TableId source, WriterSettings settings) {
        DeltaTableWriter writer = new DeltaTableWriter(engine, tablePath, appId, source, settings);
        writer.reload();
        return writer;
    }

    /** Re-reads the latest version of the table. */
    public void reload() {
        try {
            rebasedOn = checkpointWritten; // a snapshot read from storage starts at the latest checkpoint, ours or later
            moveTo(TableManager.loadSnapshot(tablePath).build(engine));
        } catch (TableNotFoundException e) {
            snapshot = null;
            layout = null;
            current = null;
        } catch (RuntimeException e) {
            throw wrap("read the Delta log", e);
        }
    }

    /** Makes {@code latest} the version this writer works on. */
    private void moveTo(Snapshot latest) {
        snapshot = latest;
        appliedLsn = null;
        current = new SnapshotFiles(engine, snapshot, parquet);
        layout = TableLayout.existing(source, snapshot.getSchema(), snapshot.getTableProperties());
    }

    /** Whether the table supports deletion vectors (every table created or written by this version does). */
    boolean deletionVectorsEnabled() {
        return snapshot != null && "true".equalsIgnoreCase(snapshot.getTableProperties().get(ENABLE_DELETION_VECTORS));
    }

    public boolean exists() {
        return snapshot != null;
    }

    public String tablePath() {
        return tablePath;
    }

    public String appId() {
        return appId;
    }

    /** The latest Delta version, or -1 when the table does not exist. */
    public long version() {
        return snapshot == null ? -1 : snapshot.getVersion();
    }

    /** The table's layout, or null when it does not exist. */
    public TableLayout layout() {
        return layout;
    }

    public Snapshot snapshot() {
        return snapshot;
    }

    /**
     * Every source transaction at or below this LSN is in the table: the version of the latest
     * commit transaction identifier of {@link #appId()}. A replace (full refresh) does not move it;
     * the changes replayed after the snapshot do.
     */
    public Lsn appliedLsn() {
        if (snapshot == null) {
            return Lsn.INVALID;
        }
        if (appliedLsn == null) {
            appliedLsn = Lsn.of(snapshot.getLatestTransactionVersion(engine, appId).orElse(0L));
        }
        return appliedLsn;
    }

    /** The reason the table is FAILED (see {@link #FAILED_PROPERTY}), or null. */
    public String failure() {
        return snapshot == null ? null : snapshot.getTableProperties().get(FAILED_PROPERTY);
    }

    /** The snapshot id the last replace loaded, or null. */
    public String snapshotId() {
        return snapshot == null ? null : snapshot.getTableProperties().get(SNAPSHOT_ID_PROPERTY);
    }

    /** Records in the table that it is FAILED for {@code reason}, until the next full refresh. No-op for a missing table. */
    public void markFailed(String reason) {
        if (snapshot == null || reason.equals(failure())) {
            return;
        }
        try {
            Transaction txn = snapshot.buildUpdateTableTransaction(settings.engineInfo(), Operation.MANUAL_UPDATE)
                    .withTablePropertiesAdded(Map.of(FAILED_PROPERTY, reason.length() > 2000 ? reason.substring(0, 2000) : reason))
                    .build(engine);
            finish(txn.commit(engine, CloseableIterable.emptyIterable()));
        } catch (RuntimeException e) {
            throw wrap("record the FAILED state", e);
        }
    }

    /**
     * Commits a layout ahead of the data, without data (no transaction identifier, nothing for
     * change readers): a keyless table's new key columns, so that existing files are searched with
     * them, or, in a staged commit, a schema change met between rounds.
     */
    private void commitLayout(TableLayout target) {
        try {
            Transaction txn = snapshot.buildUpdateTableTransaction(settings.engineInfo(), Operation.MANUAL_UPDATE)
                    .withUpdatedSchema(target.schema())
                    .withTablePropertiesAdded(target.properties())
                    .build(engine);
            finish(txn.commit(engine, CloseableIterable.emptyIterable()));
        } catch (RuntimeException e) {
            throw wrap("commit the table's new columns ahead of the data", e);
        }
    }

    /** Creates the (empty) table with this layout; version 0. */
    public CommitOutcome create(TableLayout newLayout) {
        long start = System.nanoTime();
        try {
            Transaction txn = TableManager.buildCreateTableTransaction(tablePath, newLayout.schema(), settings.engineInfo())
                    .withTableProperties(tableProperties(newLayout, Map.of()))
                    .build(engine);
            TransactionCommitResult result = txn.commit(engine, CloseableIterable.emptyIterable());
            finish(result);
            return new CommitOutcome(result.getVersion(), 0, 0, 0, 0, millisSince(start));
        } catch (RuntimeException e) {
            throw wrap("create the table", e);
        }
    }

    private static Map<String, String> tableProperties(TableLayout layout, Map<String, String> extra) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("delta.columnMapping.mode", "name");
        props.put(ENABLE_DELETION_VECTORS, "true");
        props.putAll(layout.properties());
        props.putAll(extra);
        return props;
    }

    /**
     * Applies row operations in one commit with transaction identifier version {@code commitLsn}.
     *
     * <p>Rows are changed with deletion vectors: the key columns of the files whose statistics can
     * hold a touched key are searched (cached per file), the positions of the touched keys' live rows
     * are added to their file's deletion vector, and the commit re-adds each such file with its new
     * vector ({@code remove} of the old entry, {@code add} of the same path) plus one new file with
     * the new row versions. Full rows are read only where the merge needs stored values (unchanged
     * TOAST, SCD type 2). A file whose rows are all deleted is removed. A table without the
     * {@code deletionVectors} feature (created before Tideline wrote them) is upgraded by this commit.
     *
     * @param target the layout to write with: the current one, or one {@link TableLayout#evolve evolved}
     *               from it (then the commit also updates the schema)
     * @param ops    operations in source order; rows are of {@code target}
     * @return the outcome, or empty when the table already holds {@code commitLsn} (a replay:
     *         nothing was committed)
     */
    public Optional<CommitOutcome> apply(TableLayout target, List<RowOp> ops, Lsn commitLsn) {
        return apply(target, ops, commitLsn, false);
    }

    /**
     * {@link #apply}, for the changes replayed on top of a snapshot that may already show them (a
     * snapshot read with watermarks, chunk by chunk, while the source was written): each change must be
     * idempotent, so a keyless table is treated as a set here — an INSERT of a row the snapshot already
     * holds replaces it instead of adding a second copy.
     */
    public Optional<CommitOutcome> applyOverSnapshot(TableLayout target, List<RowOp> ops, Lsn commitLsn) {
        return apply(target, ops, commitLsn, true);
    }

    private Optional<CommitOutcome> apply(TableLayout target, List<RowOp> ops, Lsn commitLsn, boolean idempotent) {
        requireExists();
        long start = System.nanoTime();
        if (!commitLsn.isAfter(appliedLsn())) {
            return Optional.empty();
        }
        if (!target.schema().equals(layout.schema())) {
            requireEvolvedFromCurrent(target);
        }
        if (!target.keyColumns().equals(layout.keyColumns())) {
            // A keyless table gained columns, which join its key: commit the new shape first, so that the
            // existing files are searched with every key column (null in files written before).
            commitLayout(target);
        }
        try {
            UpdateTableTransactionBuilder builder = snapshot.buildUpdateTableTransaction(settings.engineInfo(), Operation.WRITE)
                    .withTransactionId(appId, commitLsn.value());
            if (!target.schema().equals(layout.schema())) {
                builder = builder.withUpdatedSchema(target.schema());
            }
            if (!deletionVectorsEnabled()) {
                builder = builder.withTablePropertiesAdded(Map.of(ENABLE_DELETION_VECTORS, "true"));
            }
            Transaction txn = builder.build(engine);
            Row state = txn.getTransactionState(engine);
            WriteShape shape = shapeOf(state);
            StructType physical = shape.physical();
            DataWriteContext ctx = shape.context();
            List<Column> statsColumns = ParquetFiles.statsColumns(ctx, physical, target);

            TouchedRows.Merge merge = touchedRows.merge(current, layout, touchedRows.committed(current), target, ops,
                    target.keyless() && !idempotent);
            TouchedRows.RowChanges changes = merge.changes();
            List<Object[]> merged = merge.rows();

            List<Row> actions = new ArrayList<>();
            int removed = 0;
            List<AddedFile> rewritten = new ArrayList<>();
            List<DeletionVectorBitmap> vectors = new ArrayList<>();
            for (Map.Entry<FileEntry, DeletionVectorBitmap> e : changes.deletes.entrySet()) {
                actions.add(KernelInternals.removeAction(e.getKey().add, true));
                removed++;
                if (e.getValue() != null) {
                    rewritten.add(e.getKey().add);
                    vectors.add(e.getValue());
                }
            }
            List<DeletionVectorRef> descriptors = addWithVectors(rewritten, vectors, physical, actions);
            long rowsWritten = 0;
            int added = 0;
            if (!merged.isEmpty()) {
                List<DataFileStatus> written = parquet.writeChanges(ctx, physical, statsColumns, target, merged,
                        (file, keys) -> touchedRows.rememberKeys(physical, target, file.getPath(), keys));
                rowsWritten = merged.size();
                added = written.size();
                appendActions(state, ctx, written, actions);
            }
            SnapshotFiles before = current;
            long beforeVersion = snapshot.getVersion();
            boolean sameSchema = target.schema().equals(layout.schema());
            TransactionCommitResult result = txn.commit(engine, inMemory(actions));
            rememberVectors(rewritten, descriptors, vectors);
            finish(result, commitLsn);
            if (sameSchema && result.getVersion() == beforeVersion + 1 && snapshot.getVersion() == result.getVersion()) {
                // Nothing else was committed in between: the new version's files follow from ours and this commit.
                Set<String> removedPaths = new HashSet<>();
                changes.deletes.keySet().forEach(f -> removedPaths.add(f.add.getPath()));
                current = before.carried(snapshot, removedPaths, actions);
            }
            return Optional.of(new CommitOutcome(result.getVersion(), rowsWritten, added, removed, changes.searched, millisSince(start)));
        } catch (ConcurrentTransactionException e) {
            // Another writer (or an earlier run of ours) recorded this LSN meanwhile: already applied.
            LOG.infof("table %s: transaction %s already recorded; skipping (%s)", source, commitLsn, e.getMessage());
            reload();
            return Optional.empty();
        } catch (ConcurrentWriteException e) {
            // Another writer committed first (a replica that has not yet noticed it lost the pipeline's lease,
            // or an outside job): re-read the table; the retry skips what that commit recorded.
            reload();
            throw wrap("apply changes up to " + commitLsn, e);
        } catch (TidelineException e) {
            throw e;
        } catch (RuntimeException | IOException e) {
            throw wrap("apply changes up to " + commitLsn, e);
        }
    }

    /**
     * Starts a staged commit of one source transaction too large to hold in memory (see
     * {@link StagedCommit}). Nothing is visible until {@link StagedCommit#commit}.
     *
     * @param commitLsn the transaction's commit LSN: the commit's transaction identifier version
     */
    public StagedCommit stage(Lsn commitLsn) {
        requireExists();
        return new StagedCommit(commitLsn);
    }

    /**
     * One source transaction applied in rounds and published by one Delta commit. Each
     * {@link #round} applies a part of the transaction's changes (in source order) like
     * {@link #apply} does, but to a <em>staged view</em> of the table instead of a commit: new and
     * rewritten rows go to Parquet files that are written (through the engine) but not yet referenced
     * by the log, rows deleted from existing files to deletion vectors kept in memory
     * ({@link StagedFiles}). A later round sees what earlier ones did: the staged view is the base
     * snapshot's files minus the removed ones, with the staged vectors, plus the written files — so a
     * row inserted or rewritten in an earlier round can be updated or deleted again (its written file
     * gets a vector too; a written file whose every row is deleted again leaves the commit and is
     * deleted). {@link #commit} then publishes every remove and add in one commit with the
     * transaction identifier {@code commitLsn}: readers never see part of the transaction.
     *
     * <p>A crash (or {@link #abandon}) before the commit leaves only files the log never references;
     * the transaction is applied again from its unacknowledged messages. A schema change met between
     * rounds is committed ahead of the data, on its own (no data, no transaction identifier).
     *
     * <p>The writer must not commit anything else to the table between {@link DeltaTableWriter#stage}
     * and the end of the staged commit.
     */
    public final class StagedCommit {
        private final Lsn commitLsn;
        private final StagedFiles files = new StagedFiles();
        private final long startNanos = System.nanoTime();
        private int searched;
        private int rounds;

        /** The staged view: base files minus removed ones, staged vectors first, plus written files. */
        private final TouchedRows.FileView view = new TouchedRows.FileView() {
            @Override
            public List<FileEntry> files(TouchedRows.FileFilter filter) throws IOException {
                List<FileEntry> out = new ArrayList<>();
                for (FileEntry f : current.list(filter)) {
                    if (!files.removes(f)) {
                        out.add(f);
                    }
                }
                StructType physical = current.physicalReadSchema();
                for (StagedFiles.Written w : files.written()) {
                    if (filter == null || filter.mayContain(w.file(), physical)) {
                        out.add(w.file());
                    }
                }
                return out;
            }

            @Override
            public DeletionVectorBitmap deleted(FileEntry file) throws IOException {
                DeletionVectorBitmap vector = files.deletedOf(file);
                return vector != null ? vector : touchedRows.deletedRowsOf(file);
            }
        };

        private StagedCommit(Lsn commitLsn) {
            this.commitLsn = commitLsn;
        }

        public Lsn commitLsn() {
            return commitLsn;
        }

        /** Rounds applied so far. */
        public int rounds() {
            return rounds;
        }

        /**
         * Applies the next part of the transaction to the staged view.
         *
         * @param target the layout to write with (the current one or one evolved from it, which is then
         *               committed ahead, without data)
         * @param ops    the next operations of the transaction, in source order; rows are of {@code target}
         */
        public void round(TableLayout target, List<RowOp> ops) {
            if (ops.isEmpty()) {
                return;
            }
            try {
                if (!target.equals(layout)) {
                    commitLayout(target);
                }
                // A transaction only for its write context (directory, physical schema); never committed.
                Transaction txn = snapshot.buildUpdateTableTransaction(settings.engineInfo(), Operation.WRITE).build(engine);
                Row state = txn.getTransactionState(engine);
                WriteShape shape = shapeOf(state);
                StructType physical = shape.physical();
                DataWriteContext ctx = shape.context();
                TouchedRows.Merge merge = touchedRows.merge(current, layout, view, target, ops, target.keyless());
                TouchedRows.RowChanges changes = merge.changes();
                List<Object[]> merged = merge.rows();
                for (Map.Entry<FileEntry, DeletionVectorBitmap> e : changes.deletes.entrySet()) {
                    FileEntry file = e.getKey();
                    if (!file.staged()) {
                        files.deleteFromExisting(KernelInternals.detached(file.add, physical), e.getValue());
                    } else if (files.deleteFromWritten(file, e.getValue())) {
                        parquet.deleteQuietly(file);
                    }
                }
                if (!merged.isEmpty()) {
                    List<Column> stats = ParquetFiles.statsColumns(ctx, physical, target);
                    for (DataFileStatus f : parquet.writeChanges(ctx, physical, stats, target, merged, null)) {
                        files.add(FileEntry.staged(KernelInternals.addFileOf(physical, tablePath, f, true), f));
                    }
                }
                searched += changes.searched;
                rounds++;
            } catch (TidelineException e) {
                throw e;
            } catch (RuntimeException | IOException e) {
                throw wrap("stage changes of transaction " + commitLsn, e);
            }
        }

        /**
         * Applies the transaction's last operations and publishes the whole transaction in one commit.
         *
         * @return the outcome, or empty when the table already holds {@code commitLsn} (the staged files
         *         are then deleted)
         */
        public Optional<CommitOutcome> commit(TableLayout target, List<RowOp> lastOps) {
            if (!commitLsn.isAfter(appliedLsn())) {
                abandon();
                return Optional.empty();
            }
            round(target, lastOps);
            try {
                UpdateTableTransactionBuilder builder = snapshot.buildUpdateTableTransaction(settings.engineInfo(), Operation.WRITE)
                        .withTransactionId(appId, commitLsn.value());
                if (!deletionVectorsEnabled()) {
                    builder = builder.withTablePropertiesAdded(Map.of(ENABLE_DELETION_VECTORS, "true"));
                }
                Transaction txn = builder.build(engine);
                Row state = txn.getTransactionState(engine);
                WriteShape shape = shapeOf(state);
                StructType physical = shape.physical();
                DataWriteContext ctx = shape.context();
                List<Row> actions = new ArrayList<>();
                List<AddedFile> withVector = new ArrayList<>();
                List<DeletionVectorBitmap> vectors = new ArrayList<>();
                int removed = 0;
                for (StagedFiles.BaseChange c : files.baseChanges()) {
                    actions.add(KernelInternals.removeAction(c.add(), true));
                    removed++;
                    if (c.vector() != null) {
                        withVector.add(c.add());
                        vectors.add(c.vector());
                    }
                }
                List<DataFileStatus> plain = new ArrayList<>();
                long rows = 0;
                for (StagedFiles.Written w : files.written()) {
                    if (w.deleted().isEmpty()) {
                        plain.add((DataFileStatus) w.file().status());
                    } else {
                        withVector.add(w.file().add); // a new file that is born with a deletion vector
                        vectors.add(w.deleted());
                    }
                    rows += w.file().add.getNumRecords().orElse(0L) - w.deleted().cardinality();
                }
                List<DeletionVectorRef> descriptors = addWithVectors(withVector, vectors, physical, actions);
                appendActions(state, ctx, plain, actions);
                TransactionCommitResult result = txn.commit(engine, inMemory(actions));
                rememberVectors(withVector, descriptors, vectors);
                finish(result, commitLsn);
                LOG.infof("table %s: transaction %s committed in %d rounds as version %d (%d files written, %d changed)", source,
                        commitLsn, rounds, result.getVersion(), files.written().size(), removed);
                return Optional.of(new CommitOutcome(result.getVersion(), rows, files.written().size(), removed, searched,
                        millisSince(startNanos)));
            } catch (ConcurrentTransactionException e) {
                LOG.infof("table %s: transaction %s already recorded; dropping its staged files (%s)", source, commitLsn, e.getMessage());
                abandon();
                reload();
                return Optional.empty();
            } catch (ConcurrentWriteException e) {
                reload();
                throw wrap("commit staged transaction " + commitLsn, e);
            } catch (TidelineException e) {
                throw e;
            } catch (RuntimeException e) {
                throw wrap("commit staged transaction " + commitLsn, e);
            }
        }

        /** Gives the staged commit up: its written files are deleted (best effort; the log never referenced them). */
        public void abandon() {
            files.writtenFiles().forEach(parquet::deleteQuietly);
        }
    }

    /** An open full refresh: files staged under the new layout, committed at once by {@link #commit}. */
    public final class Replacement {
        private final Transaction txn;
        private final Row state;
        private final StructType physical;
        private final DataWriteContext ctx;
        private final List<Column> statsColumns;
        private final TableLayout target;

        private Replacement(Transaction txn, TableLayout target) {
            this.txn = txn;
            this.target = target;
            this.state = txn.getTransactionState(engine);
            WriteShape shape = shapeOf(state);
            this.physical = shape.physical();
            this.ctx = shape.context();
            this.statsColumns = ParquetFiles.statsColumns(ctx, physical, target);
        }

        public TableLayout layout() {
            return target;
        }

        /** Writes rows (Delta rows of {@link #layout()}) into uncommitted files and returns them. */
        public List<DataFileStatus> write(List<Object[]> batch) {
            try {
                return parquet.write(ctx, physical, statsColumns, target, batch,
                        (file, keys) -> touchedRows.rememberKeys(physical, target, file.getPath(), keys));
            } catch (IOException | RuntimeException e) {
                throw wrap("write snapshot files", e);
            }
        }

        /**
         * Commits: the table now holds exactly the rows of {@code files} (written by {@link #write});
         * the old files are removed.
         */
        public CommitOutcome commit(List<DataFileStatus> files, long rows) {
            long start = System.nanoTime();
            try {
                List<Row> actions = new ArrayList<>();
                appendActions(state, ctx, files, actions);
                TransactionCommitResult result = txn.commit(engine, inMemory(actions));
                finish(result);
                return new CommitOutcome(result.getVersion(), rows, files.size(), 0, 0, millisSince(start));
            } catch (RuntimeException e) {
                throw wrap("commit the full refresh", e);
            }
        }
    }

    /**
     * Starts replacing the table's content and layout (creating it if needed) with the rows of a
     * snapshot valid at {@code snapshotLsn}. Nothing is visible until {@link Replacement#commit()}.
     */
    public Replacement replace(TableLayout target, String snapshotId, Lsn snapshotLsn) {
        Map<String, String> props = tableProperties(target, Map.of(SNAPSHOT_LSN_PROPERTY, snapshotLsn.toString(),
                SNAPSHOT_ID_PROPERTY, snapshotId));
        try {
            Transaction txn;
            if (snapshot == null) {
                txn = TableManager.buildCreateTableTransaction(tablePath, target.schema(), settings.engineInfo())
                        .withTableProperties(props).build(engine);
            } else {
                txn = KernelInternals.replaceTableTransaction(snapshot, target.schema(),
                        settings.engineInfo()).withTableProperties(props).build(engine);
            }
            return new Replacement(txn, target);
        } catch (RuntimeException e) {
            throw wrap("start the full refresh", e);
        }
    }

    /**
     * Rewrites, in one commit marked {@code dataChange=false} (readers of changes skip it; no
     * transaction identifier: it changes no data), sorted by key and without their deleted rows, the
     * files the {@link CompactionPolicy} chooses: small files in size tiers once a tier holds
     * {@link WriterSettings#compactAfterFiles()} files, and files whose deletion vector removes at
     * least {@link CompactionPolicy#PURGE_DELETED_FRACTION} of their rows.
     *
     * @return the outcome, or empty when there was nothing to compact
     */
    public Optional<CommitOutcome> compactIfNeeded() {
        if (snapshot == null) {
            return Optional.empty();
        }
        long start = System.nanoTime();
        try {
            List<FileEntry> chosen = compaction.choose(current.list(null), f -> new CompactionPolicy.FileFacts(f.size,
                    f.add.getNumRecords(), f.add.getDeletionVector().map(DeletionVectorRef::getCardinality)));
            if (chosen.isEmpty()) {
                return Optional.empty();
            }
            Transaction txn = snapshot.buildUpdateTableTransaction(settings.engineInfo(), Operation.WRITE).build(engine);
            Row state = txn.getTransactionState(engine);
            WriteShape shape = shapeOf(state);
            StructType physical = shape.physical();
            DataWriteContext ctx = shape.context();
            List<Column> stats = ParquetFiles.statsColumns(ctx, physical, layout);
            List<Object[]> rows = new ArrayList<>();
            List<Row> actions = new ArrayList<>();
            for (FileEntry f : chosen) {
                rows.addAll(current.readRows(f, layout));
                actions.add(KernelInternals.removeAction(f.add, false));
            }
            List<DataFileStatus> written = rows.isEmpty() ? List.of() : parquet.write(ctx, physical, stats, layout, rows,
                    (file, keys) -> touchedRows.rememberKeys(physical, layout, file.getPath(), keys));
            for (DataFileStatus file : written) {
                actions.add(KernelInternals.addAction(physical, tablePath, file, false));
            }
            TransactionCommitResult result = txn.commit(engine, inMemory(actions));
            chosen.forEach(f -> touchedRows.forget(f.add.getPath()));
            finish(result);
            LOG.infof("table %s: compacted %d files into %d (version %d)", source, chosen.size(), written.size(), result.getVersion());
            return Optional.of(new CommitOutcome(result.getVersion(), rows.size(), written.size(), chosen.size(), 0, millisSince(start)));
        } catch (RuntimeException | IOException e) {
            throw wrap("compact small files", e);
        }
    }

    /** The data files of the current version as the writer sees them (carried or listed; tests). */
    List<FileEntry> files() throws IOException {
        return snapshot == null ? List.of() : current.list(null);
    }

    /** The keys of one of {@link #files()} the shared key cache holds for the current layout, or null (tests). */
    FileKeys cachedKeys(FileEntry file) {
        return touchedRows.cachedKeys(current, layout, file.status().getPath());
    }

    /** Reads every row of the table (tests, verification). */
    public List<Object[]> readAll() {
        requireExists();
        try {
            List<Object[]> rows = new ArrayList<>();
            for (FileEntry f : current.list(null)) {
                rows.addAll(current.readRows(f, layout));
            }
            return rows;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Data files of the current version. */
    public int fileCount() {
        try {
            return snapshot == null ? 0 : current.list(null).size();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes {@code vectors} into one deletion-vector file and adds to {@code actions} each of {@code files}
     * again with its vector ({@code files} and {@code vectors} pair up by index).
     *
     * @return the vectors' descriptors, in the same order, for {@link #rememberVectors} once committed
     */
    private List<DeletionVectorRef> addWithVectors(List<AddedFile> files, List<DeletionVectorBitmap> vectors, StructType physical,
                                                   List<Row> actions) {
        List<DeletionVectorRef> descriptors = DeletionVectorFile.write(engine, tablePath, vectors);
        for (int i = 0; i < files.size(); i++) {
            actions.add(KernelInternals.addWithDeletionVector(files.get(i), physical, descriptors.get(i), FileStatistics::withoutTightBounds));
        }
        return descriptors;
    }

    /** After the commit that added them: the vectors of {@link #addWithVectors}, kept for the next search of those files. */
    private void rememberVectors(List<AddedFile> files, List<DeletionVectorRef> descriptors, List<DeletionVectorBitmap> vectors) {
        for (int i = 0; i < files.size(); i++) {
            touchedRows.remember(files.get(i).getPath(), descriptors.get(i).getUniqueId(), vectors.get(i));
        }
    }

    /** A transaction's physical schema and Kernel write context, and the {@link KernelInternals#writeShapeKey key} they follow from. */
    private record WriteShape(List<Object> key, StructType physical, DataWriteContext context) {
    }

    /**
     * The physical schema and write context of a transaction with state {@code state}: the previous transaction's while
     * its schema, configuration and path are unchanged. Kernel parses the schema JSON for each, twice for the write
     * context, and a commit of a few rows paid that three times (~3 % of apply's CPU with 1,000 tables).
     */
    private WriteShape shapeOf(Row state) {
        List<Object> key = KernelInternals.writeShapeKey(state);
        if (shape == null || !shape.key().equals(key)) {
            shape = new WriteShape(key, KernelInternals.physicalSchema(state), Transaction.getWriteContext(engine, state, Map.of()));
        }
        return shape;
    }

    private void appendActions(Row state, DataWriteContext ctx, List<DataFileStatus> files, List<Row> actions) {
        try (CloseableIterator<Row> rows = Transaction.generateAppendActions(engine, state,
                CloseableIterators.of(files.iterator()), ctx)) {
            rows.forEachRemaining(actions::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void finish(TransactionCommitResult result) {
        for (PostCommitHook hook : result.getPostCommitHooks()) {
            if (hook.getType() == PostCommitHook.PostCommitHookType.CHECKPOINT) {
                if (!settings.checkpointSpacing().due(result.getVersion(), checkpointVersion, System.nanoTime() - checkpointNanos)) {
                    continue; // the last one is recent enough for readers: see CheckpointSpacing
                }
                checkpointVersion = result.getVersion();
                checkpointNanos = System.nanoTime();
                // A checkpoint takes ~0.5 s and nothing waits for it (the next commit reads the log
                // either way): written off the apply thread, one at a time per process. Its files
                // are written atomically, so a crash meanwhile leaves the previous checkpoint.
                try {
                    long version = result.getVersion();
                    settings.checkpoints().execute(() -> {
                        if (runHook(hook, version)) {
                            checkpointWritten = Math.max(checkpointWritten, version); // one checkpoint at a time per process
                        }
                    });
                } catch (RejectedExecutionException e) {
                    // The service is stopping: the next checkpoint interval writes one.
                    LOG.debugf("table %s: no checkpoint after version %d: its executor is shut down", source, result.getVersion());
                }
            } else {
                // Checksums stay in line: the next commit's simple checksum builds on this one's.
                runHook(hook, result.getVersion());
            }
        }
        Optional<Snapshot> post = result.getPostCommitSnapshot();
        if (post.isPresent()) {
            moveTo(startingAtLatestCheckpoint(post.get()));
        } else {
            reload();
        }
    }

    /**
     * {@code post}, or the same version read again when a checkpoint was written since the log {@code post} carries
     * starts. Kernel's post-commit snapshot extends its predecessor's log by one commit, so a writer that only ever
     * moved to it would carry every commit since it opened the table: each commit re-sorts that list and replays it
     * for the transaction identifier (40 % of the committing thread, with hot tables, in {@code ManyTablesCommitBenchmark}).
     * Read again, the log starts at the newest checkpoint, which {@link CheckpointSpacing}
     * keeps at most ~{@code maxCommits} commits back. The carried file list does not depend on it (same version).
     */
    private Snapshot startingAtLatestCheckpoint(Snapshot post) {
        long written = checkpointWritten;
        if (written <= rebasedOn || written > post.getVersion()) {
            return post;
        }
        rebasedOn = written;
        try {
            return TableManager.loadSnapshot(tablePath).atVersion(post.getVersion()).build(engine);
        } catch (RuntimeException e) {
            // Only slower: the next checkpoint tries again.
            LOG.debugf("table %s: version %d not read again after checkpoint %d: %s", source, post.getVersion(), written, e.toString());
            return post;
        }
    }

    /**
     * {@link #finish(TransactionCommitResult)} for a commit that recorded {@code commitLsn} as this writer's transaction
     * identifier: when the writer is now on that very version, {@code commitLsn} is its {@link #appliedLsn()}.
     */
    private void finish(TransactionCommitResult result, Lsn commitLsn) {
        finish(result);
        if (snapshot != null && snapshot.getVersion() == result.getVersion()) {
            appliedLsn = commitLsn;
        }
    }

    /** Runs a post-commit hook; returns whether it succeeded. */
    private boolean runHook(PostCommitHook hook, long version) {
        try {
            hook.threadSafeInvoke(engine);
            return true;
        } catch (IOException | RuntimeException e) {
            // A checkpoint or checksum that fails leaves the table correct, only slower to load.
            LOG.warnf("table %s: post-commit hook %s after version %d failed: %s", source, hook.getType(), version, e.toString());
            LOG.debugf(e, "post-commit hook failure");
            return false;
        }
    }

    /**
     * Refuses a layout that gives an existing column another physical name: one built afresh instead of
     * {@link TableLayout#evolve evolved} from {@link #layout()} has no column-mapping names, Kernel would give the
     * columns new ones, and the values stored under the old names would read as null from then on.
     */
    private void requireEvolvedFromCurrent(TableLayout target) {
        for (StructField column : layout.schema().fields()) {
            int i = target.schema().indexOf(column.getName());
            if (i < 0) {
                continue;
            }
            String stored = column.getMetadata().getString(PHYSICAL_NAME);
            String given = target.schema().at(i).getMetadata().getString(PHYSICAL_NAME);
            if (!Objects.equals(stored, given)) {
                throw new IllegalArgumentException("table " + source + ": column " + column.getName() + " is stored as " + stored
                        + " but the layout to write names it " + given + "; pass the writer's layout or one evolved from it "
                        + "(TableLayout.evolve), never a layout built afresh");
            }
        }
    }

    private void requireExists() {
        if (snapshot == null) {
            throw new IllegalStateException("table " + tablePath + " does not exist yet");
        }
    }

    private static <T> CloseableIterable<T> inMemory(List<T> items) {
        return CloseableIterable.inMemoryIterable(CloseableIterators.of(items.iterator()));
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    private TidelineException wrap(String operation, Exception e) {
        if (e instanceof TidelineException t) {
            return t;
        }
        if (e instanceof ConcurrentWriteException) {
            return new TidelineException(TidelineException.Kind.RETRYABLE, "Delta table " + tablePath + " (source " + source
                    + "): could not " + operation + ": another writer committed to the table at the same time (" + e.getMessage() + ")",
                    "apply re-reads the table and retries; if this repeats, make sure nothing but this pipeline writes to the table", e);
        }
        boolean io = e instanceof IOException || e instanceof UncheckedIOException
                || (e.getCause() instanceof IOException);
        return new TidelineException(io ? TidelineException.Kind.RETRYABLE : TidelineException.Kind.FATAL,
                "Delta table " + tablePath + " (source " + source + "): could not " + operation + ": " + e,
                io ? "check that the warehouse storage is reachable and writable; apply retries"
                        : "this is a bug or an incompatible table; run a full refresh of the table if it persists", e);
    }
}