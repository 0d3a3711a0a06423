package dev.tideline.apply.delta;

/**
 * How {@link DeltaTableWriter} lays out files.
 *
 * @param engineInfo          written into each commit's {@code commitInfo.engineInfo}
 * @param rowsPerBatch        rows per in-memory columnar batch handed to the Parquet writer
 * @param smallFileBytes      a data file below this size counts as small
 * @param compactAfterFiles   compact small files of similar size (within 4x) once this many of them exist
 */
public record WriterSettings(String engineInfo, int rowsPerBatch, long smallFileBytes, int compactAfterFiles) {

    public static final WriterSettings DEFAULT = new WriterSettings("Tideline-apply", 8192, 8L * 1024 * 1024, 32);

    public WriterSettings {
        if (rowsPerBatch < 1 || smallFileBytes < 1 || compactAfterFiles < 2) {
            throw new IllegalArgumentException("rowsPerBatch >= 1, smallFileBytes >= 1, compactAfterFiles >= 2 required");
        }
    }

    public WriterSettings withCompactAfterFiles(int files) {
        return new WriterSettings(engineInfo, rowsPerBatch, smallFileBytes, files);
    }
}
