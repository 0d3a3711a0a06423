package dev.tideline.delta;

import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.defaults.engine.fileio.FileIO;
import io.delta.kernel.defaults.engine.hadoopio.HadoopFileIO;
import io.delta.kernel.engine.ParquetHandler;

/**
 * Kernel's {@link DefaultEngine} that also hands out the file layer it runs on, so that a writer can
 * put files Kernel has no API for (deletion-vector files) through the same storage, with the same
 * fsync and Hadoop settings as the data and log files. Returned by {@link DeltaEngines#forWarehouse}.
 *
 * <p>Over our own file layers (local, S3) its Parquet handler is a {@link NoHadoopDefaultsParquetHandler}: parquet-mr
 * stops re-parsing Hadoop's default configuration file for every Parquet file.
 */
public final class FileIOEngine extends DefaultEngine {

    private final FileIO fileIO;

    FileIOEngine(FileIO fileIO) {
        super(fileIO);
        this.fileIO = fileIO;
    }

    @Override
    public ParquetHandler getParquetHandler() {
        ParquetHandler kernel = super.getParquetHandler();
        return fileIO instanceof HadoopFileIO ? kernel : new NoHadoopDefaultsParquetHandler(kernel);
    }

    /** The file layer this engine reads and writes through. */
    public FileIO fileIO() {
        return fileIO;
    }
}
