package dev.tideline.sync.delta;

import dev.tideline.sync.types.CopyRowEncoder;
import dev.tideline.sync.types.RowKey;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The file diff of ONE version (removed rows against added rows, no change data files, no
 * timeseries key) classified as the rows arrive, in whatever order the files' readers deliver them:
 * a key seen on both sides is settled at once — an update handed to {@code updates} (the refresh's
 * COPY, which so runs while the files are still being read) or, when the row is identical, no change.
 * Only the keys seen on one side so far wait, and what still waits at the end is the rest of the
 * change: added-only keys are inserts, removed-only keys are deletes ({@link #remainder()}).
 *
 * <p>The result per key is the one {@link VersionFold} gives for such a version. What it does not
 * decide it refuses with {@link Abandoned}, before the refresh commits, so the caller redoes the
 * refresh the ordinary way: a removed key seen twice (possible only with a timeseries key), rows
 * waiting beyond the fold budget, or more changes than {@code maxChanges}.
 *
 * <p>Not thread-safe: one thread feeds it (the readers hand their rows over).
 */
public final class StreamedDiff {

    /** The streamed diff cannot settle this refresh; nothing it handed over may be committed. */
    public static final class Abandoned extends RuntimeException {
        private final boolean tooManyChanges;

        Abandoned(String message, boolean tooManyChanges) {
            super(message, null, false, false);
            this.tooManyChanges = tooManyChanges;
        }

        /** Whether the change outgrew {@code maxChanges} (the caller takes a snapshot) rather than the streamed path's limits. */
        public boolean tooManyChanges() {
            return tooManyChanges;
        }
    }

    private final String tableName;
    private final CopyRowEncoder encoder;
    private final long version;
    private final long memoryBytes;
    private final long maxChanges;
    private final Consumer<byte[]> updates;
    private final Map<RowKey, ChangeImage> removedWaiting = new HashMap<>();
    private final Map<RowKey, ChangeImage> addedWaiting = new HashMap<>();
    /** Every added key, to find a second added row with one (the fold's duplicate rule). */
    private final Set<RowKey> addedKeys = new HashSet<>();
    private long waitingBytes;
    private long updated;
    private long rowsRead;

    StreamedDiff(String tableName, CopyRowEncoder encoder, long version, long memoryBytes, long maxChanges, Consumer<byte[]> updates) {
        this.tableName = tableName;
        this.encoder = encoder;
        this.version = version;
        this.memoryBytes = memoryBytes;
        this.maxChanges = maxChanges;
        this.updates = updates;
    }

    void removed(ChangeImage image) {
        rowsRead++;
        ChangeImage added = addedWaiting.remove(image.key());
        if (added != null) {
            waitingBytes -= added.heapBytes();
            settle(image, added);
            return;
        }
        if (addedKeys.contains(image.key()) || removedWaiting.containsKey(image.key())) {
            // A removed key seen twice: two removed rows with one key, which only a timeseries key allows.
            throw new Abandoned("two removed rows with one key in version " + version + " of " + tableName, false);
        }
        removedWaiting.put(image.key(), image);
        hold(image);
    }

    void added(ChangeImage image) {
        rowsRead++;
        if (!addedKeys.add(image.key())) {
            throw new DuplicateKeyException(tableName, encoder.describeKey(image.key()), version);
        }
        ChangeImage removed = removedWaiting.remove(image.key());
        if (removed != null) {
            waitingBytes -= removed.heapBytes();
            settle(removed, image);
            return;
        }
        addedWaiting.put(image.key(), image);
        hold(image);
    }

    private void settle(ChangeImage removed, ChangeImage added) {
        if (removed.row() != null && Arrays.equals(removed.row(), added.row())) {
            return; // rewritten unchanged (copy-on-write of a neighbour, compaction)
        }
        updated++;
        if (updated > maxChanges) {
            throw new Abandoned("more than " + maxChanges + " rows changed", true);
        }
        updates.accept(added.row());
    }

    private void hold(ChangeImage image) {
        waitingBytes += image.heapBytes();
        if (waitingBytes > memoryBytes) {
            throw new Abandoned("rows waiting for their other side passed the fold budget of " + memoryBytes + " bytes", false);
        }
        // Waiting rows are not counted against maxChanges: a removed row may yet meet its unchanged copy.
    }

    /** Updates handed to the consumer so far. */
    long updated() {
        return updated;
    }

    /** What is left once every row was seen: inserts (keys only added) and deletes (keys only removed); no updates. */
    RowChanges remainder() {
        if (updated + removedWaiting.size() + addedWaiting.size() > maxChanges) {
            throw new Abandoned("more than " + maxChanges + " rows changed", true);
        }
        RowChanges rest = new RowChanges();
        addedWaiting.forEach((key, image) -> rest.upsert(key, image.row(), null, true));
        removedWaiting.keySet().forEach(rest::delete);
        rest.countRead(rowsRead);
        return rest;
    }
}
