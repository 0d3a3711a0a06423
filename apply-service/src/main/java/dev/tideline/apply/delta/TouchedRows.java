package dev.tideline.apply.delta;

import dev.tideline.core.TableId;
import dev.tideline.delta.kernel.DeletionVectorBitmap;
import dev.tideline.delta.kernel.DeletionVectorRef;
import dev.tideline.delta.kernel.KernelInternals;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Finds the stored rows a batch of row operations touches, and what is written instead — the read
 * side of a commit; {@link DeltaTableWriter} turns the result into actions.
 *
 * <ul>
 *   <li><b>Candidate files.</b> Only files whose key statistics (min/max of every key column) can hold
 *       a touched key are searched ({@link KeyRangeFilter}); a key value that is null, or a column
 *       without usable statistics, never excludes a file.</li>
 *   <li><b>Key lookup.</b> A candidate's key columns are read once and kept in the process-wide
 *       {@link FileKeyCache} ({@link FileKeys}); the touched keys within the file's own key range are
 *       looked up there, and full rows are read only where the merge needs stored values (unchanged
 *       TOAST, SCD type 2).</li>
 *   <li><b>Deleted rows.</b> A file's positions its deletion vector already removes are never found
 *       again. The vectors this writer committed are remembered ({@link #remember}), so the next batch
 *       need not read them back; others are read through Kernel.</li>
 * </ul>
 * The result ({@link Merge}) is each touched file's new deletion vector (null: every row goes, the file
 * is removed) and the rows to write. Searches a {@link FileView}: the committed version, or a staged
 * commit's view of it. Not thread-safe; one per writer.
 */
final class TouchedRows {

    private static final Logger LOG = Logger.getLogger(TouchedRows.class);

    /** Stands for a live row whose stored values the merge does not need (SCD1 without unchanged TOAST). */
    private static final Object[] UNREAD = new Object[0];

    private final Engine engine;
    private final String tablePath;
    private final TableId source;
    /** Deletion vectors this writer committed, by data file path. */
    private final Map<String, KnownVector> deletedRows = new HashMap<>();

    TouchedRows(Engine engine, String tablePath, TableId source) {
        this.engine = engine;
        this.tablePath = tablePath;
        this.source = source;
    }

    /** The files a batch's keys are searched in, and the rows each one already deletes. */
    interface FileView {
        List<FileEntry> files(FileFilter filter) throws IOException;

        DeletionVectorBitmap deleted(FileEntry file) throws IOException;
    }

    /** Decides from a file's statistics whether it may hold one of the touched keys. */
    interface FileFilter {
        boolean mayContain(FileEntry file, StructType physical);
    }

    /**
     * What a batch changes in existing files: the live rows it replaces, and each touched file's new
     * deletion vector (null: every row of the file is deleted, so the file is removed).
     */
    static final class RowChanges {
        final Map<RowKey, Object[]> live = new HashMap<>();
        final Map<FileEntry, DeletionVectorBitmap> deletes = new LinkedHashMap<>();
        int searched;
    }

    /** The stored rows a batch touches, and the rows it leaves to be written. */
    record Merge(RowChanges changes, List<Object[]> rows) {
    }

    /** A deletion vector this writer committed, kept so that the next batch need not read it back. */
    private record KnownVector(String uniqueId, DeletionVectorBitmap rows) {
    }

    /** The files of {@code version} with their committed deletion vectors. */
    FileView committed(SnapshotFiles version) {
        return new FileView() {
            @Override
            public List<FileEntry> files(FileFilter filter) throws IOException {
                return version.list(filter);
            }

            @Override
            public DeletionVectorBitmap deleted(FileEntry file) throws IOException {
                return deletedRowsOf(file);
            }
        };
    }

    /** Remembers the deletion vector just committed for the file at {@code path} (its descriptor's unique id). */
    void remember(String path, String uniqueId, DeletionVectorBitmap rows) {
        deletedRows.put(path, new KnownVector(uniqueId, rows));
    }

    /** Forgets the vector of a file that left the table. */
    void forget(String path) {
        deletedRows.remove(path);
    }

    /**
     * Finds what {@code ops} touch in {@code view} and what is written instead: as a multiset (keyless
     * tables: occurrences removed, the rest appended) or by key (the touched rows merged with the ops).
     *
     * @param version the table's current version (its schema; files are searched through {@code view})
     * @param layout  the current version's layout
     * @param target  the layout the rows of {@code ops} are of
     */
    Merge merge(SnapshotFiles version, TableLayout layout, FileView view, TableLayout target, List<RowOp> ops, boolean asMultiset)
            throws IOException {
        if (asMultiset) {
            RowMultiset multiset = RowMultiset.of(ops);
            return new Merge(findOccurrences(version, layout, view, target, multiset), multiset.additions());
        }
        RowChanges changes = findChanges(version, layout, view, target, ops);
        List<Object[]> merged = RowMerge.apply(target, ops, changes.live);
        for (Object[] row : merged) {
            if (row == UNREAD) {
                throw new IllegalStateException("table " + source + ": a row that was not read survived the merge");
            }
        }
        return new Merge(changes, merged);
    }

    private RowChanges findChanges(SnapshotFiles version, TableLayout layout, FileView view, TableLayout target, List<RowOp> ops)
            throws IOException {
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
        KeyColumns keyColumns = null; // once per batch, when a file is searched
        for (FileEntry file : view.files(truncates ? null : KeyRangeFilter.of(version.logicalSchema(), layout, touched))) {
            keyColumns = keyColumns != null ? keyColumns : KeyColumns.of(version, target);
            FileKeys keys = keysOf(keyColumns, file);
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
                for (Object[] row : version.readRows(file, target, toRead)) {
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
     * replayed changes collapsed identical rows ({@link DeltaTableWriter#applyOverSnapshot}).
     */
    private RowChanges findOccurrences(SnapshotFiles version, TableLayout layout, FileView view, TableLayout target,
                                       RowMultiset multiset) throws IOException {
        if (multiset.truncates()) {
            return everyFileRemoved(view);
        }
        RowChanges changes = new RowChanges();
        Map<RowKey, Integer> remaining = new HashMap<>(multiset.removals());
        List<RowKey> touched = new ArrayList<>(remaining.keySet());
        touched.sort(null);
        KeyColumns keyColumns = null; // once per batch, when a file is searched
        for (FileEntry file : view.files(KeyRangeFilter.of(version.logicalSchema(), layout, touched))) {
            if (remaining.isEmpty()) {
                break;
            }
            keyColumns = keyColumns != null ? keyColumns : KeyColumns.of(version, target);
            FileKeys keys = keysOf(keyColumns, file);
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
    private FileKeys keysOf(KeyColumns columns, FileEntry file) throws IOException {
        String cacheKey = columns.cacheKey(file.status().getPath());
        FileKeys keys = FileKeyCache.SHARED.get(cacheKey);
        if (keys == null) {
            keys = FileKeys.read(engine, file.status(), columns.keySchema(), columns.endAt());
            FileKeyCache.SHARED.put(cacheKey, keys);
        }
        return keys;
    }

    /**
     * Keeps the keys of a data file this writer just wrote, taken from the rows it wrote ({@link ParquetFiles.WrittenKeys}),
     * so that the next batch searching it need not read them back; {@code physical} is the schema it was written with
     * (the columns of {@code target}, in order). The cache key is the one {@link #keysOf} looks up: the file's absolute
     * path and the key's physical columns. Kept as the file is written, before its commit: a commit that fails leaves
     * entries no version refers to (file names are never reused), evicted in their turn.
     */
    void rememberKeys(StructType physical, TableLayout target, String absolutePath, FileKeys keys) {
        FileKeyCache.SHARED.put(KeyColumns.of(physical, target.schema(), target).cacheKey(absolutePath), keys);
    }

    /** The keys of the data file at {@code absolutePath} the shared cache holds for {@code target}'s key, or null (tests). */
    FileKeys cachedKeys(SnapshotFiles version, TableLayout target, String absolutePath) {
        return FileKeyCache.SHARED.get(KeyColumns.of(version, target).cacheKey(absolutePath));
    }

    /**
     * The physical key columns of {@code target} in a version's data files (and {@code __END_AT} for SCD type 2),
     * and the suffix naming them in cache keys: one file's keys differ by the columns read.
     */
    private record KeyColumns(StructType keySchema, StructType endAt, String names) {
        static KeyColumns of(SnapshotFiles version, TableLayout target) {
            return of(version.physicalReadSchema(), version.logicalSchema(), target);
        }

        /** From a physical schema whose columns are those of {@code logical}, in the same order. */
        static KeyColumns of(StructType physical, StructType logical, TableLayout target) {
            StructType keySchema = new StructType();
            StringBuilder names = new StringBuilder();
            for (int k : target.keyIndexes()) {
                StructField field = physical.at(logical.indexOf(target.schema().at(k).getName()));
                keySchema = keySchema.add(field);
                names.append(field.getName()).append(',');
            }
            StructType endAt = null;
            if (target.scdType() == ScdType.SCD_TYPE_2) {
                endAt = new StructType().add(physical.at(logical.indexOf(TableLayout.END_AT)));
            }
            return new KeyColumns(keySchema, endAt, names.toString());
        }

        String cacheKey(String absolutePath) {
            return absolutePath + "|" + names;
        }
    }

    /** The rows a file's current deletion vector removes (empty without one). */
    DeletionVectorBitmap deletedRowsOf(FileEntry file) throws IOException {
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
}
