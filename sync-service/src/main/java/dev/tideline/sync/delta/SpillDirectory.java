package dev.tideline.sync.delta;

import dev.tideline.core.TidelineException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * A directory of its own for one refresh's spill files, under a shared root
 * ({@code <root>/refresh-<random>}), locked while the refresh lives and deleted when it closes.
 *
 * <p>Why a fresh directory per refresh: several refreshes — of this process (one per synced table)
 * or of other sync-service replicas sharing the disk — may spill under one root, so no refresh may
 * delete files by name. Why the lock: a refresh that died without closing (kill -9, OOM) leaves its
 * directory behind; the next refresh to spill deletes every sibling whose lock nobody holds, so
 * leftovers do not pile up across restarts. (The same scheme as the gateway's spill directory.)
 */
final class SpillDirectory implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(SpillDirectory.class);
    private static final String LOCK = ".lock";
    private static final String PREFIX = "refresh-";
    /**
     * Directories claimed by this process. Never probed with a lock: on Linux, closing any channel
     * of a file releases every lock this process holds on it, so a probe would unlock the owner.
     */
    private static final Set<Path> CLAIMED = ConcurrentHashMap.newKeySet();

    private final Path path;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private SpillDirectory(Path path, FileChannel lockChannel, FileLock lock) {
        this.path = path;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Deletes abandoned refresh directories under {@code root}, then creates and locks a new one.
     *
     * @throws TidelineException RETRYABLE when the root cannot be written
     */
    static SpillDirectory claim(Path root) {
        try {
            Files.createDirectories(root);
            deleteAbandoned(root);
            Path path = Files.createTempDirectory(root, PREFIX);
            CLAIMED.add(path);
            FileChannel channel = FileChannel.open(path.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return new SpillDirectory(path, channel, channel.lock());
        } catch (IOException e) {
            throw new TidelineException(TidelineException.Kind.RETRYABLE,
                    "could not create a spill directory under " + root + ": " + e.getMessage(),
                    "set tideline.sync.spill-directory to a writable directory with room for the changed rows of the largest refresh", e);
        }
    }

    /** The directory. */
    Path path() {
        return path;
    }

    /** Releases the lock and deletes the directory with whatever is left in it. */
    @Override
    public void close() {
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException ignored) {
            // deleted next anyway
        }
        deleteTree(path);
        CLAIMED.remove(path);
    }

    private static void deleteAbandoned(Path root) throws IOException {
        try (DirectoryStream<Path> siblings = Files.newDirectoryStream(root, PREFIX + "*")) {
            for (Path sibling : siblings) {
                if (Files.isDirectory(sibling) && !inUse(sibling)) {
                    LOG.infof("deleting spill directory %s left by a refresh that did not finish", sibling);
                    deleteTree(sibling);
                }
            }
        }
    }

    private static boolean inUse(Path directory) {
        if (CLAIMED.contains(directory)) {
            return true;
        }
        try (FileChannel channel = FileChannel.open(directory.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock probe = channel.tryLock();
            if (probe == null) {
                return true; // another process holds it
            }
            probe.release();
            return false;
        } catch (IOException e) {
            return true; // when in doubt, leave it
        }
    }

    private static void deleteTree(Path directory) {
        try (Stream<Path> walk = Files.walk(directory)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a later refresh retries
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
