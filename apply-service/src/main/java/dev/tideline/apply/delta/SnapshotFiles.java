package dev.tideline.apply.delta;

import dev.tideline.delta.kernel.KernelInternals;
import io.delta.kernel.Scan;
import io.delta.kernel.Snapshot;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterator;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * The data files of one version of a table, and the reading of their rows: what every search, merge,
 * compaction and full read starts from. One per snapshot: the writer makes a new one whenever it
 * moves to a new version, so nothing here is ever stale. The scan state every file read needs is
 * built once, on first use.
 */
final class SnapshotFiles {

    private final Engine engine;
    private final Snapshot snapshot;
    private final ParquetFiles parquet;
    private Row scanState;
    /** Parsed from the scan state once: Kernel parses its JSON on every call, ~4 % of apply's CPU at 1,000 tables. */
    private StructType physicalRead;
    /**
     * The JSON {@link #physicalRead} was parsed from: a version carried from this one (same schema, but a commit may have
     * changed the protocol, e.g. enabled deletion vectors, which adds the row-index column) reuses the parsed schema
     * once its own scan state's text is found equal.
     */
    private String physicalReadJson;
    private boolean physicalReadChecked;
    /** Every data file of the version, in listing order; null until listed. */
    private List<FileEntry> all;

    SnapshotFiles(Engine engine, Snapshot snapshot, ParquetFiles parquet) {
        this(engine, snapshot, parquet, null);
    }

    private SnapshotFiles(Engine engine, Snapshot snapshot, ParquetFiles parquet, List<FileEntry> all) {
        this.engine = engine;
        this.snapshot = snapshot;
        this.parquet = parquet;
        this.all = all;
    }

    /**
     * The files of {@code next}, the version a commit of {@code actions} made directly on top of this one (the caller
     * guarantees: no other commit in between, same schema): these files without the {@code removed} paths, plus a file
     * for each {@code add} among the actions. When this version's files were never listed, {@code next}'s are read
     * from the log as usual.
     *
     * @param removed the paths ({@code add.path}, as in the log) the commit removed, including those it re-added with a
     *                deletion vector
     */
    SnapshotFiles carried(Snapshot next, Set<String> removed, Collection<Row> actions) {
        if (all == null) {
            return new SnapshotFiles(engine, next, parquet);
        }
        String root = KernelInternals.tableRoot(scanState());
        List<FileEntry> files = new ArrayList<>(all.size() + actions.size());
        for (FileEntry f : all) {
            if (!removed.contains(f.add.getPath())) {
                files.add(f);
            }
        }
        for (Row action : actions) {
            Row scanFile = KernelInternals.scanFileRowOf(action, root);
            if (scanFile != null) {
                files.add(new FileEntry(scanFile, KernelInternals.addFileOf(scanFile)));
            }
        }
        SnapshotFiles carried = new SnapshotFiles(engine, next, parquet, files);
        carried.physicalRead = physicalRead;
        carried.physicalReadJson = physicalReadJson;
        return carried;
    }

    /** The version's logical schema. */
    StructType logicalSchema() {
        return snapshot.getSchema();
    }

    /** The state of a full scan of this version, built once: every file read needs it. */
    Row scanState() {
        if (scanState == null) {
            scanState = snapshot.getScanBuilder().build().getScanState(engine);
        }
        return scanState;
    }

    /** The physical schema (column-mapped names) data files of this version are read with. */
    StructType physicalReadSchema() {
        if (!physicalReadChecked) {
            String json = KernelInternals.physicalReadSchemaJson(scanState());
            if (physicalRead == null || !json.equals(physicalReadJson)) {
                physicalRead = KernelInternals.physicalReadSchema(scanState());
                physicalReadJson = json;
            }
            physicalReadChecked = true;
        }
        return physicalRead;
    }

    /** The version's data files whose statistics pass {@code filter} (null: every file), in the log's order. */
    List<FileEntry> list(TouchedRows.FileFilter filter) throws IOException {
        if (all == null) {
            all = listFromLog();
        }
        if (filter == null) {
            return new ArrayList<>(all);
        }
        StructType physical = physicalReadSchema();
        List<FileEntry> out = new ArrayList<>();
        for (FileEntry f : all) {
            if (filter.mayContain(f, physical)) {
                out.add(f);
            }
        }
        return out;
    }

    /** Every data file of the version, replayed from checkpoint and log, each entry copied out of the log's batches. */
    private List<FileEntry> listFromLog() throws IOException {
        List<FileEntry> out = new ArrayList<>();
        Scan scan = snapshot.getScanBuilder().build(); // a Scan hands out its files once
        String root = KernelInternals.tableRoot(scanState());
        try (CloseableIterator<FilteredColumnarBatch> files = scan.getScanFiles(engine, true)) {
            while (files.hasNext()) {
                try (CloseableIterator<Row> rows = files.next().getRows()) {
                    while (rows.hasNext()) {
                        Row scanFile = KernelInternals.scanFileRowOf(rows.next(), root);
                        out.add(new FileEntry(scanFile, KernelInternals.addFileOf(scanFile)));
                    }
                }
            }
        }
        return out;
    }

    /** A data file's live rows (its deletion vector applied), reshaped to {@code target}. */
    List<Object[]> readRows(FileEntry file, TableLayout target) throws IOException {
        return readRows(file, target, null);
    }

    /**
     * Rows of a data file, reshaped to {@code target}: those at the given physical positions, or, when
     * {@code positions} is null, every row its deletion vector keeps ({@link ParquetFiles#read}).
     */
    List<Object[]> readRows(FileEntry file, TableLayout target, List<Integer> positions) throws IOException {
        return parquet.read(file, scanState(), physicalReadSchema(), snapshot.getSchema(), target, positions);
    }
}
