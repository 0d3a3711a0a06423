package dev.tideline.testing;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/** Temporary directories for server data and logs, and reading their logs back. */
final class ScratchDirectory {

    private ScratchDirectory() {
    }

    static Path create(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new TestServerException("could not create a temporary directory under "
                    + System.getProperty("java.io.tmpdir") + "; check that it exists and is writable", e);
        }
    }

    /** Deletes the tree; best effort, because cleanup must never mask the test's own failure. */
    static void deleteQuietly(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) {
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException | RuntimeException ignored) {
            // leftovers are reaped at the next start (see StaleServerReaper)
        }
    }

    /** The last {@code lines} lines of a log file, or a note that there is none. */
    static String tail(Path log, int lines) {
        if (log == null || !Files.isRegularFile(log)) {
            return "(no log at " + log + ")";
        }
        try {
            List<String> all = Files.readAllLines(log, java.nio.charset.StandardCharsets.UTF_8);
            Deque<String> last = new ArrayDeque<>();
            for (String line : all) {
                last.addLast(line);
                if (last.size() > lines) {
                    last.removeFirst();
                }
            }
            return "--- last " + last.size() + " lines of " + log + " ---\n" + String.join("\n", new ArrayList<>(last));
        } catch (IOException | RuntimeException e) {
            return "(could not read " + log + ": " + e + ")";
        }
    }
}
