package dev.tideline.gateway.source.postgres;

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
 * A directory of its own for one replication session's spill files, under a shared root
 * ({@code <root>/<slot>-<random>}), locked while the session lives and deleted when it closes.
 *
 * <p>Why a fresh directory per session: several gateways — of this process or of others sharing
 * the disk, with the same slot name in different source databases — may spill under one root, so
 * no session may delete files by name. Why the lock: a session that died without closing (kill -9,
 * OOM) leaves its directory behind; the next session for the same slot deletes every sibling whose
 * lock nobody holds, so leftovers do not pile up across restarts.
 */
final class SpillDirectory implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(SpillDirectory.class);
    private static final String LOCK = ".lock";
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
     * Deletes abandoned directories of {@code slotName} under {@code root}, then creates and locks a
     * new one.
     *
     * @throws TidelineException RETRYABLE when the root cannot be written
     */
    static SpillDirectory claim(Path root, String slotName) {
        try {
            Files.createDirectories(root);
            deleteAbandoned(root, slotName);
            Path path = Files.createTempDirectory(root, slotName + "-");
            CLAIMED.add(path);
            FileChannel channel = FileChannel.open(path.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return new SpillDirectory(path, channel, channel.lock());
        } catch (IOException e) {
            throw new TidelineException(TidelineException.Kind.RETRYABLE,
                    "could not create a spill directory under " + root + ": " + e.getMessage(),
                    "set tideline.gateway.spill-directory to a writable directory with room for the largest open source transaction", e);
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

    private static void deleteAbandoned(Path root, String slotName) throws IOException {
        try (DirectoryStream<Path> siblings = Files.newDirectoryStream(root, slotName + "-*")) {
            for (Path sibling : siblings) {
                if (Files.isDirectory(sibling) && !inUse(sibling)) {
                    LOG.infof("deleting spill directory %s left by a session that did not close", sibling);
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
                    // best effort: a later session retries
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
