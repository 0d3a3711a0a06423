package dev.tideline.delta;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.delta.kernel.Operation;
import io.delta.kernel.TableManager;
import io.delta.kernel.Transaction;
import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.engine.Engine;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cost of one small Parquet data file (10 rows), written and its statistics read back the way apply writes them,
 * through our engine against Kernel's engine over the same file layer and settings: the reference, in the same run.
 * Many tables with a little traffic each make many such files; this is the per-file overhead they pay.
 *
 * <pre>./mvnw -B -o -pl delta -am test -Dtest=SmallParquetFilesBenchmark -Dtideline.benchmark=true -Dsurefire.failIfNoSpecifiedTests=false</pre>
 */
class SmallParquetFilesBenchmark {

    private static final int FILES = 300;

    @TempDir
    Path dir;

    @Test
    void perFileCostAgainstKernelAlone() throws Exception {
        assumeTrue(Boolean.getBoolean("tideline.benchmark"), "opt-in: -Dtideline.benchmark=true");
        EngineSettings settings = EngineSettings.defaults();
        Engine ours = DeltaEngines.forWarehouse(dir.resolve("ours").toString(), settings);
        Engine kernel = DefaultEngine.create(new NioFileIO(Map.of(
                DeltaEngines.PARQUET_COMPRESSION, settings.parquetCompression().toUpperCase(),
                DeltaEngines.TARGET_FILE_SIZE, Long.toString(settings.targetFileSizeBytes())), settings.fsync()));
        for (int round = 0; round < 3; round++) {
            double kernelMs = msPerFile(kernel, "kernel-" + round);
            double oursMs = msPerFile(ours, "ours-" + round);
            System.out.printf("round %d: %,d files of 10 rows: tideline %.2f ms per file, Kernel's engine (reference) "
                    + "%.2f ms per file: %.2fx faster%n", round, FILES, oursMs, kernelMs, kernelMs / oursMs);
        }
    }

    private double msPerFile(Engine engine, String name) throws Exception {
        String table = dir.resolve(name).toUri().toString();
        KernelTables.create(engine, table);
        Transaction txn = TableManager.loadSnapshot(table).build(engine)
                .buildUpdateTableTransaction("benchmark", Operation.WRITE).build(engine);
        long start = System.nanoTime();
        for (int i = 0; i < FILES; i++) {
            KernelTables.appendActions(engine, txn, i * 10L, 10);
        }
        return (System.nanoTime() - start) / 1e6 / FILES;
    }
}
