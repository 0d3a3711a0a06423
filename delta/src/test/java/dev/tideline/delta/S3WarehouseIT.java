package dev.tideline.delta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.TidelineException;
import dev.tideline.testing.S3Server;
import dev.tideline.testing.WithS3;
import io.delta.kernel.Operation;
import io.delta.kernel.Snapshot;
import io.delta.kernel.TableManager;
import io.delta.kernel.Transaction;
import io.delta.kernel.TransactionCommitResult;
import io.delta.kernel.data.Row;
import io.delta.kernel.defaults.engine.fileio.SeekableInputStream;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.exceptions.ConcurrentTransactionException;
import io.delta.kernel.hook.PostCommitHook;
import io.delta.kernel.internal.util.Utils;
import io.delta.kernel.utils.CloseableIterable;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.FileStatus;
import java.io.FileNotFoundException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Kernel on a real S3 server (S3Proxy, filesystem backend) through {@link S3FileIO}: tables written and read
 * back, commits exclusive under concurrency by {@code If-None-Match: *}, large files as multipart uploads, and the
 * start-up check of conditional writes.
 */
@WithS3
class S3WarehouseIT {

    private static S3Settings settings(S3Server s3) {
        return S3Settings.compatible(s3.endpoint());
    }

    private static Engine engine(S3Server s3) {
        return DeltaEngines.forWarehouse(s3.warehouse("w"), EngineSettings.defaults(), settings(s3));
    }

    private static String table(S3Server s3, TestInfo test) {
        return WarehouseLocation.of(s3.warehouse("w")).table("main", "public", test.getTestMethod().orElseThrow().getName());
    }

