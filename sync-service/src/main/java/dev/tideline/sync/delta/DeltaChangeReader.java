package dev.tideline.sync.delta;

import dev.tideline.core.TidelineException;
import dev.tideline.sync.types.ColumnIdentity;
import dev.tideline.sync.types.CopyRowEncoder;
import dev.tideline.sync.types.RowKey;
import io.delta.kernel.CommitActions;
import io.delta.kernel.CommitRange;
import io.delta.kernel.CommitRangeBuilder.CommitBoundary;
import io.delta.kernel.Snapshot;
import io.delta.kernel.TableManager;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.exceptions.KernelException;
import io.delta.kernel.internal.DeltaLogActionUtils.DeltaAction;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Reads the row changes of a Delta table between two versions, following the Delta protocol's
 * change data rules, for any writer (Tideline, Spark, Databricks):
 * <ul>
 *   <li>a version with {@code cdc} actions: its change data files are the changes
 *       ({@code insert}/{@code update_postimage} → upsert, {@code delete} → delete,
 *       {@code update_preimage} ignored);</li>
 *   <li>otherwise: the rows of its removed files (each read with the deletion vector the remove
 *       carries) and of its added files (with theirs) compared by primary key — a key only in the
 *       removed rows is deleted, a key in the added rows whose row is new or different is upserted,
 *       identical rows (a deletion-vector rewrite, a compaction) are no change. A file removed and
 *       re-added under the same path with a deletion vector that contains its old one is not read
 *       whole: only the keys at the newly deleted positions count as removed rows
 *       ({@link DeletionVectorRewrite}).</li>
 * </ul>
 * Actions with {@code dataChange=false} (OPTIMIZE, compaction) carry no row change and are skipped.
 * Versions are folded in order, so the result is the net change per key. Checkpoints and log
 * compaction are Kernel's business: the commit range reads the individual commit files, which must
 * still exist (see {@link #plan}).
 */
public final class DeltaChangeReader {

    static final String CHANGE_TYPE = "_change_type";
    private static final StructField CHANGE_TYPE_COLUMN = new StructField(CHANGE_TYPE, StringType.STRING, true);

    private final DeltaSource source;
    private final int parallelism;

    /** A reader that reads up to 2 data files of a version at once. */
    public DeltaChangeReader(DeltaSource source) {
        this(source, 2);
    }

    /** @param parallelism data files of one version read at once (each file on its own thread) */
    public DeltaChangeReader(DeltaSource source, int parallelism) {
        this.source = source;
        this.parallelism = Math.max(1, parallelism);
    }

    /**
     * Lists the file actions of versions {@code (fromVersion, to]}.
     *
     * @throws ChangesUnavailableException when the commit files of that range are gone (log
     *                                     retention) or unreadable, so only a snapshot can catch up
     */
    public ChangePlan plan(long fromVersion, Snapshot to) {
        List<ChangePlan.VersionFiles> versions = new ArrayList<>();
        if (to.getVersion() <= fromVersion) {
            return new ChangePlan(fromVersion, to, versions);
        }
        CommitRange range;
        try {
            range = TableManager.loadCommitRange(source.tablePath(), CommitBoundary.atVersion(fromVersion + 1))
                    .withEndBoundary(CommitBoundary.atVersion(to.getVersion()))
                    .build(source.engine());
        } catch (KernelException e) {
            throw new ChangesUnavailableException("the commits of " + source.tableName() + " from version " + (fromVersion + 1)
                    + " to " + to.getVersion() + " cannot be read (" + e.getMessage() + ")", e);
        }
        Set<DeltaAction> wanted = Set.of(DeltaAction.ADD, DeltaAction.REMOVE, DeltaAction.CDC);
        List<String> partitionColumns = physicalPartitionColumns(to);
        // Kernel validates the range against the protocol and metadata of its first version.
        Snapshot start = fromVersion + 1 == to.getVersion() ? to : source.at(fromVersion + 1);
        try (CloseableIterator<CommitActions> commits = range.getCommitActions(source.engine(), start, wanted)) {
            while (commits.hasNext()) {
                try (CommitActions commit = commits.next()) {
                    List<ChangePlan.FileAction> added = new ArrayList<>();
                    List<ChangePlan.FileAction> removed = new ArrayList<>();
                    List<ChangePlan.FileAction> cdc = new ArrayList<>();
                    try (CloseableIterator<ColumnarBatch> batches = commit.getActions()) {
                        while (batches.hasNext()) {
                            collect(batches.next(), partitionColumns, added, removed, cdc);
                        }
                    }
                    if (!added.isEmpty() || !removed.isEmpty() || !cdc.isEmpty()) {
                        versions.add(new ChangePlan.VersionFiles(commit.getVersion(), added, removed, cdc));
                    }
                }
            }
        } catch (KernelException e) {
            throw new ChangesUnavailableException("the commits of " + source.tableName() + " from version " + (fromVersion + 1)
                    + " to " + to.getVersion() + " cannot be read (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e);
        }
        return new ChangePlan(fromVersion, to, versions);
    }

    /** The partition columns of a snapshot by physical name, the keys of its file actions' {@code partitionValues}. */
    private static List<String> physicalPartitionColumns(Snapshot snapshot) {
        List<String> out = new ArrayList<>();
        StructType schema = snapshot.getSchema();
        for (String name : snapshot.getPartitionColumnNames()) {
            for (StructField field : schema.fields()) {
                if (field.getName().equalsIgnoreCase(name)) {
                    out.add(ColumnIdentity.of(field)); // a primitive column: its identity is its physical name
                }
            }
        }
        return out;
    }

    private static void collect(ColumnarBatch batch, List<String> partitionColumns, List<ChangePlan.FileAction> added,
            List<ChangePlan.FileAction> removed, List<ChangePlan.FileAction> cdc) {
        StructType schema = batch.getSchema();
        int addOrdinal = schema.indexOf("add");
        int removeOrdinal = schema.indexOf("remove");
        int cdcOrdinal = schema.indexOf("cdc");
        try (CloseableIterator<Row> rows = batch.getRows()) {
            while (rows.hasNext()) {
                Row row = rows.next();
                if (addOrdinal >= 0 && !row.isNullAt(addOrdinal)) {
                    fileAction(row.getStruct(addOrdinal), partitionColumns, added);
                }
                if (removeOrdinal >= 0 && !row.isNullAt(removeOrdinal)) {
                    fileAction(row.getStruct(removeOrdinal), partitionColumns, removed);
                }
                if (cdcOrdinal >= 0 && !row.isNullAt(cdcOrdinal)) {
                    fileAction(row.getStruct(cdcOrdinal), partitionColumns, cdc);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void fileAction(Row action, List<String> partitionColumns, List<ChangePlan.FileAction> into) {
        StructType s = action.getSchema();
        int dataChange = s.indexOf("dataChange");
        if (dataChange >= 0 && !action.isNullAt(dataChange) && !action.getBoolean(dataChange)) {
            return; // a rewrite without logical change (OPTIMIZE, compaction)
        }
        int size = s.indexOf("size");
        int partitionValues = s.indexOf("partitionValues");
        int dv = s.indexOf("deletionVector");
        into.add(new ChangePlan.FileAction(
                action.getString(s.indexOf("path")),
                KernelFiles.partitionValues(partitionValues >= 0 && !action.isNullAt(partitionValues) ? action.getMap(partitionValues) : null,
                        partitionColumns),
                size >= 0 && !action.isNullAt(size) ? action.getLong(size) : 0L,
                dv >= 0 && !action.isNullAt(dv) ? action.getStruct(dv) : null));
    }

    /**
     * Reads the rows the plan names and folds them into the net change per primary key.
     *
     * @param encoder       encodes rows and keys of the target's columns (bound per batch here)
     * @param timeseriesKey whether the synced table has a timeseries key (duplicates keep the latest row)
     * @throws TidelineException NEEDS_OPERATOR naming the key when a version adds two rows with one
     *                           primary key and there is no timeseries key
     */
    public RowChanges read(ChangePlan plan, CopyRowEncoder encoder, boolean timeseriesKey) {
        RowChanges changes = new RowChanges();
        if (plan.versions().isEmpty()) {
            return changes;
        }
        Row scanState = plan.to().getScanBuilder().build().getScanState(source.engine());
        String root = KernelFiles.tableRoot(scanState);
        KeyScan keyScan = new KeyScan(plan.to(), encoder);
        for (ChangePlan.VersionFiles version : plan.versions()) {
            Map<RowKey, RowChanges.Pending> upserts = new HashMap<>();
            Set<RowKey> deletes = new HashSet<>();
            if (version.usesChangeDataFiles()) {
                for (ChangePlan.FileAction f : version.cdc()) {
                    readCdc(scanState, root, f, encoder, timeseriesKey, version.version(), upserts, deletes, changes);
                }
            } else {
                readFileDiff(scanState, root, version, encoder, timeseriesKey, keyScan, upserts, deletes, changes);
            }
            List<RowKey> deleted = new ArrayList<>();
            for (RowKey key : deletes) {
                // A key both deleted and inserted by one version (a CDC delete + insert) replaced a row: not new.
                RowChanges.Pending written = upserts.computeIfPresent(key,
                        (k, p) -> p.insert() ? new RowChanges.Pending(p.row(), p.timeseries(), false) : p);
                if (written == null) {
                    deleted.add(key);
                }
            }
            // The version's upserts and deletes have no key in common, so their order does not matter;
            // upserts first lets the first version's map be taken over whole.
            changes.upsertAll(upserts);
            for (RowKey key : deleted) {
                changes.delete(key);
                if (timeseriesKey) {
                    changes.markDeleteUnderTimeseriesKey();
                }
            }
        }
        return changes;
    }

    /**
     * A version without change data files: its removed rows compared by key with its added rows. A
     * key only among the removed rows is deleted; an added row is written unless an identical row
     * was removed (a rewrite without change), and is an insert when no removed row had its key.
     *
     * <p>A deletion-vector rewrite of a file ({@link DeletionVectorRewrite}) whose new vector
     * contains the old one contributes only the keys at the newly deleted positions, as removed
     * rows without content: the rest of the file did not change, so neither side of it is read. Such
     * a key is deleted, or updated when an added file has it (never "rewritten unchanged": the row is
     * not compared, an update to identical values is written again). Any other pair is read whole.
     */
    private void readFileDiff(Row scanState, String root, ChangePlan.VersionFiles version, CopyRowEncoder encoder, boolean timeseriesKey,
            KeyScan keyScan, Map<RowKey, RowChanges.Pending> upserts, Set<RowKey> deletes, RowChanges changes) {
        Set<ChangePlan.FileAction> rewritten = Collections.newSetFromMap(new IdentityHashMap<>());
        List<FileRead> removedReads = new ArrayList<>();
        for (DeletionVectorRewrite pair : DeletionVectorRewrite.of(version)) {
            long[] gone = pair.newlyDeleted(source.engine(), root);
            if (gone != null) {
                rewritten.add(pair.removed());
                rewritten.add(pair.added());
                if (gone.length > 0) {
                    removedReads.add(new FileRead(pair.removed(), gone, keyScan.state()));
                }
            }
        }
        for (ChangePlan.FileAction f : version.removed()) {
            if (!rewritten.contains(f)) {
                removedReads.add(new FileRead(f, null, scanState));
            }
        }
        List<FileRead> reads = new ArrayList<>(removedReads);
        for (ChangePlan.FileAction f : version.added()) {
            if (!rewritten.contains(f)) {
                reads.add(new FileRead(f, null, scanState));
            }
        }
        // Removed and added files are read together, so both sides of the diff use all readers at once.
        List<List<Image>> images = readImages(root, reads, encoder, timeseriesKey, changes);
        // One entry per key of the diff, holding its removed row(s) and its added row: each row costs one
        // look-up, and the classification then walks the entries without any.
        int rows = 0;
        for (List<Image> file : images) {
            rows += file.size();
        }
        Map<RowKey, KeyDiff> diff = new HashMap<>(rows * 4 / 3 + 1);
        for (List<Image> file : images.subList(0, removedReads.size())) {
            for (Image image : file) {
                KeyDiff d = diff.putIfAbsent(image.key(), new KeyDiff(image));
                if (d != null) {
                    d.removedAgain(image); // two removed rows with one key: only possible with a timeseries key
                }
            }
        }
        Set<ByteBuffer> addedRows = new HashSet<>();
        for (List<Image> file : images.subList(removedReads.size(), images.size())) {
            for (Image image : file) {
                KeyDiff d = diff.get(image.key());
                if (d == null) {
                    diff.put(image.key(), KeyDiff.added(image));
                } else if (d.added == null) {
                    d.added = image;
                } else {
                    d.added = later(d.added, image, encoder, timeseriesKey, version.version());
                }
                if (timeseriesKey) {
                    addedRows.add(ByteBuffer.wrap(image.row()));
                }
            }
        }
        for (KeyDiff d : diff.values()) {
            if (d.added == null) {
                deletes.add(d.removed.key());
                continue;
            }
            RowChanges.Pending now = new RowChanges.Pending(d.added.row(), d.added.ts(), d.removed == null);
            boolean existedBefore = false;
            for (Image removed : d.removedRows()) {
                // A key read without its row (deletion-vector rewrite) is never taken as unchanged.
                existedBefore |= removed.row() != null && Arrays.equals(removed.row(), now.row());
                if (timeseriesKey && (removed.row() == null || !addedRows.contains(ByteBuffer.wrap(removed.row())))
                        && supersedes(removed.ts(), now)) {
                    // The key's latest row went away and nothing newer replaced it: the new latest row
                    // may live in a file this version did not touch.
                    changes.markDeleteUnderTimeseriesKey();
                }
            }
            if (!existedBefore) { // else rewritten unchanged (deletion-vector rewrite, copy-on-write of neighbours)
                upserts.put(d.added.key(), now);
            }
        }
    }

    /**
     * The scan state that reads only the key (and timeseries) columns, built on first use: one per
     * {@link #read}, as the columns are those of the snapshot read up to.
     */
    private final class KeyScan {
        private final Snapshot snapshot;
        private final CopyRowEncoder encoder;
        private Row state;

        KeyScan(Snapshot snapshot, CopyRowEncoder encoder) {
            this.snapshot = snapshot;
            this.encoder = encoder;
        }

        Row state() {
            if (state == null) {
                StructType all = snapshot.getSchema();
                StructType keys = new StructType();
                for (String name : encoder.keyAndTimeseriesColumns()) {
                    keys = keys.add(all.get(name));
                }
                state = snapshot.getScanBuilder().withReadSchema(keys).build().getScanState(source.engine());
            }
            return state;
        }
    }

    /**
     * One data file to read: whole (positions {@code null}, rows with content) or only the rows at
     * {@code positions} through a key-only scan state (keys and timeseries values, no row content).
     */
    private record FileRead(ChangePlan.FileAction file, long[] positions, Row scanState) {
    }

    private void readCdc(Row scanState, String root, ChangePlan.FileAction f, CopyRowEncoder encoder, boolean timeseriesKey,
            long version, Map<RowKey, RowChanges.Pending> upserts, Set<RowKey> deletes, RowChanges changes) {
        forEachRow(scanState, root, f, true, encoder, changes, (batch, rowId) -> {
            ColumnVector type = batch.getColumnVector(batch.getSchema().indexOf(CHANGE_TYPE));
            String changeType = type.isNullAt(rowId) ? "" : type.getString(rowId);
            switch (changeType) {
                case "insert", "update_postimage" -> addUpsert(new Image(encoder.key(rowId), encoder.row(rowId),
                        timeseriesKey ? encoder.timeseriesValue(rowId) : null), encoder, timeseriesKey, version, "insert".equals(changeType),
                        upserts);
                case "delete" -> deletes.add(encoder.key(rowId));
                case "update_preimage" -> {
                }
                default -> throw new TidelineException(TidelineException.Kind.FATAL,
                        "change data file " + f.path() + " of " + source.tableName() + " has _change_type '" + changeType
                                + "'; expected insert, update_preimage, update_postimage or delete", null);
            }
        });
    }

    /** One row read from a data file: its key, its binary COPY tuple, and its timeseries value (or null). */
    private record Image(RowKey key, byte[] row, @SuppressWarnings("rawtypes") Comparable ts) {
    }

    /**
     * Reads data files into row images, up to {@link #parallelism} files at once (each with its own
     * encoder); the result keeps the files' order, so folding it is deterministic.
     */
    private List<List<Image>> readImages(String root, List<FileRead> reads, CopyRowEncoder template, boolean timeseriesKey,
            RowChanges changes) {
        List<Callable<List<Image>>> tasks = new ArrayList<>();
        for (FileRead read : reads) {
            tasks.add(() -> {
                CopyRowEncoder encoder = template.copy();
                RowChanges counter = new RowChanges();
                List<Image> images = new ArrayList<>();
                if (read.positions() == null) {
                    forEachRow(read.scanState(), root, read.file(), false, encoder, counter, (batch, rowId) -> images.add(new Image(
                            encoder.key(rowId), encoder.row(rowId), timeseriesKey ? encoder.timeseriesValue(rowId) : null)));
                } else {
                    forEachRowAt(read.scanState(), root, read.file(), read.positions(), encoder, (batch, rowId) -> images.add(new Image(
                            encoder.key(rowId), null, timeseriesKey ? encoder.timeseriesValue(rowId) : null)));
                }
                return images;
            });
        }
        List<List<Image>> out = new ArrayList<>();
        if (tasks.size() <= 1 || parallelism == 1) {
            for (var task : tasks) {
                out.add(call(task));
            }
        } else {
            ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallelism, tasks.size()), r -> {
                Thread t = new Thread(r, "tideline-change-read");
                t.setDaemon(true);
                return t;
            });
            try {
                List<Future<List<Image>>> futures = new ArrayList<>();
                for (var task : tasks) {
                    futures.add(pool.submit(task));
                }
                for (var future : futures) {
                    try {
                        out.add(future.get());
                    } catch (ExecutionException e) {
                        throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new TidelineException(TidelineException.Kind.RETRYABLE, "reading changes of " + source.tableName()
                                + " was interrupted", null, e);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
        for (List<Image> images : out) {
            changes.countRead(images.size());
        }
        return out;
    }

    private static List<Image> call(Callable<List<Image>> task) {
        try {
            return task.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Records an added row of one version: the latest per key under a timeseries key, otherwise a
     * second row with one key fails naming the key.
     *
     * @param insert whether the version added the key without removing a row with it
     */
    private void addUpsert(Image image, CopyRowEncoder encoder, boolean timeseriesKey, long version, boolean insert,
            Map<RowKey, RowChanges.Pending> upserts) {
        RowChanges.Pending existing = upserts.get(image.key());
        if (existing != null && keepsExisting(existing.timeseries(), image, encoder, timeseriesKey, version)) {
            return;
        }
        upserts.put(image.key(), new RowChanges.Pending(image.row(), image.ts(), insert));
    }

    /** One key of a version's file diff: the row(s) removed with it (none: a new key) and the row added with it (none: deleted). */
    private static final class KeyDiff {
        private final Image removed;
        private List<Image> removedAgain;
        private Image added;

        KeyDiff(Image removed) {
            this.removed = removed;
        }

        static KeyDiff added(Image image) {
            KeyDiff d = new KeyDiff(null);
            d.added = image;
            return d;
        }

        void removedAgain(Image image) {
            if (removedAgain == null) {
                removedAgain = new ArrayList<>(1);
            }
            removedAgain.add(image);
        }

        List<Image> removedRows() {
            if (removed == null) {
                return List.of();
            }
            if (removedAgain == null) {
                return List.of(removed);
            }
            List<Image> all = new ArrayList<>(removedAgain.size() + 1);
            all.add(removed);
            all.addAll(removedAgain);
            return all;
        }
    }

    /** Of two rows one version adds with the same key, the later one (see {@link #keepsExisting}). */
    private Image later(Image existing, Image image, CopyRowEncoder encoder, boolean timeseriesKey, long version) {
        return keepsExisting(existing.ts(), image, encoder, timeseriesKey, version) ? existing : image;
    }

    /**
     * Whether a row the version already added for {@code image}'s key stays, rather than {@code image}: under a
     * timeseries key the later row wins (ties go to {@code image}); without one the table now holds a duplicate
     * key, which fails naming it.
     */
    private boolean keepsExisting(@SuppressWarnings("rawtypes") Comparable existingTimeseries, Image image, CopyRowEncoder encoder, boolean timeseriesKey, long version) {
        if (!timeseriesKey) {
            throw new DuplicateKeyException(source.tableName(), encoder.describeKey(image.key()), version);
        }
        return isOlder(image.ts(), existingTimeseries);
    }

    /** Whether a row with timeseries value {@code ts} is older than one with {@code than} (NULL is oldest; ties go to the newcomer). */
    @SuppressWarnings({"rawtypes", "unchecked"})
    private static boolean isOlder(Comparable ts, Comparable than) {
        return than != null && (ts == null || ts.compareTo(than) < 0);
    }

    /** Whether the removed row's timeseries value ranks above the key's new row (so removing it lowers the key's latest value). */
    @SuppressWarnings({"rawtypes", "unchecked"})
    private static boolean supersedes(Comparable removedTimeseries, RowChanges.Pending now) {
        Comparable r = removedTimeseries;
        Comparable n = now.timeseries();
        if (r == null) {
            return false;
        }
        return n == null || n.compareTo(r) < 0;
    }

    private static boolean isMissingFile(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.io.FileNotFoundException || t instanceof java.nio.file.NoSuchFileException) {
                return true;
            }
        }
        return false;
    }

    private interface RowVisitor {
        void visit(ColumnarBatch batch, int rowId);
    }

    /** Visits the rows at {@code positions} of a file, its deletion vector ignored (see {@link KernelFiles#readPositions}). */
    private void forEachRowAt(Row scanState, String root, ChangePlan.FileAction f, long[] positions, CopyRowEncoder encoder,
            RowVisitor visitor) {
        Row scanFile = KernelFiles.scanFileRow(root, f.path(), f.partitionValues(), f.size(), null);
        try (CloseableIterator<FilteredColumnarBatch> batches = KernelFiles.readPositions(source.engine(), scanState, scanFile, positions)) {
            visitSelected(batches, encoder, visitor);
        } catch (IOException | RuntimeException e) {
            throw readFailure(f, e);
        }
    }

    private static long visitSelected(CloseableIterator<FilteredColumnarBatch> batches, CopyRowEncoder encoder, RowVisitor visitor) {
        long read = 0;
        while (batches.hasNext()) {
            FilteredColumnarBatch filtered = batches.next();
            ColumnarBatch batch = filtered.getData();
            encoder.bind(batch);
            ColumnVector selection = filtered.getSelectionVector().orElse(null);
            for (int rowId = 0; rowId < batch.getSize(); rowId++) {
                if (selection != null && (selection.isNullAt(rowId) || !selection.getBoolean(rowId))) {
                    continue;
                }
                visitor.visit(batch, rowId);
                read++;
            }
        }
        return read;
    }

    private RuntimeException readFailure(ChangePlan.FileAction f, Exception e) {
        if (isMissingFile(e)) {
            // VACUUM removed a file an old version names: the history can no longer be replayed.
            return new ChangesUnavailableException("data file " + f.path() + " of " + source.tableName()
                    + " named by a version after the synced one no longer exists (VACUUM?)", e);
        }
        if (e instanceof IOException io) {
            return new UncheckedIOException("reading " + f.path() + " of " + source.tableName() + " failed", io);
        }
        return (RuntimeException) e;
    }

    /** Visits the live rows of a data file, or of a change data file with its {@code _change_type} column. */
    private void forEachRow(Row scanState, String root, ChangePlan.FileAction f, boolean changeData, CopyRowEncoder encoder,
            RowChanges changes, RowVisitor visitor) {
        Row scanFile = KernelFiles.scanFileRow(root, f.path(), f.partitionValues(), f.size(), f.deletionVector());
        try (CloseableIterator<FilteredColumnarBatch> batches = changeData
                ? KernelFiles.readChangeData(source.engine(), scanState, scanFile, CHANGE_TYPE_COLUMN)
                : KernelFiles.read(source.engine(), scanState, scanFile)) {
            changes.countRead(visitSelected(batches, encoder, visitor));
        } catch (IOException | RuntimeException e) {
            throw readFailure(f, e);
        }
    }
}
