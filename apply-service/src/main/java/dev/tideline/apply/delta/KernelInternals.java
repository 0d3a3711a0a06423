package dev.tideline.apply.delta;

import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.internal.InternalScanFileUtils;
import io.delta.kernel.internal.actions.AddFile;
import io.delta.kernel.internal.actions.DeletionVectorDescriptor;
import io.delta.kernel.internal.actions.SingleAction;
import io.delta.kernel.internal.data.ScanStateRow;
import io.delta.kernel.internal.data.TransactionStateRow;
import io.delta.kernel.internal.deletionvectors.Base85Codec;
import io.delta.kernel.internal.deletionvectors.DeletionVectorStoredBitmap;
import io.delta.kernel.internal.util.VectorUtils;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.DataFileStatus;
import io.delta.kernel.utils.FileStatus;
import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The only place that touches Delta Kernel's {@code internal} classes. Kernel 4.4 has no public API
 * for what row-level changes need: remove actions for files of a scan, add actions with
 * {@code dataChange=false} (compaction) or with a deletion vector, deletion-vector descriptors and
 * their loading, the physical (column-mapped) schema of a transaction, and parsed file statistics.
 * Upgrading Kernel means re-checking this class only.
 */
final class KernelInternals {

    private KernelInternals() {
    }

    /** The {@code add} action of a scan-file row (from {@code Scan.getScanFiles}). */
    static AddFile addFileOf(Row scanFileRow) {
        return new AddFile(scanFileRow.getStruct(InternalScanFileUtils.ADD_FILE_ORDINAL));
    }

    static FileStatus fileStatusOf(Row scanFileRow) {
        return InternalScanFileUtils.getAddFileStatus(scanFileRow);
    }

    /** A {@code remove} action (wrapped as a log action row) for a file of the table. */
    static Row removeAction(AddFile file, boolean dataChange) {
        return SingleAction.createRemoveFileSingleAction(file.toRemoveFileRow(dataChange, Optional.empty()));
    }

    /** An {@code add} action for a written file, with its statistics, flagged with {@code dataChange}. */
    static Row addAction(StructType physicalSchema, String tableRoot, DataFileStatus file, boolean dataChange) {
        return SingleAction.createAddFileSingleAction(addFileOf(physicalSchema, tableRoot, file, dataChange).toRow());
    }

    /** The {@code add} entry a written file gets (path relative to the table root, its statistics). */
    static AddFile addFileOf(StructType physicalSchema, String tableRoot, DataFileStatus file, boolean dataChange) {
        return AddFile.convertDataFileStatus(physicalSchema, URI.create(tableRoot.endsWith("/") ? tableRoot : tableRoot + "/"),
                file, Map.of(), dataChange, Map.of(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** The physical schema data files of this transaction must be written with (column mapping names). */
    static StructType physicalSchema(Row transactionState) {
        return TransactionStateRow.getPhysicalSchema(transactionState);
    }

    /** The physical schema to read data files of a scan with. */
    static StructType physicalReadSchema(Row scanState) {
        return ScanStateRow.getPhysicalDataReadSchema(scanState);
    }

    /**
     * The file's statistics in the exact type of each column ({@link FileStatistics}); never Kernel's
     * {@code AddFile.getStats}, which reads decimals through a double.
     */
    static Optional<FileStatistics> statsOf(AddFile file) {
        return FileStatistics.parse(file.getStatsJson(), file.getDeletionVector().isPresent());
    }

    /** The base85 form of a UUID that names a deletion-vector file (storage type {@code u}). */
    static String encodeUuid(UUID uuid) {
        return Base85Codec.encodeUUID(uuid);
    }

    /** A descriptor of a deletion vector stored at {@code offset} of the file named by {@code encodedUuid}. */
    static DeletionVectorDescriptor onDiskDeletionVector(String encodedUuid, int offset, int sizeInBytes, long cardinality) {
        return new DeletionVectorDescriptor(DeletionVectorDescriptor.UUID_DV_MARKER, encodedUuid, Optional.of(offset), sizeInBytes,
                cardinality);
    }

    /** The row positions a file's deletion vector removes, read (and checksum-verified) by Kernel's own reader. */
    static long[] deletedPositions(Engine engine, String tablePath, DeletionVectorDescriptor dv) throws IOException {
        return new DeletionVectorStoredBitmap(dv, Optional.of(tablePath)).load(engine.getFileSystemClient()).toArray();
    }

    /**
     * The {@code add} action that re-adds an existing data file with a new deletion vector: same path,
     * size and statistics (which describe the physical file, so they are marked not tight). The
     * statistics are the file's own JSON text with only {@code tightBounds} changed: Kernel's
     * parse-and-reserialize ({@code DataFileStatistics.withoutTightBounds}) goes through doubles and
     * turned {@code -99999999999999999999.999999999999999999} into {@code -1.0E20}, which no
     * {@code decimal(38,18)} reader accepts.
     */
    static Row addWithDeletionVector(AddFile file, StructType physicalSchema, DeletionVectorDescriptor dv) {
        Row add = AddFile.createAddFileRow(physicalSchema, file.getPath(), file.getPartitionValues(), file.getSize(),
                file.getModificationTime(), true, Optional.of(dv), file.getTags(), file.getBaseRowId(),
                file.getDefaultRowCommitVersion(), Optional.empty());
        Optional<String> stats = file.getStatsJson();
        if (stats.isPresent()) {
            add = new StatsJsonOverride(add).withStatsJson(FileStatistics.withoutTightBounds(stats.get()));
        }
        return SingleAction.createAddFileSingleAction(add);
    }

    /**
     * A copy of a file's {@code add} entry that refers to nothing of the scan batch it was read from. A
     * scan-file row is a view on a whole batch of the log: an entry kept across the rounds of a staged
     * commit kept every path and statistics string of its batch, once per round (a 20M-row transaction
     * held ~70 MB of them).
     */
    static AddFile detached(AddFile file, StructType physicalSchema) {
        Row add = AddFile.createAddFileRow(physicalSchema, file.getPath(),
                VectorUtils.stringStringMapValue(VectorUtils.<String, String>toJavaMap(file.getPartitionValues())), file.getSize(),
                file.getModificationTime(), file.getDataChange(), file.getDeletionVector(),
                file.getTags().map(t -> VectorUtils.stringStringMapValue(VectorUtils.<String, String>toJavaMap(t))),
                file.getBaseRowId(), file.getDefaultRowCommitVersion(), Optional.empty());
        Optional<String> stats = file.getStatsJson();
        if (stats.isPresent()) {
            add = new StatsJsonOverride(add).withStatsJson(stats.get());
        }
        return new AddFile(add);
    }

    /** Sets the raw {@code stats} JSON of an add row (Kernel only offers it through a parsed, lossy object). */
    private static final class StatsJsonOverride extends AddFile {
        StatsJsonOverride(Row row) {
            super(row);
        }

        Row withStatsJson(String json) {
            return toRowWithOverriddenValue("stats", json);
        }
    }
}
