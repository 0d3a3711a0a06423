package dev.tideline.apply.delta;

import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * How {@link DeltaTableWriter} lays out files.
 *
 * @param engineInfo          written into each commit's {@code commitInfo.engineInfo}
 * @param rowsPerBatch        rows per in-memory columnar batch handed to the Parquet writer
 * @param smallFileBytes      a data file below this size counts as small
 * @param compactAfterFiles   compact small files of similar size (within 4x) once this many of them exist
 * @param compactMaxRows      one compaction reads at most this many live rows into memory (it holds them all
 *                            to sort them): the rest of a tier waits for the next one, and a file with more
 *                            live rows than this is not purged of its deleted rows yet (readers apply its
 *                            vector until enough of it is deleted)
 * @param checkpoints         where the checkpoints Kernel asks for after commits are written, off the
 *                            committing thread ({@link CheckpointExecutors}): the apply service's own
 *                            executor, or, by default, {@link CheckpointExecutors#standalone()}
 * @param checkpointSpacing   which of the checkpoints Kernel asks for are written ({@link CheckpointSpacing})
 * @param plainFileMaxRows    a batch of at most this many rows of flat columns is written as one {@link PlainParquetFile}
 *                            (uncompressed, without parquet-mr's per-file cost); 0 sends every batch through parquet-mr
 */
public record WriterSettings(String engineInfo, int rowsPerBatch, long smallFileBytes, int compactAfterFiles, long compactMaxRows,
                             Executor checkpoints, CheckpointSpacing checkpointSpacing, int plainFileMaxRows) {

    /** Default {@link #compactMaxRows()}: about 75 MiB of heap at ~150 bytes per row. */
    public static final long DEFAULT_COMPACT_MAX_ROWS = 500_000;
    public static final WriterSettings DEFAULT = new WriterSettings("Tideline-apply", 8192, 8L * 1024 * 1024, 32);

    public WriterSettings {
        if (rowsPerBatch < 1 || smallFileBytes < 1 || compactAfterFiles < 2 || compactMaxRows < 1 || plainFileMaxRows < 0) {
            throw new IllegalArgumentException("rowsPerBatch >= 1, smallFileBytes >= 1, compactAfterFiles >= 2, compactMaxRows >= 1, "
                    + "plainFileMaxRows >= 0 required");
        }
        Objects.requireNonNull(checkpoints, "checkpoints");
        Objects.requireNonNull(checkpointSpacing, "checkpointSpacing");
    }

    public WriterSettings(String engineInfo, int rowsPerBatch, long smallFileBytes, int compactAfterFiles, long compactMaxRows) {
        this(engineInfo, rowsPerBatch, smallFileBytes, compactAfterFiles, compactMaxRows, CheckpointExecutors.standalone(),
                CheckpointSpacing.DEFAULT, PlainParquetFile.DEFAULT_MAX_ROWS);
    }

    public WriterSettings(String engineInfo, int rowsPerBatch, long smallFileBytes, int compactAfterFiles) {
        this(engineInfo, rowsPerBatch, smallFileBytes, compactAfterFiles, DEFAULT_COMPACT_MAX_ROWS);
    }

    public WriterSettings withCompactAfterFiles(int files) {
        return new WriterSettings(engineInfo, rowsPerBatch, smallFileBytes, files, compactMaxRows, checkpoints, checkpointSpacing, plainFileMaxRows);
    }

    public WriterSettings withCompactMaxRows(long rows) {
        return new WriterSettings(engineInfo, rowsPerBatch, smallFileBytes, compactAfterFiles, rows, checkpoints, checkpointSpacing, plainFileMaxRows);
    }

    /** These settings with checkpoints written by {@code executor} (the apply service's, shut down with it). */
    public WriterSettings withCheckpoints(Executor executor) {
        return new WriterSettings(engineInfo, rowsPerBatch, smallFileBytes, compactAfterFiles, compactMaxRows, executor, checkpointSpacing, plainFileMaxRows);
    }

    /** These settings with checkpoints spaced by {@code spacing}. */
    public WriterSettings withCheckpointSpacing(CheckpointSpacing spacing) {
        return new WriterSettings(engineInfo, rowsPerBatch, smallFileBytes, compactAfterFiles, compactMaxRows, checkpoints, spacing, plainFileMaxRows);
    }

    /** These settings with batches of at most {@code rows} flat rows written as {@link PlainParquetFile}s (0: none). */
    public WriterSettings withPlainFileMaxRows(int rows) {
        return new WriterSettings(engineInfo, rowsPerBatch, smallFileBytes, compactAfterFiles, compactMaxRows, checkpoints, checkpointSpacing, rows);
    }
}
