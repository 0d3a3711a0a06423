package dev.tideline.delta;

import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.defaults.engine.fileio.FileIO;

/**
 * Kernel's {@link DefaultEngine} that also hands out the file layer it runs on, so that a writer can
 * put files Kernel has no API for (deletion-vector files) through the same storage, with the same
 * fsync and Hadoop settings as the data and log files. Returned by {@link DeltaEngines#forWarehouse}.
 */
public final class FileIOEngine extends DefaultEngine {

    private final FileIO fileIO;

    FileIOEngine(FileIO fileIO) {
        super(fileIO);
        this.fileIO = fileIO;
    }

    /** The file layer this engine reads and writes through. */
    public FileIO fileIO() {
        return fileIO;
    }
}
