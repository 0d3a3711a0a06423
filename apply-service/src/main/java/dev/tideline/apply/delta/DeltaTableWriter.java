package dev.tideline.apply.delta;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
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
import io.delta.kernel.exceptions.TableNotFoundException;
import io.delta.kernel.expressions.Column;
import io.delta.kernel.expressions.Literal;
import io.delta.kernel.hook.PostCommitHook;
import io.delta.kernel.internal.actions.AddFile;
import io.delta.kernel.internal.util.Utils;
import io.delta.kernel.statistics.DataFileStatistics;
import io.delta.kernel.transaction.UpdateTableTransactionBuilder;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampNTZType;
import io.delta.kernel.types.TimestampType;
import io.delta.kernel.utils.CloseableIterable;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.DataFileStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Writes one destination Delta table with Delta Kernel: create, copy-on-write apply of row
 * operations, atomic replace (full refresh), small-file compaction.
 *
 * <p><b>Exactly once.</b> Every data commit carries Kernel's transaction identifier
 * ({@code appId}, version = commit LSN of the last source transaction it contains); Kernel refuses
 * a commit whose version is not above the recorded one, and {@link #appliedLsn()} reads it back so
 * that callers skip what is already applied. A replace records the snapshot's id and LSN as table
 * properties ({@link #SNAPSHOT_ID_PROPERTY}, {@link #SNAPSHOT_LSN_PROPERTY}).
 *
 * <p><b>Copy-on-write.</b> Only files whose key statistics (min/max of the first key column) can
 * hold a touched key are read; of those, only files that do hold one are rewritten, each into one
 * file with its untouched rows and the new versions of its keys, sorted by key. Rows of keys found in
 * no file go to new files, sorted by key, so files keep narrow key ranges.
 *
 * <p><b>Tables</b> are created with column mapping ({@code delta.columnMapping.mode=name}), which
 * lets Kernel add columns; Tideline writes the physical column names itself (Kernel's
 * {@code transformLogicalData} refuses column-mapped tables). No change data feed (Kernel cannot
 * write {@code _change_data} files and refuses copy-on-write commits on CDF tables), no deletion
 * vectors.
 *
 * <p>Not thread-safe; one writer per table (Kernel's conflict detection does not cover
 * copy-on-write against concurrent writers).
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

    private static final Logger LOG = Logger.getLogger(DeltaTableWriter.class);

    private final Engine engine;
    private final String tablePath;
    private final String appId;
    private final TableId source;
    private final WriterSettings settings;

    private Snapshot snapshot;
    private TableLayout layout;

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

    /** Creates the (empty) table with this layout; version 0. */
    public CommitOutcome create(TableLayout newLayout) {
        long start = System.nanoTime();
        try {
            Transaction txn = TableManager.buildCreateTableTransaction(tablePath, newLayout.schema(), settings.engineInfo())
                    .withTableProperties(tableProperties(newLayout, Map.of()))
                    .build(engine);
            TransactionCommitResult result = txn.commit(engine, CloseableIterable.emptyIterable());
            finish(result);
            return new CommitOutcome(result.getVersion(), 0, 0, 0, millisSince(start));
        } catch (RuntimeException e) {
            throw wrap("create the table", e);
        }
    }

    private static Map<String, String> tableProperties(TableLayout layout, Map<String, String> extra) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("delta.columnMapping.mode", "name");
        props.putAll(layout.properties());
        props.putAll(extra);
        return props;
    }

    /**
     * Applies row operations in one commit with transaction identifier version {@code commitLsn}.
     *
     * @param target the layout to write with: the current one, or one {@link TableLayout#evolve evolved}
     *               from it (then the commit also updates the schema)
     * @param ops    operations in source order; rows are of {@code target}
     * @return the outcome, or empty when the table already holds {@code commitLsn} (a replay:
     *         nothing was committed)
     */
    public Optional<CommitOutcome> apply(TableLayout target, List<RowOp> ops, Lsn commitLsn) {
        requireExists();
        long start = System.nanoTime();
        if (!commitLsn.isAfter(appliedLsn())) {
            return Optional.empty();
        }
        try {
            UpdateTableTransactionBuilder builder = snapshot.buildUpdateTableTransaction(settings.engineInfo(), Operation.WRITE)
                    .withTransactionId(appId, commitLsn.value());
            if (!target.schema().equals(layout.schema())) {
                builder = builder.withUpdatedSchema(target.schema());
            }
            Transaction txn = builder.build(engine);
            Row state = txn.getTransactionState(engine);
            StructType physical = KernelInternals.physicalSchema(state);
            DataWriteContext ctx = Transaction.getWriteContext(engine, state, Map.of());
            List<Column> statsColumns = statsColumns(ctx, physical, target);

            List<Row> actions = new ArrayList<>();
            long rowsWritten = 0;
            int added = 0;
            int removed = 0;

            Set<RowKey> touched = RowMerge.touchedKeys(ops);
            boolean truncates = RowMerge.truncates(ops);
            List<FileEntry> candidates = truncates ? listFiles(null) : listFiles(candidateFilter(touched));

            // Load the live rows of touched keys (all live rows on TRUNCATE), remembering their files.
            Map<RowKey, Object[]> live = new HashMap<>();
            Map<RowKey, FileEntry> origin = new HashMap<>();
            Map<FileEntry, List<Object[]>> kept = new IdentityHashMap<>();
            List<FileEntry> rewritten = new ArrayList<>();
            for (FileEntry file : candidates) {
                List<Object[]> rows = readRows(file, target);
                List<Object[]> keep = new ArrayList<>(rows.size());
                boolean hit = false;
                for (Object[] row : rows) {
                    RowKey key = target.keyOf(row);
                    if (RowMerge.isLive(target, row) && (truncates || touched.contains(key))) {
                        live.put(key, row);
                        origin.put(key, file);
                        hit = true;
                    } else {
                        keep.add(row);
                    }
                }
                if (hit) {
                    rewritten.add(file);
                    kept.put(file, keep);
                }
            }

            List<Object[]> merged = RowMerge.apply(target, ops, live);
            Map<FileEntry, List<Object[]>> perFile = new IdentityHashMap<>();
            List<Object[]> fresh = new ArrayList<>();
            for (FileEntry file : rewritten) {
                perFile.put(file, new ArrayList<>(kept.get(file)));
            }
            for (Object[] row : merged) {
                FileEntry from = truncates ? null : origin.get(target.keyOf(row));
                if (from != null) {
                    perFile.get(from).add(row);
                } else {
                    fresh.add(row);
                }
            }
            if (truncates) {
                // After a TRUNCATE the surviving rows (SCD2 history) and the new ones are all new files.
                for (FileEntry file : rewritten) {
                    fresh.addAll(perFile.remove(file));
                }
            }
            for (FileEntry file : rewritten) {
                actions.add(KernelInternals.removeAction(file.add, true));
                removed++;
                List<Object[]> rows = perFile.get(file);
                if (rows != null && !rows.isEmpty()) {
                    List<DataFileStatus> written = write(ctx, physical, statsColumns, target, rows);
                    rowsWritten += rows.size();
                    added += written.size();
                    appendActions(state, ctx, written, actions);
                }
            }
            if (!fresh.isEmpty()) {
                List<DataFileStatus> written = write(ctx, physical, statsColumns, target, fresh);
                rowsWritten += fresh.size();
                added += written.size();
                appendActions(state, ctx, written, actions);
            }
            TransactionCommitResult result = txn.commit(engine, inMemory(actions));
            finish(result);
            return Optional.of(new CommitOutcome(result.getVersion(), rowsWritten, added, removed, millisSince(start)));
        } catch (ConcurrentTransactionException e) {
            // Another writer (or an earlier run of ours) recorded this LSN meanwhile: already applied.
            LOG.infof("table %s: transaction %s already recorded; skipping (%s)", source, commitLsn, e.getMessage());
            reload();
            return Optional.empty();
        } catch (TidelineException e) {
            throw e;
        } catch (RuntimeException | IOException e) {
            throw wrap("apply changes up to " + commitLsn, e);
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
                return new CommitOutcome(result.getVersion(), rows, files.size(), 0, millisSince(start));
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
                txn = ((io.delta.kernel.internal.SnapshotImpl) snapshot).buildReplaceTableTransaction(target.schema(),
                        settings.engineInfo()).withTableProperties(props).build(engine);
            }
            return new Replacement(txn, target);
        } catch (RuntimeException e) {
            throw wrap("start the full refresh", e);
        }
    }

    /**
     * Rewrites small files (below {@link WriterSettings#smallFileBytes()}) into few large ones, sorted
     * by key, when at least {@link WriterSettings#compactAfterFiles()} exist. The commit is marked
     * {@code dataChange=false}: readers of changes skip it. Carries no transaction identifier.
     *
     * @return the outcome, or empty when there was nothing to compact
     */
    public Optional<CommitOutcome> compactIfNeeded() {
        if (snapshot == null) {
            return Optional.empty();
        }
        long start = System.nanoTime();
        try {
            List<FileEntry> small = new ArrayList<>();
            for (FileEntry f : listFiles(null)) {
                if (f.size < settings.smallFileBytes()) {
                    small.add(f);
                }
            }
            if (small.size() < settings.compactAfterFiles()) {
                return Optional.empty();
            }
            Transaction txn = snapshot.buildUpdateTableTransaction(settings.engineInfo(), Operation.WRITE).build(engine);
            Row state = txn.getTransactionState(engine);
            StructType physical = KernelInternals.physicalSchema(state);
            DataWriteContext ctx = Transaction.getWriteContext(engine, state, Map.of());
            List<Column> stats = statsColumns(ctx, physical, layout);
            List<Object[]> rows = new ArrayList<>();
            List<Row> actions = new ArrayList<>();
            for (FileEntry f : small) {
                rows.addAll(readRows(f, layout));
                actions.add(KernelInternals.removeAction(f.add, false));
            }
            List<DataFileStatus> written = write(ctx, physical, stats, layout, rows);
            for (DataFileStatus file : written) {
                actions.add(KernelInternals.addAction(physical, tablePath, file, false));
            }
            TransactionCommitResult result = txn.commit(engine, inMemory(actions));
            finish(result);
            LOG.infof("table %s: compacted %d small files into %d (version %d)", source, small.size(), written.size(),
                    result.getVersion());
            return Optional.of(new CommitOutcome(result.getVersion(), rows.size(), written.size(), small.size(), millisSince(start)));
        } catch (RuntimeException | IOException e) {
            throw wrap("compact small files", e);
        }
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

    /** A data file of the current snapshot with the key range its statistics give. */
    private static final class FileEntry {
        final Row scanFileRow;
        final AddFile add;
        final long size;

        FileEntry(Row scanFileRow, AddFile add) {
            this.scanFileRow = scanFileRow;
            this.add = add;
            this.size = add.getSize();
        }
    }

    /** Decides from a file's statistics whether it may hold one of the touched keys. */
    private interface FileFilter {
        boolean mayContain(AddFile add, StructType physical);
    }

    private FileFilter candidateFilter(Set<RowKey> touched) {
        if (touched.isEmpty()) {
            return (add, physical) -> false;
        }
        int keyIndex = layout.keyIndexes()[0];
        StructField keyField = layout.schema().at(keyIndex);
        List<Object> firstValues = new ArrayList<>(touched.size());
        for (RowKey k : touched) {
            firstValues.add(k.get(0));
        }
        firstValues.sort(RowKey::compareValues);
        return (add, physical) -> {
            String physicalName = physical.at(keyIndex).getName();
            Optional<DataFileStatistics> stats = KernelInternals.statsOf(add, physical);
            if (stats.isEmpty()) {
                return true;
            }
            Literal min = stats.get().getMinValues().get(new Column(physicalName));
            Literal max = stats.get().getMaxValues().get(new Column(physicalName));
            if (min == null || max == null || min.getValue() == null || max.getValue() == null) {
                return true;
            }
            Object lo = min.getValue();
            Object hi = max.getValue();
            if (keyField.getDataType() instanceof TimestampType || keyField.getDataType() instanceof TimestampNTZType) {
                // Delta statistics keep milliseconds: widen to cover the microseconds they dropped.
                lo = ((Number) lo).longValue() - 1000;
                hi = ((Number) hi).longValue() + 1000;
            }
            if (keyField.getDataType() instanceof StringType && ((String) hi).length() >= 32) {
                hi = null; // possibly a truncated prefix: no upper bound
            }
            int i = lowerBound(firstValues, lo);
            return i < firstValues.size() && (hi == null || RowKey.compareValues(firstValues.get(i), hi) <= 0);
        };
    }

    private static int lowerBound(List<Object> sorted, Object value) {
        int lo = 0;
        int hi = sorted.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (RowKey.compareValues(sorted.get(mid), value) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private List<FileEntry> listFiles(FileFilter filter) throws IOException {
        List<FileEntry> out = new ArrayList<>();
        Scan scan = snapshot.getScanBuilder().build();
        StructType physical = KernelInternals.physicalReadSchema(scan.getScanState(engine));
        try (CloseableIterator<FilteredColumnarBatch> files = scan.getScanFiles(engine, true)) {
            while (files.hasNext()) {
                try (CloseableIterator<Row> rows = files.next().getRows()) {
                    while (rows.hasNext()) {
                        Row scanFileRow = rows.next();
                        AddFile add = KernelInternals.addFileOf(scanFileRow);
                        if (filter == null || filter.mayContain(add, physical)) {
                            out.add(new FileEntry(scanFileRow, add));
                        }
                    }
                }
            }
        }
        return out;
    }

    /** Reads a data file's rows, reshaped to {@code target} (columns matched by name, missing ones null). */
    private List<Object[]> readRows(FileEntry file, TableLayout target) throws IOException {
        Scan scan = snapshot.getScanBuilder().build();
        Row scanState = scan.getScanState(engine);
        StructType physicalRead = KernelInternals.physicalReadSchema(scanState);
        StructType logical = snapshot.getSchema();
        int[] from = new int[target.columnCount()];
        for (int i = 0; i < from.length; i++) {
            from[i] = logical.indexOf(target.schema().at(i).getName());
        }
        List<Object[]> out = new ArrayList<>();
        try (CloseableIterator<FileReadResult> data = engine.getParquetHandler().readParquetFiles(
                Utils.singletonCloseableIterator(KernelInternals.fileStatusOf(file.scanFileRow)), physicalRead, Optional.empty());
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
                for (int r = 0; r < b.getSize(); r++) {
                    if (selection.isPresent() && (selection.get().isNullAt(r) || !selection.get().getBoolean(r))) {
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

    /** Writes rows sorted by key into one or more files (split at the engine's target file size). */
    private List<DataFileStatus> write(DataWriteContext ctx, StructType physical, List<Column> statsColumns, TableLayout target,
                                       List<Object[]> rows) throws IOException {
        List<Object[]> sorted = new ArrayList<>(rows);
        sorted.sort((a, b) -> {
            int c = target.keyOf(a).compareTo(target.keyOf(b));
            if (c != 0 || target.scdType() != ScdType.SCD_TYPE_2) {
                return c;
            }
            return RowKey.compareValues(a[target.startAtIndex()], b[target.startAtIndex()]);
        });
        int per = settings.rowsPerBatch();
        List<FilteredColumnarBatch> batches = new ArrayList<>();
        for (int i = 0; i < sorted.size(); i += per) {
            batches.add(new FilteredColumnarBatch(new RowBatch(physical, sorted.subList(i, Math.min(sorted.size(), i + per))),
                    Optional.empty()));
        }
        List<DataFileStatus> out = new ArrayList<>();
        try (CloseableIterator<DataFileStatus> files = engine.getParquetHandler().writeParquetFiles(ctx.getTargetDirectory(),
                Utils.toCloseableIterator(batches.iterator()), statsColumns)) {
            files.forEachRemaining(out::add);
        }
        return out;
    }

    private void appendActions(Row state, DataWriteContext ctx, List<DataFileStatus> files, List<Row> actions) {
        try (CloseableIterator<Row> rows = Transaction.generateAppendActions(engine, state,
                Utils.toCloseableIterator(files.iterator()), ctx)) {
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
            try {
                hook.threadSafeInvoke(engine);
            } catch (IOException | RuntimeException e) {
                // A checkpoint or checksum that fails leaves the table correct, only slower to load.
                LOG.warnf("table %s: post-commit hook %s after version %d failed: %s", source, hook.getType(), result.getVersion(),
                        e.toString());
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

    private void requireExists() {
        if (snapshot == null) {
            throw new IllegalStateException("table " + tablePath + " does not exist yet");
        }
    }

    private static <T> CloseableIterable<T> inMemory(List<T> items) {
        return CloseableIterable.inMemoryIterable(Utils.toCloseableIterator(items.iterator()));
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    private TidelineException wrap(String operation, Exception e) {
        if (e instanceof TidelineException t) {
            return t;
        }
        boolean io = e instanceof IOException || e instanceof UncheckedIOException
                || (e.getCause() instanceof IOException);
        return new TidelineException(io ? TidelineException.Kind.RETRYABLE : TidelineException.Kind.FATAL,
                "Delta table " + tablePath + " (source " + source + "): could not " + operation + ": " + e,
                io ? "check that the warehouse storage is reachable and writable; apply retries"
                        : "this is a bug or an incompatible table; run a full refresh of the table if it persists", e);
    }
}
