package dev.tideline.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.testing.S3Server;
import dev.tideline.testing.WithS3;
import io.delta.kernel.Snapshot;
import io.delta.kernel.TableManager;
import io.delta.kernel.engine.Engine;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code kill -9} of a writer process on a real S3 server (S3Proxy): a multipart upload killed after two parts
 * leaves no object; a Kernel writer killed at random moments of 100,000-row appends (inside Parquet uploads and
 * commits) leaves a table whose every referenced file exists whole and whose rows are exactly its committed
 * appends.
 */
@WithS3
class S3KillIT {

    @Test
    void aMultipartUploadKilledMidwayLeavesNoObject(S3Server s3) throws Exception {
        String path = s3.warehouse("kill/t/part-00000-killed.parquet");
        Process child = start(s3, path, "UPLOAD");
        try {
            assertEquals("MID UPLOAD", awaitLine(child, "MID UPLOAD"));
        } finally {
            kill(child);
        }
        S3ObjectStore store = S3ObjectStore.shared(S3Settings.compatible(s3.endpoint()));
        S3Path p = S3Path.parse(path);
        assertTrue(store.head(p.bucket(), p.key()).isEmpty(), "an uncompleted upload is never an object");
        assertTrue(store.files(p.bucket(), p.parentKey()).isEmpty(), "nor listed");
    }

    @Test
    void aKernelWriterKilledAtRandomLeavesOnlyWholeCommittedFiles(S3Server s3) throws Exception {
        String table = s3.warehouse("kill/appends");
        Engine engine = DeltaEngines.forWarehouse(table, EngineSettings.defaults(), S3Settings.compatible(s3.endpoint()));
        KernelTables.create(engine, table);
        Random random = new Random(14);
        for (int round = 0; round < 3; round++) {
            Process child = start(s3, table, "APPEND");
            try {
                awaitLine(child, "COMMITTED");
                Thread.sleep(random.nextInt(3000)); // deliberate: then somewhere inside the next append: Parquet upload or commit
            } finally {
                kill(child);
            }
        }
        Snapshot snapshot = TableManager.loadSnapshot(table).build(engine);
        long version = snapshot.getVersion();
        assertTrue(version >= 3, "each round committed at least once: v" + version);
        // Every committed append is there whole, nothing else: reading opens every referenced data file.
        List<Long> ids = KernelTables.readIds(engine, snapshot);
        assertEquals(version * 100_000, ids.size());
        assertEquals(ids.size(), ids.stream().distinct().count());
        // What a reader of the bucket sees under the table: data and log files only, no temporary or partial object
        // (uploads in flight when killed never became objects; data files of appends killed before their commit are
        // whole but unreferenced, as on any Delta store, until VACUUM).
        S3ObjectStore store = S3ObjectStore.shared(S3Settings.compatible(s3.endpoint()));
        List<String> names = new java.util.ArrayList<>();
        store.files(S3Server.BUCKET, "kill/appends").forEach(e -> names.add(e.name()));
        store.files(S3Server.BUCKET, "kill/appends/_delta_log").forEach(e -> names.add(e.name()));
        assertTrue(names.stream().allMatch(n -> n.matches("[0-9a-f-]+-\\d+\\.parquet|\\d{20}\\.(json|crc|checkpoint\\.parquet)|_last_checkpoint")),
                "only data and log files: " + names);
    }

    private static Process start(S3Server s3, String path, String mode) throws Exception {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Daws.accessKeyId=" + S3Server.ACCESS_KEY, "-Daws.secretAccessKey=" + S3Server.SECRET_KEY,
                "-cp", System.getProperty("java.class.path"), S3UploadProcessMain.class.getName(), s3.endpoint(), path, mode)
                .redirectErrorStream(true).start();
    }

    /** The first output line starting with {@code prefix}, within two minutes (the child's output is echoed on failure). */
    private static String awaitLine(Process child, String prefix) throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        for (String line; System.nanoTime() < deadline && (line = out.readLine()) != null; ) {
            seen.add(line);
            if (line.startsWith(prefix)) {
                Thread drain = new Thread(() -> {
                    try {
                        while (out.readLine() != null) {
                            // keep the pipe from filling while the child runs on
                        }
                    } catch (java.io.IOException killed) {
                        // the child was killed
                    }
                });
                drain.setDaemon(true);
                drain.start();
                return prefix;
            }
        }
        throw new AssertionError("the child never printed " + prefix + ": " + seen);
    }

    private static void kill(Process child) throws InterruptedException {
        child.destroyForcibly(); // SIGKILL: no shutdown hook, no abort of the open upload
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
    }
}
