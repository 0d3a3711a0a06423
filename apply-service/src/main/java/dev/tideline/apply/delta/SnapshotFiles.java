package dev.tideline.apply.delta;

import dev.tideline.delta.kernel.AddedFile;
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
import java.util.List;

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

    SnapshotFiles(Engine engine, Snapshot snapshot, ParquetFiles parquet) {
        this.engine = engine;
        this.snapshot = snapshot;
        this.parquet = parquet;
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
        return KernelInternals.physicalReadSchema(scanState());
    }

    /** The version's data files whose statistics pass {@code filter} (null: every file), in the log's order. */
    List<FileEntry> list(TouchedRows.FileFilter filter) throws IOException {
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

    /** A data file's live rows (its deletion vector applied), reshaped to {@code target}. */
    List<Object[]> readRows(FileEntry file, TableLayout target) throws IOException {
        return readRows(file, target, null);
    }

    /**
     * Rows of a data file, reshaped to {@code target}: those at the given physical positions, or, when
     * {@code positions} is null, every row its deletion vector keeps ({@link ParquetFiles#read}).
     */
    List<Object[]> readRows(FileEntry file, TableLayout target, List<Integer> positions) throws IOException {
        return parquet.read(file, scanState(), snapshot.getSchema(), target, positions);
    }
}
