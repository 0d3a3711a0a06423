package dev.tideline.delta;

import dev.tideline.core.TidelineException;
import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.defaults.engine.hadoopio.HadoopFileIO;
import io.delta.kernel.engine.Engine;
import java.net.URI;
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
 *   <li>Every other scheme ({@code s3a:}, {@code abfss:}, {@code gs:}, {@code hdfs:} …) gets
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

    /** An engine with {@link EngineSettings#defaults()}. */
    public static Engine forWarehouse(String warehouse) {
        return forWarehouse(warehouse, EngineSettings.defaults());
    }

    /**
     * An engine for the warehouse URI.
     *
     * @param warehouse {@code file:/path}, {@code file:///path}, an absolute local path, or a Hadoop
     *                  file-system URI such as {@code s3a://bucket/prefix}
     * @throws TidelineException (NEEDS_OPERATOR) for a relative path or an unparseable URI
     */
    public static Engine forWarehouse(String warehouse, EngineSettings settings) {
        String normalized = TableLocations.normalizeWarehouse(warehouse);
        Map<String, String> conf = new HashMap<>(settings.hadoopProperties());
        conf.put(PARQUET_COMPRESSION, settings.parquetCompression().toUpperCase(Locale.ROOT));
        conf.put(TARGET_FILE_SIZE, Long.toString(settings.targetFileSizeBytes()));
        if (isLocal(normalized)) {
            return new FileIOEngine(new NioFileIO(conf, settings.fsync()));
        }
        Configuration hadoop = new Configuration();
        conf.forEach(hadoop::set);
        return new FileIOEngine(new HadoopFileIO(hadoop));
    }

    /** True for warehouses served by the {@code java.nio} file layer ({@code file:} URIs). */
    public static boolean isLocal(String warehouse) {
        return TableLocations.normalizeWarehouse(warehouse).startsWith("file:");
    }

    /** The local directory of a {@code file:} location (a warehouse or a table path). */
    public static Path localPath(String location) {
        String normalized = TableLocations.normalizeWarehouse(location);
        if (!normalized.startsWith("file:")) {
            throw new IllegalArgumentException("not a file: location: " + location);
        }
        return Path.of(URI.create(normalized));
    }
}
