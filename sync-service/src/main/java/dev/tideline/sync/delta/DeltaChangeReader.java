package dev.tideline.sync.delta;

import dev.tideline.core.TidelineException;
import dev.tideline.delta.kernel.KernelInternals;
import dev.tideline.sync.types.ColumnIdentity;
import dev.tideline.sync.types.CopyRowEncoder;
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
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.LongPredicate;

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
 *
 * <p>Memory: the rows read are held until folded, up to a budget ({@link FoldLimits}); a larger
 * refresh streams them into key-hash partitions on disk and folds one partition at a time
 * ({@link ChangeSpool}), so neither the size of a commit nor that of the table sets the heap needed.
 */
public final class DeltaChangeReader {

    static final String CHANGE_TYPE = "_change_type";
    private static final StructField CHANGE_TYPE_COLUMN = new StructField(CHANGE_TYPE, StringType.STRING, true);

    private final DeltaSource source;
    private final int parallelism;
    /** Wall time of the last {@link #read}'s fold, for the refresh's log line. */
    private long lastFoldNanos;
    private String lastStreamedStages = "";
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

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
        List<String> partitionColumns = physicalPartitionColumns(to);
        // Kernel validates the range against the protocol and metadata of its first version.
        Snapshot start = fromVersion + 1 == to.getVersion() ? to : source.at(fromVersion + 1);
        try (CloseableIterator<CommitActions> commits = KernelInternals.fileActions(range, source.engine(), start)) {
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
     * Reads the rows the plan names and folds them into the net change per primary key, all in
     * memory: for tests that inspect the result. The service uses {@link #read(ChangePlan,
     * CopyRowEncoder, boolean, FoldLimits)}.
     */
    public RowChanges read(ChangePlan plan, CopyRowEncoder encoder, boolean timeseriesKey) {
        return (RowChanges) read(plan, encoder, timeseriesKey, FoldLimits.UNBOUNDED);
    }

    /**
     * Reads the rows the plan names and folds them into the net change per primary key, holding at
     * most {@code limits.memoryBytes()} of rows in memory at a time: a larger refresh is folded in
     * key-hash partitions spilled to disk ({@link ChangeSpool}).
     *
     * @param encoder       encodes rows and keys of the target's columns (bound per batch here)
     * @param timeseriesKey whether the synced table has a timeseries key (duplicates keep the latest row)
     * @return the changes, in memory or spilled; the caller closes them
     * @throws TidelineException NEEDS_OPERATOR naming the key when a version adds two rows with one
     *                           primary key and there is no timeseries key
     */
    public NetChanges read(ChangePlan plan, CopyRowEncoder encoder, boolean timeseriesKey, FoldLimits limits) {
        if (plan.versions().isEmpty()) {
            return new RowChanges();
        }
        Row scanState = plan.to().getScanBuilder().build().getScanState(source.engine());
        String root = KernelFiles.tableRoot(scanState);
        KeyScan keyScan = new KeyScan(plan.to(), encoder);
        try (ChangeSpool spool = new ChangeSpool(limits, source.tableName())) {
            for (ChangePlan.VersionFiles version : plan.versions()) {
                List<FileRead> reads = new ArrayList<>();
                int removed = 0;
                if (version.usesChangeDataFiles()) {
                    for (ChangePlan.FileAction f : version.cdc()) {
                        reads.add(new FileRead(f, null, scanState, true));
                    }
                } else {
                    removed = fileDiffReads(scanState, root, version, keyScan, reads);
                }
                int index = spool.addVersion(new ChangeSpool.VersionShape(version.version(), version.usesChangeDataFiles(), removed,
                        reads.size()));
                readInto(spool, index, root, reads, encoder, timeseriesKey);
            }
            long foldStart = System.nanoTime();
            NetChanges folded = spool.fold(new VersionFold(source.tableName(), encoder, timeseriesKey));
            lastFoldNanos = System.nanoTime() - foldStart;
            return folded;
        }
    }

