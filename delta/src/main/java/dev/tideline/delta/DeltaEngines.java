package dev.tideline.delta;

import dev.tideline.core.TidelineException;
import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.defaults.engine.hadoopio.HadoopFileIO;
import io.delta.kernel.engine.Engine;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * Builds the Delta Kernel {@link Engine} for a warehouse.
 *
 * <ul>
 *   <li>{@code file:} warehouses (and bare absolute paths) get Kernel's {@link DefaultEngine} over a
 *       {@code java.nio} file layer: commits are put-if-absent through a hard link (or an atomic
 *       rename when overwriting), no {@code .crc} side files, optional fsync. Hadoop's local file
 *       system is 5–10× slower per commit and litters {@code .crc} files.</li>
 *   <li>{@code s3:} and {@code s3a:} warehouses get the same engine over {@link S3FileIO} (AWS SDK v2, no Hadoop
 *       file system): commits are {@code If-None-Match: *} writes, large files multipart uploads. Writers call
 *       {@link #verifyAtomicCommits} once at start-up.</li>
 *   <li>Every other scheme ({@code abfss:}, {@code gs:}, {@code hdfs:} …) gets
 *       {@link DefaultEngine#create(Configuration)} with the settings' Hadoop properties; the matching
 *       Hadoop file system must be on the class path.</li>
 * </ul>
 *
 * <p>Both write Parquet with {@link EngineSettings#parquetCompression()} (ZSTD by default; Kernel's own
 * default is uncompressed) and start a new data file at {@link EngineSettings#targetFileSizeBytes()}.
 * Engines are thread-safe and meant to be shared per warehouse. The engine is a {@link FileIOEngine}:
 * writers reach its file layer for files Kernel cannot write itself (deletion vectors).
 */
public final class DeltaEngines {

    /** Hadoop/parquet-mr key of the Parquet codec, read by Kernel's Parquet writer. */
    public static final String PARQUET_COMPRESSION = "parquet.compression";
    /** Kernel key of the target data-file size. */
    public static final String TARGET_FILE_SIZE = "delta.kernel.default.parquet.writer.targetMaxFileSize";

    private DeltaEngines() {
    }

    /** An engine with {@link EngineSettings#defaults()} (and {@link S3Settings#defaults()}). */
    public static Engine forWarehouse(String warehouse) {
        return forWarehouse(warehouse, EngineSettings.defaults());
    }

    /** An engine for a local or Hadoop warehouse, or an {@code s3://} one with {@link S3Settings#defaults()}. */
    public static Engine forWarehouse(String warehouse, EngineSettings settings) {
        return forWarehouse(warehouse, settings, S3Settings.defaults());
    }

    /**
     * An engine for the warehouse URI.
     *
     * @param warehouse {@code file:/path}, {@code file:///path}, an absolute local path, {@code s3://bucket/prefix}
     *                  ({@code s3a://} alike), or a Hadoop file-system URI such as {@code abfss://…}
     * @param s3        how {@code s3://} warehouses are reached (ignored for the others)
     * @throws TidelineException (NEEDS_OPERATOR) for a relative path or an unparseable URI
     */
    public static Engine forWarehouse(String warehouse, EngineSettings settings, S3Settings s3) {
        String normalized = TableLocations.normalizeWarehouse(warehouse);
        Map<String, String> conf = new HashMap<>(settings.hadoopProperties());
        conf.put(PARQUET_COMPRESSION, settings.parquetCompression().toUpperCase(Locale.ROOT));
        conf.put(TARGET_FILE_SIZE, Long.toString(settings.targetFileSizeBytes()));
        WarehouseLocation.Kind kind = WarehouseLocation.kindOf(normalized);
        if (kind == WarehouseLocation.Kind.LOCAL) {
            return new FileIOEngine(new NioFileIO(conf, settings.fsync()));
        }
        if (kind == WarehouseLocation.Kind.S3) {
            return new FileIOEngine(new S3FileIO(S3ObjectStore.shared(s3), conf));
        }
        Configuration hadoop = new Configuration();
        conf.forEach(hadoop::set);
        return new FileIOEngine(new HadoopFileIO(hadoop));
    }

    /**
     * Refuses to write to a warehouse whose storage cannot make a Delta commit exclusive: on {@code s3://} it proves
     * that the store honours {@code If-None-Match: *} ({@link S3ObjectStore#verifyConditionalWrites}); local
     * warehouses (hard links) and Hadoop file systems (their own atomic rename or log store) pass as they are.
     * Call it once, before the first commit, in every service that writes.
     *
     * @throws TidelineException (NEEDS_OPERATOR) naming the setting to override for a single-writer store
     */
    public static void verifyAtomicCommits(Engine engine, String warehouse) {
        if (engine instanceof FileIOEngine e && e.fileIO() instanceof S3FileIO s3) {
            S3Path root = S3Path.parse(TableLocations.normalizeWarehouse(warehouse));
            s3.store().verifyConditionalWrites(root.bucket(), root.key());
        }
    }

    /** True for warehouses served by the {@code java.nio} file layer ({@code file:} URIs). */
    public static boolean isLocal(String warehouse) {
        return WarehouseLocation.kindOf(WarehouseLocation.normalize(warehouse)) == WarehouseLocation.Kind.LOCAL;
    }

    /** The local directory of a {@code file:} location (a warehouse or a table path). */
    public static Path localPath(String location) {
        return WarehouseLocation.localPath(location);
    }
}
