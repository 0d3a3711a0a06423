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
import io.delta.kernel.Scan;
import io.delta.kernel.Snapshot;
import io.delta.kernel.TableManager;
import io.delta.kernel.Transaction;
import io.delta.kernel.TransactionCommitResult;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.engine.FileReadResult;
import io.delta.kernel.exceptions.ConcurrentTransactionException;
import io.delta.kernel.exceptions.ConcurrentWriteException;
import io.delta.kernel.exceptions.TableNotFoundException;
import io.delta.kernel.expressions.Column;
import io.delta.kernel.hook.PostCommitHook;
import io.delta.kernel.transaction.UpdateTableTransactionBuilder;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampNTZType;
import io.delta.kernel.types.TimestampType;
import io.delta.kernel.utils.CloseableIterable;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.DataFileStatus;
import io.delta.kernel.utils.FileStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jboss.logging.Logger;

/**
 * Writes one destination Delta table with Delta Kernel: create, apply of row operations with
 * deletion vectors, atomic replace (full refresh), compaction.
 *
 * <p><b>Exactly once.</b> Every data commit carries Kernel's transaction identifier
 * ({@code appId}, version = commit LSN of the last source transaction it contains); Kernel refuses
 * a commit whose version is not above the recorded one, and {@link #appliedLsn()} reads it back so
 * that callers skip what is already applied. A replace records the snapshot's id and LSN as table
 * properties ({@link #SNAPSHOT_ID_PROPERTY}, {@link #SNAPSHOT_LSN_PROPERTY}).
 *
 * <p><b>Deletion vectors.</b> Only files whose key statistics (min/max of every key column) can hold
 * a touched key are searched, through their key columns only ({@link FileKeys}, cached per file).
 * Rows replaced or deleted are marked in their file's deletion vector ({@link DeletionVectorFile});
 * the file is re-added with it. New row versions go to one new file per commit, sorted by key, so
 * files keep narrow key ranges. Every read of stored rows applies the vectors.
 *
 * <p><b>Staged commits.</b> A source transaction too large for memory is applied in rounds to a
 * {@link StagedCommit} (see there) and published by one commit.
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

    private static final Logger LOG = Logger.getLogger(DeltaTableWriter.class);
    /** Writes the checkpoints Kernel asks for after commits, off the apply threads. */
    private static final ExecutorService CHECKPOINTS = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "tideline-delta-checkpoints");
        t.setDaemon(true);
        return t;
    });

    private final Engine engine;
    private final String tablePath;
    private final String appId;
    private final TableId source;
    private final WriterSettings settings;

    private Snapshot snapshot;
    private TableLayout layout;
    private Snapshot scanStateOf;
    private Row scanState;
    /** Deletion vectors this writer committed, by data file path. */
    private final Map<String, KnownVector> deletedRows = new HashMap<>();

    private DeltaTableWriter(Engine engine, String tablePath, String appId, TableId source, WriterSettings settings) {
        this.engine = engine;
        this.tablePath = tablePath;
        this.appId = appId;
        this.source = source;
        this.settings = settings;
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
            snapshot = TableManager.loadSnapshot(tablePath).build(engine);
            layout = TableLayout.existing(source, snapshot.getSchema(), snapshot.getTableProperties());
        } catch (TableNotFoundException e) {
            snapshot = null;
            layout = null;
        } catch (RuntimeException e) {
            throw wrap("read the Delta log", e);
        }
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
        return Lsn.of(snapshot.getLatestTransactionVersion(engine, appId).orElse(0L));
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
            StructType physical = KernelInternals.physicalSchema(state);
            DataWriteContext ctx = Transaction.getWriteContext(engine, state, Map.of());
            List<Column> statsColumns = statsColumns(ctx, physical, target);

            Merge merge = merge(committedFiles, target, ops, target.keyless() && !idempotent);
            RowChanges changes = merge.changes();
            List<Object[]> merged = merge.rows();

            List<Row> actions = new ArrayList<>();
            int removed = 0;
            List<FileEntry> rewritten = new ArrayList<>();
            List<DeletionVectorBitmap> vectors = new ArrayList<>();
            for (Map.Entry<FileEntry, DeletionVectorBitmap> e : changes.deletes.entrySet()) {
                actions.add(KernelInternals.removeAction(e.getKey().add, true));
                removed++;
                if (e.getValue() != null) {
                    rewritten.add(e.getKey());
                    vectors.add(e.getValue());
                }
            }
            List<DeletionVectorRef> descriptors = DeletionVectorFile.write(engine, tablePath, vectors);
            for (int i = 0; i < rewritten.size(); i++) {
                actions.add(KernelInternals.addWithDeletionVector(rewritten.get(i).add, physical, descriptors.get(i),
                        FileStatistics::withoutTightBounds));
            }
            long rowsWritten = 0;
            int added = 0;
            if (!merged.isEmpty()) {
                List<DataFileStatus> written = write(ctx, physical, statsColumns, target, merged);
                rowsWritten = merged.size();
                added = written.size();
                appendActions(state, ctx, written, actions);
            }
            TransactionCommitResult result = txn.commit(engine, inMemory(actions));
            for (int i = 0; i < rewritten.size(); i++) {
                deletedRows.put(rewritten.get(i).add.getPath(), new KnownVector(descriptors.get(i).getUniqueId(), vectors.get(i)));
            }
            finish(result);
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

    /** Stands for a live row whose stored values the merge does not need (SCD1 without unchanged TOAST). */
    private static final Object[] UNREAD = new Object[0];

    /**
     * What a batch changes in existing files: the live rows it replaces, and each touched file's new
     * deletion vector (null: every row of the file is deleted, so the file is removed).
     */
    private static final class RowChanges {
        final Map<RowKey, Object[]> live = new HashMap<>();
        final Map<FileEntry, DeletionVectorBitmap> deletes = new LinkedHashMap<>();
        int searched;
    }

    private RowChanges findChanges(FileView view, TableLayout target, List<RowOp> ops) throws IOException {
        RowChanges changes = new RowChanges();
        boolean truncates = RowMerge.truncates(ops);
        boolean scd2 = target.scdType() == ScdType.SCD_TYPE_2;
        if (truncates && !scd2) {
            return everyFileRemoved(view); // every row goes: read nothing
        }
        List<RowKey> touched = new ArrayList<>(RowMerge.touchedKeys(ops));
        touched.sort(null);
        // Stored values are needed for SCD2 (closed versions keep theirs) and for rows an update
        // left TOASTed values out of; every other replaced row is only deleted.
        Set<RowKey> needValues = scd2 ? null : RowMerge.keysNeedingStoredValues(ops);
        for (FileEntry file : view.files(truncates ? null : candidateFilter(touched))) {
            FileKeys keys = keysOf(file, target);
            changes.searched++;
            DeletionVectorBitmap deleted = view.deleted(file);
            List<Integer> hits = new ArrayList<>();
            if (truncates) {
                for (int p = 0; p < keys.rowCount(); p++) {
                    if (keys.isLive(p) && !deleted.contains(p)) {
                        hits.add(p);
                    }
                }
            } else {
                // Only the touched keys within this file's own key range (both lists are sorted).
                for (int i = keys.firstAtOrAbove(touched); i < touched.size() && keys.notAboveLast(touched.get(i)); i++) {
                    hits.addAll(livePositions(keys, touched.get(i), deleted));
                }
            }
            if (hits.isEmpty()) {
                continue;
            }
            DeletionVectorBitmap vector = deleted.copy();
            List<Integer> toRead = new ArrayList<>();
            for (int p : hits) {
                vector.add(p);
                RowKey key = keys.keyAt(p);
                if (needValues == null || needValues.contains(key)) {
                    toRead.add(p);
                } else {
                    changes.live.put(key, UNREAD);
                }
            }
            if (!toRead.isEmpty()) {
                for (Object[] row : readRows(file, target, toRead)) {
                    changes.live.put(target.keyOf(row), row);
                }
            }
            changes.deletes.put(file, vector.cardinality() >= keys.rowCount() ? null : vector);
        }
        return changes;
    }

    /**
     * The stored occurrences a keyless batch removes: for each row, as many live positions holding it
     * as the batch deletes (the first ones found; identical rows are interchangeable). Every file goes
     * when the batch truncates. A delete that finds fewer occurrences than it removes — the table
     * holds fewer copies than the source had — is logged, not failed: it can follow a snapshot whose
     * replayed changes collapsed identical rows ({@link #applyOverSnapshot}).
     */
    private RowChanges findOccurrences(FileView view, TableLayout target, RowMultiset multiset) throws IOException {
        if (multiset.truncates()) {
            return everyFileRemoved(view);
        }
        RowChanges changes = new RowChanges();
        Map<RowKey, Integer> remaining = new HashMap<>(multiset.removals());
        List<RowKey> touched = new ArrayList<>(remaining.keySet());
        touched.sort(null);
        for (FileEntry file : view.files(candidateFilter(touched))) {
            if (remaining.isEmpty()) {
                break;
            }
            FileKeys keys = keysOf(file, target);
            changes.searched++;
            DeletionVectorBitmap deleted = view.deleted(file);
            DeletionVectorBitmap vector = null;
            for (int i = keys.firstAtOrAbove(touched); i < touched.size() && keys.notAboveLast(touched.get(i)); i++) {
                RowKey key = touched.get(i);
                if (!remaining.containsKey(key)) {
                    continue;
                }
                List<Integer> hits = livePositions(keys, key, deleted);
                int take = Math.min(hits.size(), remaining.get(key));
                if (take == 0) {
                    continue;
                }
                if (vector == null) {
                    vector = deleted.copy();
                }
                for (int h = 0; h < take; h++) {
                    vector.add(hits.get(h));
                }
                if (remaining.merge(key, -take, Integer::sum) == 0) {
                    remaining.remove(key);
                }
            }
            if (vector != null) {
                changes.deletes.put(file, vector.cardinality() >= keys.rowCount() ? null : vector);
            }
        }
        if (!remaining.isEmpty()) {
            int missing = remaining.values().stream().mapToInt(Integer::intValue).sum();
            LOG.warnf("table %s: %d deleted rows of this keyless table were not found in it (it held fewer identical copies "
                    + "than the source); run a full refresh if counts differ", source, missing);
        }
        return changes;
    }

    /** The stored rows a batch touches, and the rows it leaves to be written. */
    private record Merge(RowChanges changes, List<Object[]> rows) {
    }

    /**
     * Finds what {@code ops} touch in {@code view} and what is written instead: as a multiset (keyless
     * tables: occurrences removed, the rest appended) or by key (the touched rows merged with the ops).
     */
    private Merge merge(FileView view, TableLayout target, List<RowOp> ops, boolean asMultiset) throws IOException {
        if (asMultiset) {
            RowMultiset multiset = RowMultiset.of(ops);
            return new Merge(findOccurrences(view, target, multiset), multiset.additions());
        }
        RowChanges changes = findChanges(view, target, ops);
        List<Object[]> merged = RowMerge.apply(target, ops, changes.live);
        for (Object[] row : merged) {
            if (row == UNREAD) {
                throw new IllegalStateException("table " + source + ": a row that was not read survived the merge");
            }
        }
        return new Merge(changes, merged);
    }

    /** What a batch that removes every row changes: every file goes, none is read. */
    private RowChanges everyFileRemoved(FileView view) throws IOException {
        RowChanges changes = new RowChanges();
        for (FileEntry file : view.files(null)) {
            changes.deletes.put(file, null);
        }
        return changes;
    }

    /** The positions of a file's live rows holding {@code key} that its deletion vector does not already remove. */
    private static List<Integer> livePositions(FileKeys keys, RowKey key, DeletionVectorBitmap deleted) {
        List<Integer> out = new ArrayList<>();
        keys.positionsOf(key, p -> {
            if (!deleted.contains(p)) {
                out.add(p);
            }
        });
        return out;
    }

    /** The key columns of a data file, from the shared cache or read now. */
    private FileKeys keysOf(FileEntry file, TableLayout target) throws IOException {
        StructType physical = KernelInternals.physicalReadSchema(scanState());
        StructType logical = snapshot.getSchema();
        StructType keySchema = new StructType();
        StringBuilder cacheKey = new StringBuilder(file.add.getPath()).append('|');
        for (int k : target.keyIndexes()) {
            StructField field = physical.at(logical.indexOf(target.schema().at(k).getName()));
            keySchema = keySchema.add(field);
            cacheKey.append(field.getName()).append(',');
        }
        StructType endAt = null;
        if (target.scdType() == ScdType.SCD_TYPE_2) {
            endAt = new StructType().add(physical.at(logical.indexOf(TableLayout.END_AT)));
        }
        String path = tablePath + "/" + cacheKey;
        FileKeys keys = FileKeyCache.SHARED.get(path);
        if (keys == null) {
            keys = FileKeys.read(engine, file.status(), keySchema, endAt);
            FileKeyCache.SHARED.put(path, keys);
        }
        return keys;
    }

    /** A deletion vector this writer committed, kept so that the next batch need not read it back. */
    private record KnownVector(String uniqueId, DeletionVectorBitmap rows) {
    }

    /** The rows a file's current deletion vector removes (empty without one). */
    private DeletionVectorBitmap deletedRowsOf(FileEntry file) throws IOException {
        Optional<DeletionVectorRef> dv = file.add.getDeletionVector();
        if (dv.isEmpty()) {
            return DeletionVectorBitmap.of();
        }
        KnownVector known = deletedRows.get(file.add.getPath());
        if (known != null && known.uniqueId().equals(dv.get().getUniqueId())) {
            return known.rows();
        }
        return KernelInternals.loadDeletionVector(engine, tablePath, dv.get());
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
        private final FileView view = new FileView() {
            @Override
            public List<FileEntry> files(FileFilter filter) throws IOException {
                List<FileEntry> out = new ArrayList<>();
                for (FileEntry f : listFiles(filter)) {
                    if (!files.removes(f)) {
                        out.add(f);
                    }
                }
                StructType physical = KernelInternals.physicalReadSchema(scanState());
                for (StagedFiles.Written w : files.written()) {
                    if (filter == null || filter.mayContain(w.file().add, physical)) {
                        out.add(w.file());
                    }
                }
                return out;
            }

            @Override
            public DeletionVectorBitmap deleted(FileEntry file) throws IOException {
                DeletionVectorBitmap staged = files.deletedOf(file);
                return staged != null ? staged : deletedRowsOf(file);
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
                StructType physical = KernelInternals.physicalSchema(state);
                DataWriteContext ctx = Transaction.getWriteContext(engine, state, Map.of());
                Merge merge = merge(view, target, ops, target.keyless());
                RowChanges changes = merge.changes();
                List<Object[]> merged = merge.rows();
                for (Map.Entry<FileEntry, DeletionVectorBitmap> e : changes.deletes.entrySet()) {
                    FileEntry file = e.getKey();
                    if (!file.staged()) {
                        files.deleteFromExisting(KernelInternals.detached(file.add, physical), e.getValue());
                    } else if (files.deleteFromWritten(file, e.getValue())) {
                        deleteQuietly(file);
                    }
                }
                if (!merged.isEmpty()) {
                    for (DataFileStatus f : write(ctx, physical, statsColumns(ctx, physical, target), target, merged)) {
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
                StructType physical = KernelInternals.physicalSchema(state);
                DataWriteContext ctx = Transaction.getWriteContext(engine, state, Map.of());
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
                List<DeletionVectorRef> descriptors = DeletionVectorFile.write(engine, tablePath, vectors);
                for (int i = 0; i < withVector.size(); i++) {
                    actions.add(KernelInternals.addWithDeletionVector(withVector.get(i), physical, descriptors.get(i),
                            FileStatistics::withoutTightBounds));
                }
                appendActions(state, ctx, plain, actions);
                TransactionCommitResult result = txn.commit(engine, inMemory(actions));
                for (int i = 0; i < withVector.size(); i++) {
                    deletedRows.put(withVector.get(i).getPath(), new KnownVector(descriptors.get(i).getUniqueId(), vectors.get(i)));
                }
                finish(result);
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
            files.writtenFiles().forEach(DeltaTableWriter.this::deleteQuietly);
        }
    }

    /** Deletes a data file no commit references; a failure leaves it for VACUUM. */
    private void deleteQuietly(FileEntry file) {
        try {
            engine.getFileSystemClient().delete(file.status().getPath());
        } catch (IOException | RuntimeException e) {
            LOG.debugf("table %s: could not delete unreferenced file %s: %s", source, file.status().getPath(), e.toString());
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
            this.physical = KernelInternals.physicalSchema(state);
            this.ctx = Transaction.getWriteContext(engine, state, Map.of());
            this.statsColumns = statsColumns(ctx, physical, target);
        }

        public TableLayout layout() {
            return target;
        }

        /** Writes rows (Delta rows of {@link #layout()}) into uncommitted files and returns them. */
        public List<DataFileStatus> write(List<Object[]> batch) {
            try {
                return DeltaTableWriter.this.write(ctx, physical, statsColumns, target, batch);
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
     * transaction identifier: it changes no data), sorted by key and without their deleted rows:
     * <ul>
     *   <li>small files (below {@link WriterSettings#smallFileBytes()}) in size tiers — files within 4x
     *       of each other's size — once a tier holds {@link WriterSettings#compactAfterFiles()} files:
     *       a large file is never rewritten for a few small ones, each row is rewritten O(log n)
     *       times, and the cost of one compaction stays proportional to the tier it merges;</li>
     *   <li>files whose deletion vector removes at least {@link #PURGE_DELETED_FRACTION} of their rows.</li>
     * </ul>
     *
     * @return the outcome, or empty when there was nothing to compact
     */
    public Optional<CommitOutcome> compactIfNeeded() {
        if (snapshot == null) {
            return Optional.empty();
        }
        long start = System.nanoTime();
        try {
            List<FileEntry> chosen = compactionInput(listFiles(null));
            if (chosen.isEmpty()) {
                return Optional.empty();
            }
            Transaction txn = snapshot.buildUpdateTableTransaction(settings.engineInfo(), Operation.WRITE).build(engine);
            Row state = txn.getTransactionState(engine);
            StructType physical = KernelInternals.physicalSchema(state);
            DataWriteContext ctx = Transaction.getWriteContext(engine, state, Map.of());
            List<Column> stats = statsColumns(ctx, physical, layout);
            List<Object[]> rows = new ArrayList<>();
            List<Row> actions = new ArrayList<>();
            for (FileEntry f : chosen) {
                rows.addAll(readRows(f, layout));
                actions.add(KernelInternals.removeAction(f.add, false));
            }
            List<DataFileStatus> written = rows.isEmpty() ? List.of() : write(ctx, physical, stats, layout, rows);
            for (DataFileStatus file : written) {
                actions.add(KernelInternals.addAction(physical, tablePath, file, false));
            }
            TransactionCommitResult result = txn.commit(engine, inMemory(actions));
            chosen.forEach(f -> deletedRows.remove(f.add.getPath()));
            finish(result);
            LOG.infof("table %s: compacted %d files into %d (version %d)", source, chosen.size(), written.size(), result.getVersion());
            return Optional.of(new CommitOutcome(result.getVersion(), rows.size(), written.size(), chosen.size(), 0, millisSince(start)));
        } catch (RuntimeException | IOException e) {
            throw wrap("compact small files", e);
        }
    }

    /** A file whose deletion vector removes at least this fraction of its rows is rewritten by compaction. */
    static final double PURGE_DELETED_FRACTION = 0.3;

    private List<FileEntry> compactionInput(List<FileEntry> files) {
        List<FileEntry> small = new ArrayList<>();
        for (FileEntry f : files) {
            if (f.size < settings.smallFileBytes()) {
                small.add(f);
            }
        }
        // Size tiers: sorted by size, a tier is a run of files within 4x of its smallest one.
        small.sort((x, y) -> Long.compare(x.size, y.size));
        Set<FileEntry> chosen = new LinkedHashSet<>();
        List<FileEntry> tier = new ArrayList<>();
        for (FileEntry f : small) {
            if (!tier.isEmpty() && f.size > 4 * Math.max(1, tier.get(0).size)) {
                if (tier.size() >= settings.compactAfterFiles()) {
                    chosen.addAll(tier);
                }
                tier = new ArrayList<>();
            }
            tier.add(f);
        }
        if (tier.size() >= settings.compactAfterFiles()) {
            chosen.addAll(tier);
        }
        for (FileEntry f : files) {
            Optional<DeletionVectorRef> dv = f.add.getDeletionVector();
            Optional<Long> records = f.add.getNumRecords();
            if (dv.isPresent() && records.isPresent() && records.get() > 0
                    && dv.get().getCardinality() >= PURGE_DELETED_FRACTION * records.get()) {
                chosen.add(f);
            }
        }
        // Bounded memory: the rows of everything chosen are held at once (to be sorted by key).
        List<FileEntry> bounded = new ArrayList<>();
        long rows = 0;
        for (FileEntry f : chosen) {
            long n = f.add.getNumRecords().orElse(Long.MAX_VALUE / 2);
            if (rows + n <= settings.compactMaxRows()) {
                bounded.add(f);
                rows += n;
            }
        }
        return bounded.size() == 1 && bounded.get(0).add.getDeletionVector().isEmpty() ? List.of() : bounded;
    }

    /** Reads every row of the table (tests, verification). */
    public List<Object[]> readAll() {
        requireExists();
        try {
            List<Object[]> rows = new ArrayList<>();
            for (FileEntry f : listFiles(null)) {
                rows.addAll(readRows(f, layout));
            }
            return rows;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Data files of the current version. */
    public int fileCount() {
        try {
            return snapshot == null ? 0 : listFiles(null).size();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * A data file: of the current snapshot (with its scan-file row), or written by a staged commit and
     * not committed yet (no scan-file row; its {@code add} is the one the commit will publish).
     */
    static final class FileEntry {
        final Row scanFileRow;
        final AddedFile add;
        final long size;
        private FileStatus status;

        FileEntry(Row scanFileRow, AddedFile add) {
            this.scanFileRow = scanFileRow;
            this.add = add;
            this.size = add.getSize();
        }

        static FileEntry staged(AddedFile add, DataFileStatus written) {
            FileEntry e = new FileEntry(null, add);
            e.status = written;
            return e;
        }

        boolean staged() {
            return scanFileRow == null;
        }

        FileStatus status() {
            if (status == null) {
                status = KernelInternals.fileStatusOf(scanFileRow);
            }
            return status;
        }
    }

    /** The files a batch's keys are searched in, and the rows each one already deletes. */
    interface FileView {
        List<FileEntry> files(FileFilter filter) throws IOException;

        DeletionVectorBitmap deleted(FileEntry file) throws IOException;
    }

    /** The current snapshot's files with their committed deletion vectors. */
    private final FileView committedFiles = new FileView() {
        @Override
        public List<FileEntry> files(FileFilter filter) throws IOException {
            return listFiles(filter);
        }

        @Override
        public DeletionVectorBitmap deleted(FileEntry file) throws IOException {
            return deletedRowsOf(file);
        }
    };

    /** Decides from a file's statistics whether it may hold one of the touched keys. */
    interface FileFilter {
        boolean mayContain(AddedFile add, StructType physical);
    }

    /**
     * A filter passing the files whose statistics can hold one of {@code touched} (sorted): each key
     * column's value must lie within that column's min/max. The first column picks the range of
     * touched keys to check by binary search; the others are checked per key. A key value that is
     * null, or a column without usable statistics, never excludes a file.
     */
    private FileFilter candidateFilter(List<RowKey> touched) {
        if (touched.isEmpty()) {
            return (add, physical) -> false;
        }
        int[] keyIndexes = layout.keyIndexes();
        StructType logical = snapshot.getSchema();
        int nullFirst = 0;
        while (nullFirst < touched.size() && touched.get(nullFirst).get(0) == null) {
            nullFirst++;
        }
        int firstNonNull = nullFirst;
        return (add, physical) -> {
            Optional<FileStatistics> stats = FileStatistics.of(add);
            if (stats.isEmpty()) {
                return true;
            }
            Object[] lo = new Object[keyIndexes.length];
            Object[] hi = new Object[keyIndexes.length];
            for (int c = 0; c < keyIndexes.length; c++) {
                StructField field = layout.schema().at(keyIndexes[c]);
                String physicalName = physical.at(logical.indexOf(field.getName())).getName();
                // Exact values of the column's type (BigDecimal for decimals, never a double): a bound
                // rounded away from the stored key would exclude the file that holds it.
                lo[c] = stats.get().min(physicalName, field.getDataType());
                hi[c] = stats.get().max(physicalName, field.getDataType());
                if (field.getDataType() instanceof TimestampType || field.getDataType() instanceof TimestampNTZType) {
                    // Delta statistics keep milliseconds: widen to cover the microseconds they dropped.
                    lo[c] = lo[c] == null ? null : ((Number) lo[c]).longValue() - 1000;
                    hi[c] = hi[c] == null ? null : ((Number) hi[c]).longValue() + 1000;
                }
                if (field.getDataType() instanceof StringType && hi[c] != null && ((String) hi[c]).length() >= 32) {
                    hi[c] = null; // possibly a truncated prefix: no upper bound
                }
            }
            for (int i = 0; i < firstNonNull; i++) {
                if (withinBounds(touched.get(i), lo, hi)) {
                    return true;
                }
            }
            int from = lo[0] == null ? firstNonNull : Math.max(firstNonNull, lowerBound(touched, lo[0]));
            for (int i = from; i < touched.size(); i++) {
                RowKey key = touched.get(i);
                if (hi[0] != null && RowKey.compareValues(key.get(0), hi[0]) > 0) {
                    break;
                }
                if (withinBounds(key, lo, hi)) {
                    return true;
                }
            }
            return false;
        };
    }

    private static boolean withinBounds(RowKey key, Object[] lo, Object[] hi) {
        for (int c = 0; c < lo.length; c++) {
            Object v = key.get(c);
            if (v == null) {
                continue;
            }
            if ((lo[c] != null && RowKey.compareValues(v, lo[c]) < 0) || (hi[c] != null && RowKey.compareValues(v, hi[c]) > 0)) {
                return false;
            }
        }
        return true;
    }

    /** The first index of {@code sorted} whose first key value is not below {@code value}. */
    private static int lowerBound(List<RowKey> sorted, Object value) {
        int lo = 0;
        int hi = sorted.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (RowKey.compareValues(sorted.get(mid).get(0), value) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private List<FileEntry> listFiles(FileFilter filter) throws IOException {
        List<FileEntry> out = new ArrayList<>();
        Scan scan = snapshot.getScanBuilder().build(); // a Scan hands out its files once
        StructType physical = KernelInternals.physicalReadSchema(scanState());
        try (CloseableIterator<FilteredColumnarBatch> files = scan.getScanFiles(engine, true)) {
            while (files.hasNext()) {
                try (CloseableIterator<Row> rows = files.next().getRows()) {
                    while (rows.hasNext()) {
                        Row scanFileRow = rows.next();
                        AddedFile add = KernelInternals.addFileOf(scanFileRow);
                        if (filter == null || filter.mayContain(add, physical)) {
                            out.add(new FileEntry(scanFileRow, add));
                        }
                    }
                }
            }
        }
        return out;
    }

    /** The state of a full scan of the current snapshot, built once per snapshot: every file read needs it. */
    private Row scanState() {
        if (scanStateOf != snapshot) {
            scanState = snapshot.getScanBuilder().build().getScanState(engine);
            scanStateOf = snapshot;
        }
        return scanState;
    }

    /** Reads a data file's live rows (its deletion vector applied), reshaped to {@code target}. */
    private List<Object[]> readRows(FileEntry file, TableLayout target) throws IOException {
        return readRows(file, target, null);
    }

    /**
     * Reads rows of a data file, reshaped to {@code target} (columns matched by name, missing ones
     * null): those at the given physical positions, or, when {@code positions} is null, every row its
     * deletion vector keeps.
     */
    private List<Object[]> readRows(FileEntry file, TableLayout target, List<Integer> positions) throws IOException {
        BitSet wanted = null;
        if (positions != null) {
            wanted = new BitSet();
            positions.forEach(wanted::set);
        }
        int position = 0;
        Row scanState = scanState();
        StructType physicalRead = KernelInternals.physicalReadSchema(scanState);
        StructType logical = snapshot.getSchema();
        int[] from = new int[target.columnCount()];
        for (int i = 0; i < from.length; i++) {
            from[i] = logical.indexOf(target.schema().at(i).getName());
        }
        if (file.staged()) {
            return readStagedRows(file, physicalRead, from, wanted);
        }
        List<Object[]> out = new ArrayList<>();
        try (CloseableIterator<FileReadResult> data = engine.getParquetHandler().readParquetFiles(
                CloseableIterators.singleton(file.status()), physicalRead, Optional.empty());
             CloseableIterator<FilteredColumnarBatch> batches = Scan.transformPhysicalData(engine, scanState, file.scanFileRow,
                     data.map(FileReadResult::getData))) {
            while (batches.hasNext()) {
                FilteredColumnarBatch batch = batches.next();
                ColumnarBatch b = batch.getData();
                Optional<ColumnVector> selection = batch.getSelectionVector();
                ColumnVector[] vectors = new ColumnVector[from.length];
                for (int i = 0; i < from.length; i++) {
                    vectors[i] = from[i] < 0 ? null : b.getColumnVector(from[i]);
                }
                int batchStart = position;
                position += b.getSize();
                for (int r = 0; r < b.getSize(); r++) {
                    if (wanted != null ? !wanted.get(batchStart + r)
                            : selection.isPresent() && (selection.get().isNullAt(r) || !selection.get().getBoolean(r))) {
                        continue;
                    }
                    Object[] row = new Object[from.length];
                    for (int i = 0; i < from.length; i++) {
                        row[i] = vectors[i] == null ? null : VectorValues.get(vectors[i], r);
                    }
                    out.add(row);
                }
            }
        }
        return out;
    }

    /**
     * Reads the rows at {@code wanted} positions of a file a staged commit wrote: in the current
     * physical schema (columns by position, as the transaction that wrote it laid them out; a column
     * added since reads as null), no deletion vector to apply (the positions are live by construction).
     */
    private List<Object[]> readStagedRows(FileEntry file, StructType physicalRead, int[] from, BitSet wanted) throws IOException {
        if (wanted == null) {
            throw new IllegalStateException("a staged file is read by position only: " + file.add.getPath());
        }
        List<Object[]> out = new ArrayList<>();
        int position = 0;
        try (CloseableIterator<FileReadResult> data = engine.getParquetHandler().readParquetFiles(
                CloseableIterators.singleton(file.status()), physicalRead, Optional.empty())) {
            while (data.hasNext()) {
                ColumnarBatch b = data.next().getData();
                for (int r = 0; r < b.getSize(); r++) {
                    if (!wanted.get(position + r)) {
                        continue;
                    }
                    Object[] row = new Object[from.length];
                    for (int i = 0; i < from.length; i++) {
                        row[i] = from[i] < 0 ? null : VectorValues.get(b.getColumnVector(from[i]), r);
                    }
                    out.add(row);
                }
                position += b.getSize();
            }
        }
        return out;
    }

    /** Writes rows sorted by key into one or more files (split at the engine's target file size). */
    private List<DataFileStatus> write(DataWriteContext ctx, StructType physical, List<Column> statsColumns, TableLayout target,
                                       List<Object[]> rows) throws IOException {
        // Keys computed once per row, not once per comparison.
        List<Map.Entry<RowKey, Object[]>> keyed = new ArrayList<>(rows.size());
        for (Object[] row : rows) {
            keyed.add(Map.entry(target.keyOf(row), row));
        }
        keyed.sort((a, b) -> {
            int c = a.getKey().compareTo(b.getKey());
            if (c != 0 || target.scdType() != ScdType.SCD_TYPE_2) {
                return c;
            }
            return RowKey.compareValues(a.getValue()[target.startAtIndex()], b.getValue()[target.startAtIndex()]);
        });
        List<Object[]> sorted = new ArrayList<>(keyed.size());
        keyed.forEach(e -> sorted.add(e.getValue()));
        int per = settings.rowsPerBatch();
        List<FilteredColumnarBatch> batches = new ArrayList<>();
        for (int i = 0; i < sorted.size(); i += per) {
            batches.add(new FilteredColumnarBatch(new RowBatch(physical, sorted.subList(i, Math.min(sorted.size(), i + per))),
                    Optional.empty()));
        }
        List<DataFileStatus> out = new ArrayList<>();
        try (CloseableIterator<DataFileStatus> files = engine.getParquetHandler().writeParquetFiles(ctx.getTargetDirectory(),
                CloseableIterators.of(batches.iterator()), statsColumns)) {
            files.forEachRemaining(f -> out.add(FileStatistics.exactOnly(f, physical)));
        }
        return out;
    }

    private void appendActions(Row state, DataWriteContext ctx, List<DataFileStatus> files, List<Row> actions) {
        try (CloseableIterator<Row> rows = Transaction.generateAppendActions(engine, state,
                CloseableIterators.of(files.iterator()), ctx)) {
            rows.forEachRemaining(actions::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Kernel's default statistics columns plus every key column (copy-on-write prunes on them). */
    private static List<Column> statsColumns(DataWriteContext ctx, StructType physical, TableLayout target) {
        Set<Column> columns = new LinkedHashSet<>(ctx.getStatisticsColumns());
        for (int k : target.keyIndexes()) {
            columns.add(new Column(physical.at(k).getName()));
        }
        return new ArrayList<>(columns);
    }

    private void finish(TransactionCommitResult result) {
        for (PostCommitHook hook : result.getPostCommitHooks()) {
            if (hook.getType() == PostCommitHook.PostCommitHookType.CHECKPOINT) {
                // A checkpoint takes ~0.5 s and nothing waits for it (the next commit reads the log
                // either way): written off the apply thread, one at a time per process. Its files
                // are written atomically, so a crash meanwhile leaves the previous checkpoint.
                CHECKPOINTS.execute(() -> runHook(hook, result.getVersion()));
            } else {
                // Checksums stay in line: the next commit's simple checksum builds on this one's.
                runHook(hook, result.getVersion());
            }
        }
        Optional<Snapshot> post = result.getPostCommitSnapshot();
        if (post.isPresent()) {
            snapshot = post.get();
            layout = TableLayout.existing(source, snapshot.getSchema(), snapshot.getTableProperties());
        } else {
            reload();
        }
    }

    private void runHook(PostCommitHook hook, long version) {
        try {
            hook.threadSafeInvoke(engine);
        } catch (IOException | RuntimeException e) {
            // A checkpoint or checksum that fails leaves the table correct, only slower to load.
            LOG.warnf("table %s: post-commit hook %s after version %d failed: %s", source, hook.getType(), version, e.toString());
            LOG.debugf(e, "post-commit hook failure");
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