    /**
     * Whether {@link #readStreamed} can take a plan: one version, without change data files, on a
     * table without a timeseries key — the refresh of one Delta commit, what TRIGGERED and
     * CONTINUOUS tables mostly see.
     */
    public static boolean streamable(ChangePlan plan, boolean timeseriesKey) {
        return !timeseriesKey && plan.versions().size() == 1 && !plan.versions().get(0).usesChangeDataFiles();
    }

    /**
     * Rows a reader hands over at once in {@link #readStreamed}, and batches in flight: about 6 MB of
     * rows, outside the fold budget, so a reader rarely waits for the classifying thread's COPY.
     */
    private static final int HANDOVER_ROWS = 1024;
    private static final int HANDOVERS_IN_FLIGHT = 32;

    /** A batch of rows from one file ({@code rows}), the end of a file ({@code rows == null}), or a reader's failure. */
    private record Handover(boolean removed, List<ChangeImage> rows, Throwable failure) {
    }

    /**
     * Reads a {@link #streamable} plan's removed and added files (all at once, up to {@link
     * #parallelism} threads) and classifies their rows on the calling thread as they arrive ({@link
     * StreamedDiff}): each update goes to {@code updates} as soon as both sides of its key were read,
     * so the caller's COPY runs while the files are still read; inserts and deletes are only known at
     * the end and come back as the result. The net change is the one {@link #read} gives.
     *
     * @param maxChanges more changed rows than this abandon the read (the caller takes a snapshot)
     * @return the inserts and deletes (no updates); rows read are counted in it
     * @throws StreamedDiff.Abandoned    when this path cannot settle the version (the caller uses {@link #read})
     * @throws DuplicateKeyException      when the version adds two rows with one primary key
     */
    public RowChanges readStreamed(ChangePlan plan, CopyRowEncoder encoder, FoldLimits limits, long maxChanges, Consumer<byte[]> updates) {
        return readStreamed(plan, encoder, limits, maxChanges, updates, false, 0);
    }

