package dev.tideline.apply.delta;

import dev.tideline.delta.kernel.AddedFile;
import dev.tideline.delta.kernel.KernelInternals;
import io.delta.kernel.data.Row;
import io.delta.kernel.utils.DataFileStatus;
import io.delta.kernel.utils.FileStatus;
import java.util.Optional;
import java.util.function.Function;

/**
 * A data file: of the current snapshot (with its scan-file row), or written by a staged commit and
 * not committed yet (no scan-file row; its {@code add} is the one the commit will publish).
 */
final class FileEntry {
    final Row scanFileRow;
    final AddedFile add;
    final long size;
    private FileStatus status;
    /**
     * The key columns' bounds from the statistics ({@link KeyRangeFilter}), for the key named {@link #boundsKey}:
     * a file carried from version to version is filtered by every commit, and parsing its statistics JSON each
     * time was ~3 % of apply's CPU at 1,000 tables. Only the bounds are kept (two small arrays), not the parsed
     * statistics of every column.
     */
    private String boundsKey;
    private Object[][] bounds;

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

    /**
     * The bounds {@code compute} derives from this file's statistics for the key named {@code key} (e.g. its physical
     * column names), computed once per key; {@code compute} may return null (no usable statistics).
     */
    Object[][] keyBounds(String key, Function<Optional<FileStatistics>, Object[][]> compute) {
        if (!key.equals(boundsKey)) {
            bounds = compute.apply(FileStatistics.of(add));
            boundsKey = key;
        }
        return bounds;
    }

    FileStatus status() {
        if (status == null) {
            status = KernelInternals.fileStatusOf(scanFileRow);
        }
        return status;
    }
}
