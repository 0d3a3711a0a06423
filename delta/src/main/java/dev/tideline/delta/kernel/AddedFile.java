package dev.tideline.delta.kernel;

import io.delta.kernel.internal.actions.AddFile;
import java.util.Optional;

/**
 * A data file as the {@code add} action that put it in the table records it: path (relative to the
 * table root), size, statistics and deletion vector. Obtained from a scan-file row or built for a file
 * just written ({@link KernelInternals#addedFileOf}); turned back into log actions by
 * {@link KernelInternals}.
 *
 * <p>Wraps Kernel's internal {@code AddFile}; the accessors keep its names.
 */
public final class AddedFile {

    final AddFile add;

    AddedFile(AddFile add) {
        this.add = add;
    }

    /** The path as the log records it: relative to the table root, or absolute. */
    public String getPath() {
        return add.getPath();
    }

    public long getSize() {
        return add.getSize();
    }

    /** {@code numRecords} of the statistics: the rows of the physical file, deleted ones included. */
    public Optional<Long> getNumRecords() {
        return add.getNumRecords();
    }

    public Optional<DeletionVectorRef> getDeletionVector() {
        return add.getDeletionVector().map(DeletionVectorRef::new);
    }

    /** The statistics as the writer's JSON text, unparsed (Kernel's parsed form reads decimals through a double). */
    public Optional<String> getStatsJson() {
        return add.getStatsJson();
    }

    @Override
    public String toString() {
        return "AddedFile[" + add.getPath() + "]";
    }
}
