package dev.tideline.delta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.delta.kernel.TableManager;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.engine.FileReadResult;
import io.delta.kernel.engine.ParquetHandler;
import io.delta.kernel.expressions.Column;
import io.delta.kernel.expressions.Predicate;
import io.delta.kernel.internal.util.Utils;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.DataFileStatus;
import io.delta.kernel.utils.FileStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NoHadoopDefaultsParquetHandlerTest {

    /** A key only {@code core-default.xml} sets: visible means the file was parsed. */
    private static final String FROM_CORE_DEFAULT = "fs.defaultFS";

    @TempDir
    Path dir;

    @Test
    void localEnginesUseItAndWriteTheSameBytesAsKernelAlone() throws Exception {
        Engine ours = DeltaEngines.forWarehouse(dir.resolve("ours").toString());
        assertInstanceOf(NoHadoopDefaultsParquetHandler.class, ours.getParquetHandler());
        Engine kernelAlone = DefaultEngine.create(new NioFileIO(Map.of(
                DeltaEngines.PARQUET_COMPRESSION, EngineSettings.defaults().parquetCompression().toUpperCase(),
                DeltaEngines.TARGET_FILE_SIZE, Long.toString(EngineSettings.defaults().targetFileSizeBytes())), false));

        String oursTable = dir.resolve("ours/t").toUri().toString();
        String kernelTable = dir.resolve("kernel/t").toUri().toString();
        for (var table : List.of(Map.entry(ours, oursTable), Map.entry(kernelAlone, kernelTable))) {
            KernelTables.create(table.getKey(), table.getValue());
            KernelTables.append(table.getKey(), table.getValue(), 1, 5_000, "app", 1);
        }

        assertArrayEquals(Files.readAllBytes(onlyDataFile(dir.resolve("kernel/t"))),
                Files.readAllBytes(onlyDataFile(dir.resolve("ours/t"))),
                "the same rows, codec and settings make the same Parquet file");
        assertEquals(LongStream.rangeClosed(1, 5_000).boxed().toList(),
                KernelTables.readIds(ours, TableManager.loadSnapshot(oursTable).build(ours)),
                "footers and pages read back through the handler");
    }

    @Test
    void hadoopDefaultsAreHiddenForTheCallAndEveryIteratorStepThenRestored() throws Exception {
        assertEquals("file:///", new Configuration().get(FROM_CORE_DEFAULT), "precondition: the file is on the class path");
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        List<String> seen = new ArrayList<>();
        ParquetHandler recording = new RecordingHandler(seen);

        try (CloseableIterator<FileReadResult> results = new NoHadoopDefaultsParquetHandler(recording)
                .readParquetFiles(Utils.toCloseableIterator(List.<FileStatus>of().iterator()), new StructType(),
                        Optional.empty())) {
            assertSame(before, Thread.currentThread().getContextClassLoader(), "restored between steps");
            results.hasNext();
            assertThrows(IllegalStateException.class, results::next);
            assertSame(before, Thread.currentThread().getContextClassLoader(), "restored after a failure");
        }

        assertEquals(List.of("call:null", "hasNext:null", "next:null", "close:null"), seen);
        assertEquals("file:///", new Configuration().get(FROM_CORE_DEFAULT));
    }

    @Test
    void theLoaderHidesOnlyHadoopsDefaultAndSiteFiles() {
        ClassLoader loader = new NoHadoopDefaultsParquetHandler.HidingLoader(getClass().getClassLoader());
        for (String hidden : List.of("core-default.xml", "core-site.xml", "mapred-default.xml", "yarn-default.xml")) {
            assertNull(loader.getResource(hidden), hidden);
        }
        assertNotNull(getClass().getClassLoader().getResource("core-default.xml"), "precondition");
        assertNotNull(loader.getResource("dev/tideline/delta/DeltaEngines.class"));
    }

    private static Path onlyDataFile(Path table) throws IOException {
        try (Stream<Path> files = Files.list(table)) {
            List<Path> parquet = files.filter(f -> f.toString().endsWith(".parquet")).toList();
            assertEquals(1, parquet.size(), () -> "data files in " + table + ": " + parquet);
            return parquet.get(0);
        }
    }

    /** Records what a fresh Hadoop configuration sees for {@link #FROM_CORE_DEFAULT} at each step. */
    private record RecordingHandler(List<String> seen) implements ParquetHandler {

        private void record(String step) {
            seen.add(step + ":" + new Configuration().get(FROM_CORE_DEFAULT));
        }

        @Override
        public CloseableIterator<FileReadResult> readParquetFiles(CloseableIterator<FileStatus> files,
                StructType schema, Optional<Predicate> predicate) {
            record("call");
            return new CloseableIterator<>() {
                @Override
                public boolean hasNext() {
                    record("hasNext");
                    return true;
                }

                @Override
                public FileReadResult next() {
                    record("next");
                    throw new IllegalStateException("a failing read");
                }

                @Override
                public void close() {
                    record("close");
                }
            };
        }

        @Override
        public CloseableIterator<DataFileStatus> writeParquetFiles(String directory,
                CloseableIterator<FilteredColumnarBatch> data, List<Column> statsColumns) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void writeParquetFileAtomically(String filePath, CloseableIterator<FilteredColumnarBatch> data) {
            throw new UnsupportedOperationException();
        }
    }
}
