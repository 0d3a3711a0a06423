package dev.tideline.core.spill;

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

/**
 * A directory of its own for one unit of work's spill files (a gateway's replication session, a
 * sync refresh), under a shared root ({@code <root>/<prefix><random>}), locked while the work lives
 * and deleted when it closes.
 *
 * <p>Why a fresh directory each time: several workers — of this process or of others sharing the
 * disk (gateways with the same slot name in different source databases, sync replicas) — may spill
 * under one root, so none may delete files by name. Why the lock: work that died without closing
 * (kill -9, OOM) leaves its directory behind; the next claim with the same prefix deletes every
 * sibling whose lock nobody holds, so leftovers do not pile up across restarts.
 */
public final class SpillDirectory implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SpillDirectory.class.getName());
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
     * Deletes abandoned directories named {@code <prefix>*} under {@code root}, then creates and
     * locks a new one.
     *
     * @param prefix  what the worker's directories are named by (e.g. {@code "<slot>-"})
     * @param setting the setting that moves {@code root}, named in the error when it cannot be written
     * @throws TidelineException RETRYABLE when the root cannot be written
     */
    public static SpillDirectory claim(Path root, String prefix, String setting) {
        try {
            Files.createDirectories(root);
            deleteAbandoned(root, prefix);
            Path path = Files.createTempDirectory(root, prefix);
            CLAIMED.add(path);
            FileChannel channel = FileChannel.open(path.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return new SpillDirectory(path, channel, channel.lock());
        } catch (IOException e) {
            throw new TidelineException(TidelineException.Kind.RETRYABLE,
                    "could not create a spill directory under " + root + ": " + e.getMessage(),
                    "set " + setting + " to a writable directory with room for what is spilled", e);
        }
    }

    /** The directory. */
    public Path path() {
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

    private static void deleteAbandoned(Path root, String prefix) throws IOException {
        try (DirectoryStream<Path> siblings = Files.newDirectoryStream(root, prefix + "*")) {
            for (Path sibling : siblings) {
                if (Files.isDirectory(sibling) && !inUse(sibling)) {
                    LOG.log(System.Logger.Level.INFO, "deleting spill directory " + sibling + " left by work that did not finish");
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
                    // best effort: a later claim retries
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
