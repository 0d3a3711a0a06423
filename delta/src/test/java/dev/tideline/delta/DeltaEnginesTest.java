package dev.tideline.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.delta.kernel.Operation;
import io.delta.kernel.Scan;
import io.delta.kernel.Snapshot;
import io.delta.kernel.TableManager;
import io.delta.kernel.Transaction;
import io.delta.kernel.DataWriteContext;
import io.delta.kernel.TransactionCommitResult;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.defaults.engine.fileio.FileIO;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.hook.PostCommitHook;
import io.delta.kernel.internal.util.Utils;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterable;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.DataFileStatus;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real Kernel writes and reads through the engine {@link DeltaEngines} builds, on local disk. */
class DeltaEnginesTest {

    private static final StructType SCHEMA = KernelTables.SCHEMA;

    @TempDir
    Path warehouse;

    @Test
    void createsAppendsAndReadsBackACompressedTableWithoutCrcFiles() throws Exception {
        Engine engine = DeltaEngines.forWarehouse(warehouse.toString());
        String table = TableLocations.of(warehouse.toString(), "main", "public", "orders");

        TableManager.buildCreateTableTransaction(table, SCHEMA, "tideline-test").build(engine)
                .commit(engine, CloseableIterable.emptyIterable());
        TransactionCommitResult result = KernelTables.append(engine, table, 0, 1000, "app", 7);
        assertEquals(1, result.getVersion());
        for (PostCommitHook hook : result.getPostCommitHooks()) {
            hook.threadSafeInvoke(engine);
        }

        Snapshot snapshot = TableManager.loadSnapshot(table).build(engine);
        assertEquals(1, snapshot.getVersion());
        assertEquals(Optional.of(7L), snapshot.getLatestTransactionVersion(engine, "app"));
        assertEquals(1000, KernelTables.readIds(engine, snapshot).size());
        assertEquals(499_500L, KernelTables.readIds(engine, snapshot).stream().mapToLong(Long::longValue).sum());

        Path tableDir = DeltaEngines.localPath(table);
        try (Stream<Path> files = Files.walk(tableDir)) {
            List<Path> all = files.filter(Files::isRegularFile).toList();
            // Hadoop's checksum side files are hidden ".<name>.crc"; "<version>.crc" is Delta's own version
            // checksum, written by the post-commit hook, and wanted.
            assertFalse(all.stream().anyMatch(p -> p.getFileName().toString().matches("\\..*\\.crc")), all.toString());
            assertTrue(all.stream().anyMatch(p -> p.getFileName().toString().equals("00000000000000000001.crc")));
            assertFalse(all.stream().anyMatch(p -> p.getFileName().toString().endsWith(".tmp")), all.toString());
            List<Path> parquet = all.stream().filter(p -> p.toString().endsWith(".parquet")).toList();
            assertEquals(1, parquet.size());
            assertEquals(CompressionCodecName.ZSTD, codecOf(parquet.get(0)));
        }
    }

    @Test
    void compressionIsConfigurable() throws Exception {
        Engine engine = DeltaEngines.forWarehouse("file://" + warehouse, EngineSettings.defaults()
                .withParquetCompression("snappy").withFsync(false));
        String table = TableLocations.of("file://" + warehouse, "c", "s", "t");
        TableManager.buildCreateTableTransaction(table, SCHEMA, "tideline-test").build(engine)
                .commit(engine, CloseableIterable.emptyIterable());
        KernelTables.append(engine, table, 0, 10, "app", 1);
        try (Stream<Path> files = Files.walk(DeltaEngines.localPath(table))) {
            Path parquet = files.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
            assertEquals(CompressionCodecName.SNAPPY, codecOf(parquet));
        }
    }

    @Test
    void aReplayedTransactionIdIsRejected() throws Exception {
        Engine engine = DeltaEngines.forWarehouse(warehouse.toString());
        String table = TableLocations.of(warehouse.toString(), "c", "s", "t");
        TableManager.buildCreateTableTransaction(table, SCHEMA, "tideline-test").build(engine)
                .commit(engine, CloseableIterable.emptyIterable());
        KernelTables.append(engine, table, 0, 10, "app", 5);
        assertThrows(RuntimeException.class, () -> KernelTables.append(engine, table, 0, 10, "app", 5));
        assertEquals(10, KernelTables.readIds(engine, TableManager.loadSnapshot(table).build(engine)).size());
    }

    @Test
    void putIfAbsentRefusesAnExistingCommitFileAndOverwriteReplacesIt() throws Exception {
        FileIO io = new NioFileIO(Map.of(), true);
        String commit = "file:" + warehouse.resolve("_delta_log/00000000000000000000.json");
        io.newOutputFile(commit).writeAtomically(Utils.toCloseableIterator(List.of("a", "b").iterator()), false);
        assertThrows(FileAlreadyExistsException.class, () -> io.newOutputFile(commit)
                .writeAtomically(Utils.toCloseableIterator(List.of("c").iterator()), false));
        assertEquals("a\nb\n", Files.readString(NioFileIO.toPath(commit)));
        io.newOutputFile(commit).writeAtomically(Utils.toCloseableIterator(List.of("c").iterator()), true);
        assertEquals("c\n", Files.readString(NioFileIO.toPath(commit)));
        try (Stream<Path> files = Files.list(warehouse.resolve("_delta_log"))) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void listFromReturnsSortedSiblingsAtOrAfterTheName() throws IOException {
        FileIO io = new NioFileIO(Map.of(), false);
        Path log = Files.createDirectories(warehouse.resolve("_delta_log"));
        for (String name : List.of("00003.json", "00001.json", "00002.checkpoint.parquet", "00000.json")) {
            Files.writeString(log.resolve(name), "x");
        }
        Files.createDirectories(log.resolve("_sidecars"));
        List<String> names = new ArrayList<>();
        try (CloseableIterator<io.delta.kernel.utils.FileStatus> it = io.listFrom("file:" + log.resolve("00001"))) {
            it.forEachRemaining(s -> names.add(s.getPath().substring(s.getPath().lastIndexOf('/') + 1)));
        }
        assertEquals(List.of("00001.json", "00002.checkpoint.parquet", "00003.json"), names);
        assertThrows(java.io.FileNotFoundException.class, () -> io.listFrom("file:" + warehouse.resolve("nope/000")));
        assertTrue(io.getConf("missing").isEmpty());
        // Kernel treats only java.io.FileNotFoundException as "absent" (else it retries with sleeps).
        assertThrows(java.io.FileNotFoundException.class, () -> io.newInputFile("file:" + log.resolve("_last_checkpoint"), 0).newStream());
    }

    private static CompressionCodecName codecOf(Path parquet) throws IOException {
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(parquet.toUri()), new Configuration()))) {
            return reader.getFooter().getBlocks().get(0).getColumns().get(0).getCodec();
        }
    }

    @Test
    void enginesExposeTheirFileLayerForFilesKernelDoesNotWrite(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Engine local = DeltaEngines.forWarehouse(dir.toString(), EngineSettings.defaults());
        assertTrue(local instanceof FileIOEngine);
        String path = dir.resolve("deletion_vector_x.bin").toUri().toString();
        try (var out = ((FileIOEngine) local).fileIO().newOutputFile(path).create(true)) {
            out.write(new byte[] {1, 2, 3});
        }
        assertEquals(3, Files.size(dir.resolve("deletion_vector_x.bin")));
        assertTrue(DeltaEngines.forWarehouse("s3a://bucket/warehouse", EngineSettings.defaults()) instanceof FileIOEngine);
    }
}
