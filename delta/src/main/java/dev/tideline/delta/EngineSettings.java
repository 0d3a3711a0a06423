package dev.tideline.delta;

import java.util.Map;
import java.util.Objects;

/**
 * How the Delta Kernel engine built by {@link DeltaEngines} writes files.
 *
 * @param parquetCompression Parquet codec name as parquet-mr spells it ({@code ZSTD}, {@code SNAPPY},
 *                           {@code GZIP}, {@code UNCOMPRESSED}); Kernel's own default is uncompressed,
 *                           which makes files about 9× larger, so Tideline defaults to ZSTD
 * @param targetFileSizeBytes size at which the Parquet writer starts a new data file (Kernel
 *                            property {@code delta.kernel.default.parquet.writer.targetMaxFileSize})
 * @param fsync              local warehouses only: force data and commit files (and the directory entry
 *                           of a commit) to disk before a write returns, so that a commit that
 *                           returned survives a machine crash. Off only for throwaway benchmarks.
 * @param hadoopProperties   extra Hadoop {@code Configuration} entries for non-{@code file:} warehouses
 *                           (e.g. {@code fs.s3a.endpoint}); also readable by Kernel through
 *                           {@code FileIO.getConf} on local warehouses
 */
public record EngineSettings(String parquetCompression, long targetFileSizeBytes, boolean fsync,
                             Map<String, String> hadoopProperties) {

    /** Default Parquet codec. */
    public static final String DEFAULT_COMPRESSION = "ZSTD";
    /** Default target data-file size: 128 MiB, Kernel's and Spark's default. */
    public static final long DEFAULT_TARGET_FILE_SIZE = 128L * 1024 * 1024;

    public EngineSettings {
        Objects.requireNonNull(parquetCompression, "parquetCompression");
        if (targetFileSizeBytes <= 0) {
            throw new IllegalArgumentException("tideline.apply.target-file-size-bytes must be > 0 (was " + targetFileSizeBytes + ")");
        }
        hadoopProperties = Map.copyOf(Objects.requireNonNull(hadoopProperties, "hadoopProperties"));
    }

    /** ZSTD, 128 MiB files, fsync on, no extra Hadoop properties. */
    public static EngineSettings defaults() {
        return new EngineSettings(DEFAULT_COMPRESSION, DEFAULT_TARGET_FILE_SIZE, true, Map.of());
    }

    public EngineSettings withParquetCompression(String codec) {
        return new EngineSettings(codec, targetFileSizeBytes, fsync, hadoopProperties);
    }

    public EngineSettings withTargetFileSizeBytes(long bytes) {
        return new EngineSettings(parquetCompression, bytes, fsync, hadoopProperties);
    }

    public EngineSettings withFsync(boolean enabled) {
        return new EngineSettings(parquetCompression, targetFileSizeBytes, enabled, hadoopProperties);
    }

    public EngineSettings withHadoopProperties(Map<String, String> properties) {
        return new EngineSettings(parquetCompression, targetFileSizeBytes, fsync, properties);
    }
}
