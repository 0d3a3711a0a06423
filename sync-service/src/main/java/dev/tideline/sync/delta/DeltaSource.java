package dev.tideline.sync.delta;

import dev.tideline.core.TidelineException;
import io.delta.kernel.Scan;
import io.delta.kernel.Snapshot;
import io.delta.kernel.TableManager;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.exceptions.TableNotFoundException;
import io.delta.kernel.utils.CloseableIterator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A source Delta table of a synced table: snapshots at a version and the data files of a snapshot.
 * Thread-safe (Kernel snapshots are immutable; the engine is shared).
 */
public final class DeltaSource {

    private final Engine engine;
    private final String tablePath;
    private final String tableName;

    /**
     * @param engine    the Kernel engine for the warehouse
     * @param tablePath the table's location
     * @param tableName the table's full name, for messages
     */
    public DeltaSource(Engine engine, String tablePath, String tableName) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.tablePath = Objects.requireNonNull(tablePath, "tablePath");
        this.tableName = Objects.requireNonNull(tableName, "tableName");
    }

    public Engine engine() {
        return engine;
    }

    public String tablePath() {
        return tablePath;
    }

    public String tableName() {
        return tableName;
    }

    /**
     * The newest snapshot.
     *
     * @throws TidelineException NEEDS_OPERATOR when there is no Delta table at the location
     */
    public Snapshot latest() {
        try {
            return TableManager.loadSnapshot(tablePath).build(engine);
        } catch (TableNotFoundException e) {
            throw notFound(e);
        }
    }

    /** The snapshot at {@code version} (time travel). */
    public Snapshot at(long version) {
        try {
            return TableManager.loadSnapshot(tablePath).atVersion(version).build(engine);
        } catch (TableNotFoundException e) {
            throw notFound(e);
        }
    }

    private TidelineException notFound(Exception e) {
        return new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                "source table " + tableName + " has no Delta table at " + tablePath,
                "check spec.source_table_full_name and that the table has been written at least once", e);
    }

    /** The live data files of a snapshot, each with its deletion vector, ready for {@link #readFile}. */
    public SnapshotFiles files(Snapshot snapshot) {
        Scan scan = snapshot.getScanBuilder().build();
        Row scanState = scan.getScanState(engine);
        List<Row> files = new ArrayList<>();
        long bytes = 0;
        long rowCount = 0;
        try (CloseableIterator<FilteredColumnarBatch> batches = scan.getScanFiles(engine, true)) {
            while (batches.hasNext()) {
                try (CloseableIterator<Row> rows = batches.next().getRows()) {
                    while (rows.hasNext()) {
                        Row file = rows.next();
                        files.add(file);
                        bytes += KernelFiles.fileStatus(file).getSize();
                        long fileRows = KernelFiles.liveRows(file);
                        rowCount = rowCount < 0 || fileRows < 0 ? -1 : rowCount + fileRows;
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("listing the data files of " + tableName + " at version " + snapshot.getVersion() + " failed", e);
        }
        return new SnapshotFiles(snapshot, scanState, List.copyOf(files), bytes, rowCount);
    }

    /** Reads one file of {@link #files} as logical rows (deletion vector applied); the caller closes the iterator. */
    public CloseableIterator<FilteredColumnarBatch> readFile(SnapshotFiles files, Row scanFile) {
        return KernelFiles.read(engine, files.scanState(), scanFile);
    }

    /**
     * The data files of one snapshot.
     *
     * @param snapshot   the snapshot
     * @param scanState  Kernel's scan state (schema, table root, column mapping)
     * @param files      one scan-file row per live data file
     * @param totalBytes the summed size of the data files
     * @param totalRows  live rows from the files' statistics (minus deletion vectors), {@code -1} when a file has none
     */
    public record SnapshotFiles(Snapshot snapshot, Row scanState, List<Row> files, long totalBytes, long totalRows) {
    }
}
