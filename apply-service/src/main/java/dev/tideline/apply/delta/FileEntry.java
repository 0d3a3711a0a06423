package dev.tideline.apply.delta;

import dev.tideline.delta.kernel.AddedFile;
import dev.tideline.delta.kernel.KernelInternals;
import io.delta.kernel.data.Row;
import io.delta.kernel.utils.DataFileStatus;
import io.delta.kernel.utils.FileStatus;
import java.util.Optional;

/**
 * A data file: of the current snapshot (with its scan-file row), or written by a staged commit and
 * not committed yet (no scan-file row; its {@code add} is the one the commit will publish).
 */
final class FileEntry {
    final Row scanFileRow;
    final AddedFile add;
    final long size;
    private FileStatus status;
    /** Parsed on first use and kept: a file carried from version to version is filtered by every commit. */
    private Optional<FileStatistics> statistics;

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

    /** The file's statistics in exact types ({@link FileStatistics#of}), or empty when it has none. */
    Optional<FileStatistics> statistics() {
        if (statistics == null) {
            statistics = FileStatistics.of(add);
        }
        return statistics;
    }

    FileStatus status() {
        if (status == null) {
            status = KernelInternals.fileStatusOf(scanFileRow);
        }
        return status;
    }
}
