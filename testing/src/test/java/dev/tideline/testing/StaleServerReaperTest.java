package dev.tideline.testing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** A server registered by a JVM that no longer runs is killed and its directory deleted; a live owner's is left alone. */
class StaleServerReaperTest {

    @Test
    void reapsServersOfDeadOwnersOnly() throws Exception {
        Process deadOwner = new ProcessBuilder("true").start();
        deadOwner.waitFor();
        Process orphan = new ProcessBuilder("sleep", "300").start();
        Path orphanScratch = Files.createTempDirectory("tideline-reaper-test-");
        Path registry = Paths.get(System.getProperty("java.io.tmpdir"), "tideline-test-servers");
        Files.createDirectories(registry);
        Path orphanFile = registry.resolve("reaper-test-" + System.nanoTime() + ".server");
        write(orphanFile, deadOwner.pid(), orphan.pid(), orphanScratch);

        Path liveScratch = Files.createTempDirectory("tideline-reaper-live-");
        StaleServerReaper.Registration live = StaleServerReaper.register("sleep", liveScratch);
        Process kept = new ProcessBuilder("sleep", "300").start();
        try {
            live.update(kept.pid());
            StaleServerReaper.reapStale();

            await().atMost(Duration.ofSeconds(10)).until(() -> !orphan.isAlive());
            assertFalse(Files.exists(orphanScratch), "the orphan's scratch directory is deleted");
            assertFalse(Files.exists(orphanFile), "the stale registration is removed");
            assertTrue(kept.isAlive(), "a server whose owner runs is left alone");
        } finally {
            kept.destroyForcibly();
            orphan.destroyForcibly();
            live.remove();
            ScratchDirectory.deleteQuietly(liveScratch);
            ScratchDirectory.deleteQuietly(orphanScratch);
        }
    }

    private static void write(Path file, long owner, long pid, Path scratch) throws Exception {
        Properties p = new Properties();
        p.setProperty("owner", Long.toString(owner));
        p.setProperty("ownerStart", "");
        p.setProperty("pid", Long.toString(pid));
        p.setProperty("command", "sleep");
        p.setProperty("scratch", scratch.toString());
        try (var out = Files.newBufferedWriter(file)) {
            p.store(out, null);
        }
    }
}