    @Test
    void kernelWritesATableToS3AndReadsItBackEqual(S3Server s3, TestInfo test) throws Exception {
        Engine engine = engine(s3);
        String table = table(s3, test);
        KernelTables.create(engine, table);
        for (int commit = 0; commit < 12; commit++) {
            TransactionCommitResult result = KernelTables.append(engine, table, commit * 100L, 100, "app", commit);
            for (PostCommitHook hook : result.getPostCommitHooks()) {
                hook.threadSafeInvoke(engine); // a checkpoint at version 10
            }
        }
        Snapshot snapshot = TableManager.loadSnapshot(table).build(engine);
        assertEquals(12, snapshot.getVersion());
        List<Long> ids = KernelTables.readIds(engine, snapshot);
        assertEquals(1200, ids.size());
        assertEquals(1200L * 1199 / 2, ids.stream().mapToLong(Long::longValue).sum());
        assertEquals(java.util.Optional.of(11L), snapshot.getLatestTransactionVersion(engine, "app"));

        Path stored = s3.bucketDirectory(S3Server.BUCKET).resolve("w/main/public/" + test.getTestMethod().orElseThrow().getName());
        try (Stream<Path> files = Files.walk(stored)) {
            List<String> names = files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).toList();
            assertTrue(names.contains("00000000000000000010.checkpoint.parquet"), names.toString());
            assertTrue(names.contains("_last_checkpoint"), names.toString());
            assertEquals(12, names.stream().filter(n -> n.endsWith(".parquet") && !n.contains("checkpoint")).count(), names.toString());
        }
        // A second engine (another process, as sync-service is) reads the same state from the checkpoint on.
        assertEquals(ids.size(), KernelTables.readIds(engine(s3), TableManager.loadSnapshot(table).build(engine(s3))).size());
    }

    @Test
    void aMissingTableIsNotFound(S3Server s3, TestInfo test) {
        Engine engine = engine(s3);
        assertThrows(io.delta.kernel.exceptions.TableNotFoundException.class,
                () -> TableManager.loadSnapshot(table(s3, test)).build(engine));
    }

    @Test
    void ofConcurrentCommittersOfOneVersionExactlyOneWins(S3Server s3, TestInfo test) throws Exception {
        S3FileIO io = (S3FileIO) ((FileIOEngine) engine(s3)).fileIO();
        String commit = table(s3, test) + "/_delta_log/00000000000000000001.json";
        List<String> winners = raceToCommit(io, commit, 8);
        assertEquals(1, winners.size(), "exactly one writer of version 1 succeeds: " + winners);
        try (SeekableInputStream in = io.newInputFile(commit, 0).newStream()) {
            assertEquals(winners.get(0) + "\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /**
     * The same race on a real store that ignores {@code If-None-Match} (S3Proxy 2.7.0): every writer "wins", each
     * overwriting the last — what the test above would see without the conditional write, and why the start-up
     * check refuses such a store.
     */
    @Test
    void withoutConditionalWritesConcurrentCommittersAllWin() throws Exception {
        try (S3Server ignoring = S3Server.create(S3Server.Backend.IGNORES_CONDITIONAL_WRITES).start()) {
            S3FileIO io = (S3FileIO) ((FileIOEngine) DeltaEngines.forWarehouse(ignoring.warehouse("w"), EngineSettings.defaults(),
                    settings(ignoring))).fileIO();
            List<String> winners = raceToCommit(io, ignoring.warehouse("w") + "/c/s/t/_delta_log/00000000000000000001.json", 8);
            assertTrue(winners.size() > 1, "without If-None-Match more than one writer commits version 1: " + winners);
        }
    }

    /** {@code writers} threads write one commit file at once, put-if-absent; returns the contents that succeeded. */
    private static List<String> raceToCommit(S3FileIO io, String commit, int writers) throws Exception {
        CyclicBarrier start = new CyclicBarrier(writers);
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                String content = "{\"commitInfo\":{\"writer\":" + i + "}}";
                results.add(pool.submit(() -> {
                    start.await();
                    try {
                        io.newOutputFile(commit).writeAtomically(Utils.toCloseableIterator(List.of(content).iterator()), false);
                        return content;
                    } catch (FileAlreadyExistsException lost) {
                        return null;
                    }
                }));
            }
            List<String> winners = new ArrayList<>();
            for (Future<String> r : results) {
                String won = r.get();
                if (won != null) {
                    winners.add(won);
                }
            }
            return winners;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theLoserOfAKernelCommitRaceWithTheSameTransactionIdIsRejectedAndABlindAppendIsRebased(S3Server s3, TestInfo test)
            throws Exception {
        Engine engine = engine(s3);
        String table = table(s3, test);
        KernelTables.create(engine, table);
        Snapshot base = TableManager.loadSnapshot(table).build(engine);
        Transaction first = base.buildUpdateTableTransaction("tideline-test", Operation.WRITE).withTransactionId("pipeline/t", 1).build(engine);
        Transaction replay = base.buildUpdateTableTransaction("tideline-test", Operation.WRITE).withTransactionId("pipeline/t", 1).build(engine);
        Transaction other = base.buildUpdateTableTransaction("tideline-test", Operation.WRITE).withTransactionId("pipeline/u", 1).build(engine);
        CloseableIterable<Row> firstRows = KernelTables.appendActions(engine, first, 0, 10);
        CloseableIterable<Row> replayRows = KernelTables.appendActions(engine, replay, 100, 10);
        CloseableIterable<Row> otherRows = KernelTables.appendActions(engine, other, 200, 10);

        assertEquals(1, first.commit(engine, firstRows).getVersion());
        // Both others were built on version 0 and try to write _delta_log/...01.json: the store refuses them, Kernel
        // reads the winner, rejects the replay of the same transaction id and rebases the blind append to version 2.
        assertThrows(ConcurrentTransactionException.class, () -> replay.commit(engine, replayRows));
        assertEquals(2, other.commit(engine, otherRows).getVersion());

        List<Long> ids = KernelTables.readIds(engine, TableManager.loadSnapshot(table).build(engine));
        assertEquals(20, ids.size());
        assertFalse(ids.contains(100L), "the rejected replay's rows are not in the table");
    }

    @Test
    void aLargeFileIsAMultipartUploadThatAppearsOnlyWhenComplete(S3Server s3, TestInfo test) throws Exception {
        S3ObjectStore store = S3ObjectStore.shared(settings(s3).withPartSizeBytes(S3Settings.MIN_PART_SIZE));
        S3FileIO io = new S3FileIO(store, java.util.Map.of());
        String path = table(s3, test) + "/part-00000.parquet";
        byte[] data = new byte[12 * 1024 * 1024 + 123];
        new Random(7).nextBytes(data);
        S3Path p = S3Path.parse(path);
        try (var out = io.newOutputFile(path).create(true)) {
            out.write(data, 0, 6 * 1024 * 1024); // past one part: the upload has started
            assertTrue(store.head(p.bucket(), p.key()).isEmpty(), "nothing is visible before the upload completes");
            for (int i = 6 * 1024 * 1024; i < data.length; i++) {
                out.write(data[i]);
            }
            assertEquals(data.length, out.getPos());
        }
        FileStatus status = io.getFileStatus(path);
        assertEquals(data.length, status.getSize());
        try (SeekableInputStream in = io.newInputFile(path, status.getSize()).newStream()) {
            byte[] tail = new byte[8];
            in.seek(data.length - 8);
            in.readFully(tail, 0, 8);
            assertArrayEquals(java.util.Arrays.copyOfRange(data, data.length - 8, data.length), tail);
            in.seek(100);
            byte[] middle = new byte[10 * 1024 * 1024];
            in.readFully(middle, 0, middle.length); // spans two request windows
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 100, 100 + middle.length), middle);
        }
        // put-if-absent holds for multipart uploads too
        assertThrows(FileAlreadyExistsException.class, () -> {
            try (var out = io.newOutputFile(path).create(true)) {
                out.write(data);
            }
        });
    }

    @Test
    void listingStartsAtTheNameAndMissingFilesAreNotFound(S3Server s3, TestInfo test) throws Exception {
        S3FileIO io = (S3FileIO) ((FileIOEngine) engine(s3)).fileIO();
        String log = table(s3, test) + "/_delta_log";
        for (String name : List.of("00003.json", "00001.json", "00002.checkpoint.parquet", "00000.json", "_sidecars/x.parquet")) {
            io.newOutputFile(log + "/" + name).writeAtomically(Utils.toCloseableIterator(List.of("x").iterator()), false);
        }
        List<String> names = new ArrayList<>();
        try (CloseableIterator<FileStatus> it = io.listFrom(log + "/00001")) {
            it.forEachRemaining(s -> names.add(s.getPath().substring(s.getPath().lastIndexOf('/') + 1)));
        }
        assertEquals(List.of("00001.json", "00002.checkpoint.parquet", "00003.json"), names);
        try (CloseableIterator<FileStatus> after = io.listFrom(log + "/00009")) {
            assertFalse(after.hasNext(), "an existing directory with nothing at or after the name lists empty");
        }
        assertThrows(FileNotFoundException.class, () -> io.listFrom(table(s3, test) + "/nope/000"));
        // Kernel treats only java.io.FileNotFoundException as "absent" (else it retries with sleeps).
        assertThrows(FileNotFoundException.class, () -> io.newInputFile(log + "/_last_checkpoint", 0).newStream());
        assertThrows(FileNotFoundException.class, () -> io.getFileStatus(log + "/_last_checkpoint"));
    }

    @Test
    void theStartUpCheckPassesOnAStoreThatHonoursConditionalWrites(S3Server s3) throws Exception {
        Engine engine = engine(s3);
        DeltaEngines.verifyAtomicCommits(engine, s3.warehouse("w"));
        try (Stream<Path> files = Files.walk(s3.bucketDirectory(S3Server.BUCKET))) {
            assertFalse(files.anyMatch(p -> p.toString().contains("conditional-write-probe")), "the probe object is deleted");
        }
    }

    @Test
    void theStartUpCheckRefusesAStoreThatDoesNotHonourConditionalWritesNamingTheOverride() {
        try (S3Server memory = S3Server.create(S3Server.Backend.IGNORES_CONDITIONAL_WRITES).start()) {
            S3Settings s = settings(memory);
            Engine engine = DeltaEngines.forWarehouse(memory.warehouse("w"), EngineSettings.defaults(), s);
            TidelineException e = assertThrows(TidelineException.class, () -> DeltaEngines.verifyAtomicCommits(engine, memory.warehouse("w")));
            assertEquals(TidelineException.Kind.NEEDS_OPERATOR, e.kind(), e.getMessage());
            assertTrue(e.getMessage().contains("If-None-Match"), e.getMessage());
            assertTrue(e.hint().contains(S3Settings.SINGLE_WRITER_PROPERTY), e.hint());

            // The operator's override: one writer, commits as a check then a write; the table still works.
            Engine single = DeltaEngines.forWarehouse(memory.warehouse("w"), EngineSettings.defaults(), s.withSingleWriter(true));
            DeltaEngines.verifyAtomicCommits(single, memory.warehouse("w"));
            String table = WarehouseLocation.of(memory.warehouse("w")).table("c", "s", "t");
            KernelTables.create(single, table);
            KernelTables.append(single, table, 0, 10, "app", 1);
            assertEquals(10, KernelTables.readIds(single, TableManager.loadSnapshot(table).build(single)).size());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void warehouseLocationsAgreeAcrossSpellings() {
        WarehouseLocation s3 = WarehouseLocation.of("s3://bucket/prefix/");
        assertEquals(WarehouseLocation.Kind.S3, s3.kind());
        assertEquals("s3://bucket/prefix/main/public/my=2Etable", s3.table("main", "public", "my.table"));
        assertEquals(WarehouseLocation.Kind.S3, WarehouseLocation.of("s3a://bucket").kind());
        assertThrows(TidelineException.class, () -> WarehouseLocation.of("s3:///prefix"));
        assertEquals(WarehouseLocation.Kind.LOCAL, WarehouseLocation.of("relative/wh").kind());
        assertEquals("file:" + Path.of("relative/wh").toAbsolutePath(), WarehouseLocation.of("relative/wh").uri());
        assertEquals(WarehouseLocation.Kind.HADOOP, WarehouseLocation.of("abfss://c@a.dfs.core.windows.net/w").kind());
        try (InputStream unused = InputStream.nullInputStream()) {
            assertEquals(S3Path.parse("s3://b/k/x"), new S3Path("s3", "b", "k/x"));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