    /**
     * As {@link #readStreamed(ChangePlan, CopyRowEncoder, FoldLimits, long, Consumer)}; with {@code
     * removedKeysOnly} the removed files are read through the key-only scan (the key columns are
     * decoded, the others skipped: about half of a copy-on-write refresh's decoding), so a key on both
     * sides is handed to {@code updates} even when its row did not change: the caller's target must
     * then skip the rows it already holds unchanged (the refresh's {@code MERGE … WHEN MATCHED AND …
     * IS DISTINCT FROM}). Such candidates beyond {@code maxChanges} abandon the read without asking
     * for a snapshot ({@link StreamedDiff.Abandoned#tooManyChanges()} false): only the fold knows
     * how many really changed.
     *
     * @param expectedKeys about how many rows the version's files hold, {@code 0} if unknown (sizes
     *                     the map of keys seen; see {@link StreamedDiff})
     */
    public RowChanges readStreamed(ChangePlan plan, CopyRowEncoder encoder, FoldLimits limits, long maxChanges, Consumer<byte[]> updates,
            boolean removedKeysOnly, long expectedKeys) {
        ChangePlan.VersionFiles version = plan.versions().get(0);
        Row scanState = plan.to().getScanBuilder().build().getScanState(source.engine());
        String root = KernelFiles.tableRoot(scanState);
        List<FileRead> reads = new ArrayList<>();
        KeyScan keyScan = new KeyScan(plan.to(), encoder);
        int removed = fileDiffReads(scanState, root, version, keyScan, reads);
        if (removedKeysOnly) {
            for (int i = 0; i < removed; i++) {
                FileRead r = reads.get(i);
                if (r.positions() == null) {
                    reads.set(i, new FileRead(r.file(), null, keyScan.state(), false));
                }
            }
        }
        StreamedDiff diff = new StreamedDiff(source.tableName(), encoder, version.version(), limits.memoryBytes(), maxChanges, updates,
                !removedKeysOnly, expectedKeys);
        if (reads.isEmpty()) {
            return diff.remainder();
        }
        BlockingQueue<Handover> handovers = new ArrayBlockingQueue<>(HANDOVERS_IN_FLIGHT);
        // Where the time goes, for the log: per file when its reader finished, its CPU time and its
        // time blocked handing rows over (the classifier behind); the classifier's CPU and its waits for rows.
        long start = System.nanoTime();
        long classifierCpu0 = THREADS.getCurrentThreadCpuTime();
        long[] finishedAt = new long[reads.size()];
        long[] readerCpu = new long[reads.size()];
        long[] readerBlocked = new long[reads.size()];
        long waitedForRows = 0;
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallelism, reads.size()), r -> {
            Thread t = new Thread(r, "tideline-change-read");
            t.setDaemon(true);
            return t;
        });
        try {
            for (int i = 0; i < reads.size(); i++) {
                FileRead read = reads.get(i);
                boolean isRemoved = i < removed;
                int index = i;
                pool.submit(() -> {
                    try {
                        long cpu0 = THREADS.getCurrentThreadCpuTime();
                        CopyRowEncoder fileEncoder = encoder.copy();
                        boolean content = read.positions() == null && !(isRemoved && removedKeysOnly);
                        List<ChangeImage>[] batch = new List[] {new ArrayList<>(HANDOVER_ROWS)};
                        RowVisitor visitor = (b, rowId) -> {
                            batch[0].add(new ChangeImage(fileEncoder.key(rowId), content ? fileEncoder.row(rowId) : null, null,
                                    ChangeImage.ROW));
                            if (batch[0].size() == HANDOVER_ROWS) {
                                long blocked = System.nanoTime();
                                handOver(handovers, new Handover(isRemoved, batch[0], null));
                                readerBlocked[index] += System.nanoTime() - blocked;
                                batch[0] = new ArrayList<>(HANDOVER_ROWS);
                            }
                        };
                        if (read.positions() == null) {
                            forEachRow(read.scanState(), root, read.file(), false, fileEncoder, visitor);
                        } else {
                            forEachRowAt(read.scanState(), root, read.file(), read.positions(), fileEncoder, visitor);
                        }
                        handOver(handovers, new Handover(isRemoved, batch[0], null));
                        readerCpu[index] = THREADS.getCurrentThreadCpuTime() - cpu0;
                        finishedAt[index] = System.nanoTime() - start;
                        handOver(handovers, new Handover(isRemoved, null, null)); // publishes the three fields above
                    } catch (Throwable t) {
                        if (!(t instanceof HandoverInterrupted)) {
                            try {
                                handovers.put(new Handover(isRemoved, null, t));
                            } catch (InterruptedException stopped) {
                                Thread.currentThread().interrupt(); // the caller gave up: nobody waits for this failure
                            }
                        }
                    }
                    return null;
                });
            }
            for (int done = 0; done < reads.size(); ) {
                Handover h = handovers.poll();
                if (h == null) {
                    long waiting = System.nanoTime();
                    h = handovers.take();
                    waitedForRows += System.nanoTime() - waiting;
                }
                if (h.failure() != null) {
                    if (h.failure() instanceof RuntimeException r) {
                        throw r;
                    }
                    if (h.failure() instanceof Error e) {
                        throw e;
                    }
                    throw new IllegalStateException(h.failure());
                }
                if (h.rows() == null) {
                    done++;
                    continue;
                }
                for (ChangeImage image : h.rows()) {
                    if (h.removed()) {
                        diff.removed(image);
                    } else {
                        diff.added(image);
                    }
                }
            }
            RowChanges rest = diff.remainder();
            StringBuilder stages = new StringBuilder("files read in ");
            for (int i = 0; i < reads.size(); i++) {
                stages.append(i == 0 ? "" : ", ").append(i < removed ? "removed " : "added ")
                        .append(reads.get(i).scanState() == scanState ? "" : "keys ").append(finishedAt[i] / 1_000_000).append(" ms (CPU ")
                        .append(readerCpu[i] / 1_000_000).append(", blocked handing over ").append(readerBlocked[i] / 1_000_000).append(')');
            }
            lastStreamedStages = stages.append("; classifying + COPY CPU ").append((THREADS.getCurrentThreadCpuTime() - classifierCpu0) / 1_000_000)
                    .append(" ms, waiting for rows ").append(waitedForRows / 1_000_000).append(" ms").toString();
            return rest;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TidelineException(TidelineException.Kind.RETRYABLE, "reading changes of " + source.tableName() + " was interrupted",
                    null, e);
        } finally {
            pool.shutdownNow(); // readers blocked on a full queue stop (the caller gave up, or all is read)
        }
    }

    /** A reader of {@link #readStreamed} was stopped while handing rows over: the caller gave up. */
    private static final class HandoverInterrupted extends RuntimeException {
        HandoverInterrupted() {
            super(null, null, false, false);
        }
    }

    private static void handOver(BlockingQueue<Handover> handovers, Handover h) {
        try {
            handovers.put(h);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HandoverInterrupted();
        }
    }

    /**
     * Where the last {@link #readStreamed} spent its time, for the log: when each file's reader finished,
     * its CPU, its time blocked by the classifier; the classifying thread's CPU and its waits for rows.
     */
    public String lastStreamedStages() {
        return lastStreamedStages;
    }

    /** Milliseconds the last {@link #read} spent folding the rows it had read (the rest of it is reading files). */
    public long lastFoldMillis() {
        return lastFoldNanos / 1_000_000;
    }

    /**
     * The files to read for a version without change data files: its removed files, then its added
     * files ({@link VersionFold} compares them by key). A deletion-vector rewrite of a file
     * ({@link DeletionVectorRewrite}) whose new vector contains the old one contributes only the keys
     * at the newly deleted positions, as removed rows without content: the rest of the file did not
     * change, so neither side of it is read. Any other pair is read whole.
     *
     * @return how many of the reads (first in {@code reads}) are removed files
     */
    private int fileDiffReads(Row scanState, String root, ChangePlan.VersionFiles version, KeyScan keyScan, List<FileRead> reads) {
        Set<ChangePlan.FileAction> rewritten = Collections.newSetFromMap(new IdentityHashMap<>());
        for (DeletionVectorRewrite pair : DeletionVectorRewrite.of(version)) {
            DeletionVectorRewrite.NewlyDeleted gone = pair.newlyDeleted(source.engine(), root);
            if (gone != null) {
                rewritten.add(pair.removed());
                rewritten.add(pair.added());
                if (gone.count() > 0) {
                    reads.add(new FileRead(pair.removed(), gone, keyScan.state(), false));
                }
            }
        }
        for (ChangePlan.FileAction f : version.removed()) {
            if (!rewritten.contains(f)) {
                reads.add(new FileRead(f, null, scanState, false));
            }
        }
        int removed = reads.size();
        for (ChangePlan.FileAction f : version.added()) {
            if (!rewritten.contains(f)) {
                reads.add(new FileRead(f, null, scanState, false));
            }
        }
        return removed;
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
    /**
     * One data file to read: whole (positions {@code null}, rows with content) or only the rows at
     * {@code positions} through a key-only scan state (keys and timeseries values, no row content);
     * or a change data file ({@code changeData}) with its {@code _change_type} column.
     */
    private record FileRead(ChangePlan.FileAction file, LongPredicate positions, Row scanState, boolean changeData) {
    }

    /**
     * Reads files of one version into the spool, up to {@link #parallelism} files at once (each with
     * its own encoder, each handing its rows over in order), removed and added files together so
     * both sides of the diff use all readers at once.
     */
    private void readInto(ChangeSpool spool, int version, String root, List<FileRead> reads, CopyRowEncoder template,
            boolean timeseriesKey) {
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int i = 0; i < reads.size(); i++) {
            FileRead read = reads.get(i);
            int file = i;
            tasks.add(() -> {
                CopyRowEncoder encoder = template.copy();
                try (ChangeSpool.Appender out = spool.appender(version, file)) {
                    if (read.changeData()) {
                        readChangeData(read, root, encoder, timeseriesKey, out);
                    } else if (read.positions() == null) {
                        forEachRow(read.scanState(), root, read.file(), false, encoder, (batch, rowId) -> out.add(new ChangeImage(
                                encoder.key(rowId), encoder.row(rowId), timeseriesKey ? encoder.timeseriesValue(rowId) : null,
                                ChangeImage.ROW)));
                    } else {
                        forEachRowAt(read.scanState(), root, read.file(), read.positions(), encoder, (batch, rowId) -> out.add(
                                new ChangeImage(encoder.key(rowId), null, timeseriesKey ? encoder.timeseriesValue(rowId) : null,
                                        ChangeImage.ROW)));
                    }
                }
                return null;
            });
        }
        if (tasks.size() <= 1 || parallelism == 1) {
            for (var task : tasks) {
                call(task);
            }
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallelism, tasks.size()), r -> {
            Thread t = new Thread(r, "tideline-change-read");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Void>> futures = new ArrayList<>();
            for (var task : tasks) {
                futures.add(pool.submit(task));
            }
            for (var future : futures) {
                try {
                    future.get();
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

    /** The rows of a change data file: {@code update_preimage} rows are skipped, the others kept with their kind. */
    private void readChangeData(FileRead read, String root, CopyRowEncoder encoder, boolean timeseriesKey, ChangeSpool.Appender out) {
        forEachRow(read.scanState(), root, read.file(), true, encoder, (batch, rowId) -> {
            ColumnVector type = batch.getColumnVector(batch.getSchema().indexOf(CHANGE_TYPE));
            String changeType = type.isNullAt(rowId) ? "" : type.getString(rowId);
            byte change = switch (changeType) {
                case "insert" -> ChangeImage.CDC_INSERT;
                case "update_postimage" -> ChangeImage.CDC_POSTIMAGE;
                case "delete" -> ChangeImage.CDC_DELETE;
                case "update_preimage" -> ChangeImage.ROW;
                default -> throw VersionFold.unknownChangeType(source.tableName(), read.file().path(), changeType);
            };
            if (change == ChangeImage.CDC_DELETE) {
                out.add(new ChangeImage(encoder.key(rowId), null, null, change));
            } else if (change != ChangeImage.ROW) {
                out.add(new ChangeImage(encoder.key(rowId), encoder.row(rowId), timeseriesKey ? encoder.timeseriesValue(rowId) : null, change));
            } else {
                out.skip();
            }
        });
    }

    private static void call(Callable<Void> task) {
        try {
            task.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
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
    private void forEachRowAt(Row scanState, String root, ChangePlan.FileAction f, LongPredicate positions, CopyRowEncoder encoder,
            RowVisitor visitor) {
        Row scanFile = KernelInternals.scanFileRow(root, f.path(), f.partitionValues(), f.size(), null);
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
            RowVisitor visitor) {
        Row scanFile = KernelInternals.scanFileRow(root, f.path(), f.partitionValues(), f.size(), f.deletionVector());
        try (CloseableIterator<FilteredColumnarBatch> batches = changeData
                ? KernelFiles.readChangeData(source.engine(), scanState, scanFile, CHANGE_TYPE_COLUMN)
                : KernelFiles.read(source.engine(), scanState, scanFile)) {
            visitSelected(batches, encoder, visitor);
        } catch (IOException | RuntimeException e) {
            throw readFailure(f, e);
        }
    }
}
