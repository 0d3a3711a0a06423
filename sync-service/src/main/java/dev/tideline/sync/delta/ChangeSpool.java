package dev.tideline.sync.delta;

import dev.tideline.core.spill.SpillDirectory;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Holds the rows read for one refresh until they are folded into net changes, within a memory
 * budget independent of the size of the refresh and of the table.
 *
 * <p>Rows are held in memory, per version and file, until they exceed {@link FoldLimits#memoryBytes()};
 * then every held row and every later one is written to one of {@link FoldLimits#partitions()} spill
 * files chosen by the hash of its primary key. {@link #fold} then folds one partition at a time with
 * {@link VersionFold}, version by version, and appends its net changes to {@link SpilledChanges}. The
 * result per key is the same as folding everything at once, because the fold decides each key from
 * that key's rows alone and every row of a key — every version of it, removed or added — lands in
 * the same partition, in the order it was read. A partition that is itself over the budget (the
 * first split has to guess how many rows will come) is split again with a differently mixed hash,
 * into as many partitions as it takes, up to {@link #MAX_LEVELS} levels; only the rows of a few
 * keys, each changed in very many versions, can stay over the budget then, and are folded as they are.
 *
 * <p>Order: files of one version are read in parallel, each by one thread that hands its rows over
 * in order ({@link Appender}); every record carries its version and file, so a partition's rows are
 * regrouped exactly as they were read. Versions are read one after the other.
 *
 * <p>Thread-safe for the readers' appenders; {@link #fold} once, after all reading. {@link #close}
 * deletes what was spilled unless the returned {@link SpilledChanges} took it over.
 */
final class ChangeSpool implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ChangeSpool.class);
    /** Rows an appender collects before handing them over (one lock per batch, not per row). */
    private static final int BATCH = 256;
    /** Split levels at most: the first split guesses, the second is sized to fit, the others are for an uneven hash. */
    static final int MAX_LEVELS = 4;
    private static final int BUFFER = 1 << 16;
    /** Open files of one split at most (a 64 KiB buffer each: 64 MiB). */
    private static final int MAX_PARTITIONS = 1024;

    /**
     * One version of the refresh and how its files divide.
     *
     * @param version      the Delta version
     * @param changeData   its rows come from change data files (otherwise: removed files, then added files)
     * @param removedFiles how many of its files, first in order, are removed files (0 for change data)
     * @param files        how many files it has in all
     */
    record VersionShape(long version, boolean changeData, int removedFiles, int files) {
    }

    private final FoldLimits limits;
    private final String tableName;
    private final List<VersionShape> shapes = new ArrayList<>();
    /** Rows held in memory, by version index and file index; emptied when the spool spills. */
    private final List<List<List<ChangeImage>>> held = new ArrayList<>();
    private long heldBytes;
    private long rows;
    private SpillDirectory directory;
    private Partitions spilled;
    private boolean closed;

    /** @param tableName the source table, for the log */
    ChangeSpool(FoldLimits limits, String tableName) {
        this.limits = limits;
        this.tableName = tableName;
    }

    /** Starts the next version (in ascending order); returns its index for {@link #appender}. */
    synchronized int addVersion(VersionShape shape) {
        shapes.add(shape);
        List<List<ChangeImage>> files = new ArrayList<>(shape.files());
        for (int i = 0; i < shape.files(); i++) {
            files.add(new ArrayList<>());
        }
        held.add(files);
        return shapes.size() - 1;
    }

    /** Where the reader of file {@code file} of version {@code version} puts its rows, in order; close it at the end of the file. */
    Appender appender(int version, int file) {
        return new Appender(version, file);
    }

    /** Rows read so far (handed over or skipped). */
    synchronized long rows() {
        return rows;
    }

    /** Collects one file's rows in batches; one thread. */
    final class Appender implements AutoCloseable {
        private final int version;
        private final int file;
        private List<ChangeImage> batch = new ArrayList<>(BATCH);
        private long skipped;

        private Appender(int version, int file) {
            this.version = version;
            this.file = file;
        }

        void add(ChangeImage image) {
            batch.add(image);
            if (batch.size() >= BATCH) {
                flush();
            }
        }

        /** A row was read that carries no change (a change data {@code update_preimage}): counted as read, not kept. */
        void skip() {
            skipped++;
        }

        private void flush() {
            if (!batch.isEmpty()) {
                accept(version, file, batch);
                batch = new ArrayList<>(BATCH);
            }
        }

        @Override
        public void close() {
            flush();
            countSkipped(skipped);
            skipped = 0;
        }
    }

    private synchronized void countSkipped(long n) {
        rows += n;
    }

    private synchronized void accept(int version, int file, List<ChangeImage> batch) {
        if (closed) {
            // a reader still running after the refresh failed elsewhere: nothing may spill any more
            throw new IllegalStateException("the change spool of " + tableName + " is closed");
        }
        rows += batch.size();
        try {
            if (spilled != null) {
                for (ChangeImage image : batch) {
                    spilled.write(version, file, image);
                }
                return;
            }
            held.get(version).get(file).addAll(batch);
            for (ChangeImage image : batch) {
                heldBytes += image.heapBytes();
            }
            if (heldBytes > limits.memoryBytes()) {
                spill();
            }
        } catch (IOException e) {
            throw SpilledChanges.failure(directory.path(), e);
        }
    }

    /** Moves every held row to the partitions; from now on rows go there directly. */
    private void spill() throws IOException {
        directory = SpillDirectory.claim(limits.spillRoot(), "refresh-", "tideline.sync.spill-directory");
        spilled = new Partitions(directory.path(), "p", 0, limits.partitions());
        LOG.infof("refresh of %s: the changed rows passed the fold budget of %d bytes after %d rows; spilling them in %d key-hash "
                + "partitions to %s", tableName, limits.memoryBytes(), rows, limits.partitions(), directory.path());
        for (int v = 0; v < held.size(); v++) {
            List<List<ChangeImage>> files = held.get(v);
            for (int f = 0; f < files.size(); f++) {
                for (ChangeImage image : files.get(f)) {
                    spilled.write(v, f, image);
                }
                files.set(f, new ArrayList<>());
            }
        }
        heldBytes = 0;
    }

    /**
     * Folds every row into net changes: in memory when they never passed the budget, else partition by
     * partition into spill files.
     *
     * @return the changes; the caller closes them
     * @throws DuplicateKeyException as {@link VersionFold#fold}
     */
    synchronized NetChanges fold(VersionFold fold) {
        if (spilled == null) {
            RowChanges changes = new RowChanges();
            foldHeld(fold, held, changes);
            changes.countRead(rows);
            return changes;
        }
        try {
            List<PartitionFile> partitions = spilled.finish();
            try (SpilledChanges.Writer net = new SpilledChanges.Writer(directory.path())) {
                for (PartitionFile p : partitions) {
                    foldPartition(fold, p, net);
                }
                SpilledChanges changes = net.finish(directory, rows);
                directory = null; // the changes own it now
                return changes;
            }
        } catch (IOException e) {
            throw SpilledChanges.failure(directory.path(), e);
        }
    }

    private void foldHeld(VersionFold fold, List<List<List<ChangeImage>>> byVersion, RowChanges into) {
        for (int v = 0; v < byVersion.size(); v++) {
            List<List<ChangeImage>> files = byVersion.get(v);
            if (files != null) {
                fold.fold(shapes.get(v), files, into);
            }
        }
    }

    /** Folds one partition (splitting it first when over the budget) and appends its net changes. */
    private void foldPartition(VersionFold fold, PartitionFile partition, SpilledChanges.Writer net) throws IOException {
        if (partition.rows() == 0) {
            Files.deleteIfExists(partition.path());
            return;
        }
        if (partition.heapBytes() > limits.memoryBytes() && partition.level() + 1 < MAX_LEVELS) {
            // As many partitions as it takes for each to fit, twice over for the hash's unevenness (at least the configured number).
            long needed = 2 * ((partition.heapBytes() + limits.memoryBytes() - 1) / limits.memoryBytes());
            int n = (int) Math.min(MAX_PARTITIONS, Math.max(limits.partitions(), needed));
            Partitions split = new Partitions(partition.path().getParent(), partition.path().getFileName().toString(), partition.level() + 1, n);
            forEachRecord(partition.path(), r -> split.write(r.version(), r.file(), r.image()));
            Files.delete(partition.path());
            for (PartitionFile p : split.finish()) {
                foldPartition(fold, p, net);
            }
            return;
        }
        if (partition.heapBytes() > limits.memoryBytes()) {
            LOG.warnf("refresh of %s: a partition of %d rows (%d bytes) is still over the fold budget after %d splits: a few keys changed "
                    + "very often; folding it as it is", tableName, partition.rows(), partition.heapBytes(), MAX_LEVELS - 1);
        }
        List<List<List<ChangeImage>>> byVersion = new ArrayList<>(shapes.size());
        for (int v = 0; v < shapes.size(); v++) {
            byVersion.add(null);
        }
        forEachRecord(partition.path(), r -> {
            List<List<ChangeImage>> files = byVersion.get(r.version());
            if (files == null) {
                files = new ArrayList<>(shapes.get(r.version()).files());
                for (int i = 0; i < shapes.get(r.version()).files(); i++) {
                    files.add(new ArrayList<>());
                }
                byVersion.set(r.version(), files);
            }
            files.get(r.file()).add(r.image());
        });
        RowChanges changes = new RowChanges();
        foldHeld(fold, byVersion, changes);
        net.add(changes);
        Files.delete(partition.path());
    }

    private interface RecordVisitor {
        void visit(ImageCodec.Tagged record) throws IOException;
    }

    private static void forEachRecord(Path file, RecordVisitor visitor) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), BUFFER))) {
            for (ImageCodec.Tagged r = ImageCodec.read(in); r != null; r = ImageCodec.read(in)) {
                visitor.visit(r);
            }
        }
    }

    /**
     * A partition written to disk.
     *
     * @param level     0 for the first split, 1 for a partition of a partition, …
     * @param heapBytes what its rows take in memory, as {@link ChangeImage#heapBytes()} counts
     */
    private record PartitionFile(Path path, int level, long rows, long heapBytes) {
    }

    /** N open partition files of one split. */
    private static final class Partitions {
        private final int level;
        private final Path[] paths;
        private final DataOutputStream[] outs;
        private final long[] rows;
        private final long[] bytes;

        Partitions(Path directory, String prefix, int level, int n) throws IOException {
            this.level = level;
            paths = new Path[n];
            outs = new DataOutputStream[n];
            rows = new long[n];
            bytes = new long[n];
            for (int i = 0; i < n; i++) {
                paths[i] = directory.resolve(prefix + "." + i);
                outs[i] = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(paths[i]), BUFFER));
            }
        }

        void write(int version, int file, ChangeImage image) throws IOException {
            int p = partition(image.key().hashCode(), level, outs.length);
            ImageCodec.write(outs[p], version, file, image);
            rows[p]++;
            bytes[p] += image.heapBytes();
        }

        /** Closes the files after a failure; the directory is deleted next. */
        void abandon() {
            for (DataOutputStream out : outs) {
                try {
                    out.close();
                } catch (IOException ignored) {
                    // deleted with the directory
                }
            }
        }

        List<PartitionFile> finish() throws IOException {
            List<PartitionFile> files = new ArrayList<>(outs.length);
            for (int i = 0; i < outs.length; i++) {
                outs[i].close();
                files.add(new PartitionFile(paths[i], level, rows[i], bytes[i]));
            }
            return files;
        }
    }

    /**
     * The partition of a key at a split level: the key's hash mixed anew for each level (murmur3's
     * finalizer over the hash and the level), so the keys of one partition spread over the next
     * level's partitions instead of all landing in one.
     */
    static int partition(int keyHash, int level, int partitions) {
        int h = keyHash ^ (0x9E3779B9 * (level + 1));
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        h ^= h >>> 16;
        return Math.floorMod(h, partitions);
    }

    /** Deletes the spill directory unless {@link #fold} handed it to its result. */
    @Override
    public synchronized void close() {
        closed = true;
        if (directory != null) {
            if (spilled != null) {
                spilled.abandon();
            }
            directory.close();
            directory = null;
        }
    }
}
