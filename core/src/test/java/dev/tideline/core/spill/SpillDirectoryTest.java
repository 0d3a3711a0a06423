package dev.tideline.core.spill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpillDirectoryTest {

    @TempDir
    Path root;

    @Test
    void aSessionDeletesWhatADeadSessionOfItsSlotLeftButNeverALiveOne() throws IOException {
        // Left by a session that was killed: its lock file exists, nobody holds the lock.
        Path abandoned = Files.createDirectories(root.resolve("slot_a-123"));
        Files.createFile(abandoned.resolve(".lock"));
        Files.writeString(abandoned.resolve("xid-7-1.pgoutput"), "spilled");
        Path otherSlot = Files.createDirectories(root.resolve("slot_b-456"));

        try (SpillDirectory live = SpillDirectory.claim(root, "slot_a-", "x.spill-directory")) {
            assertFalse(Files.exists(abandoned), "an abandoned directory of the same slot is deleted");
            assertTrue(Files.exists(otherSlot), "another slot's directory is not this session's business");
            try (SpillDirectory second = SpillDirectory.claim(root, "slot_a-", "x.spill-directory")) {
                assertTrue(Files.isDirectory(live.path()), "a live session's directory is kept");
                assertNotEquals(live.path(), second.path());
            }
            Path gone = live.path();
            live.close();
            assertFalse(Files.exists(gone), "closing deletes the directory");
        }
        assertEquals(1, root.toFile().list().length);
    }
}
