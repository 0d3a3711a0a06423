package dev.tideline.sync.delta;

import dev.tideline.sync.types.CopyRowEncoder;
import dev.tideline.sync.types.RowKey;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
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

    private static final long MAX_INITIAL_CAPACITY = 1 << 21;

    /** A key seen on both sides: settled; a third row with it is a duplicate. */
    private static final Object SETTLED = new Object();

    /** A removed row still waiting for its added side (added rows wait as they are). */
    private record Removed(ChangeImage image) {
    }

    private final String tableName;
    private final CopyRowEncoder encoder;
    private final long version;
    private final long memoryBytes;
    private final long maxChanges;
    private final Consumer<byte[]> updates;
    private final boolean exact;
    /**
     * Every key seen, in ONE map (one hash lookup per row; the classifying thread is the one that
     * also feeds the COPY): a waiting added row ({@link ChangeImage}), a waiting removed row
     * ({@link Removed}) or {@link #SETTLED}.
     */
    private final Map<RowKey, Object> seen;
    private long waitingBytes;
    private long waitingAdded;
    private long waitingRemoved;
    private long updated;
    private long rowsRead;

    /**
     * @param exact whether removed rows carry their content ({@code false}: keys only, so a key on both
     *              sides is an update candidate the target compares; exceeding {@code maxChanges}
     *              then abandons without asking for a snapshot)
     * @param expectedKeys about how many keys the version's files hold ({@code 0}: unknown), so the map
     *              of keys seen is sized once instead of doubling its way there (capped at 2M entries)
     */
    StreamedDiff(String tableName, CopyRowEncoder encoder, long version, long memoryBytes, long maxChanges, Consumer<byte[]> updates,
            boolean exact, long expectedKeys) {
        this.seen = new HashMap<>((int) Math.min(MAX_INITIAL_CAPACITY, Math.max(1 << 14, expectedKeys * 4 / 3 + 1)));
        this.tableName = tableName;
        this.encoder = encoder;
        this.version = version;
        this.memoryBytes = memoryBytes;
        this.maxChanges = maxChanges;
        this.updates = updates;
        this.exact = exact;
    }

    StreamedDiff(String tableName, CopyRowEncoder encoder, long version, long memoryBytes, long maxChanges, Consumer<byte[]> updates) {
        this(tableName, encoder, version, memoryBytes, maxChanges, updates, true, 0);
    }

    void removed(ChangeImage image) {
        arrive(image, true);
    }

    void added(ChangeImage image) {
        arrive(image, false);
    }

    /** A row of one side: it waits for the other side of its key, or settles the key with the row waiting there. */
    private void arrive(ChangeImage image, boolean removed) {
        rowsRead++;
        Object before = seen.putIfAbsent(image.key(), removed ? new Removed(image) : image);
        if (before == null) {
            if (removed) {
                waitingRemoved++;
            } else {
                waitingAdded++;
            }
            hold(image);
            return;
        }
        ChangeImage other = removed
                ? (before instanceof ChangeImage added ? added : null)
                : (before instanceof Removed waiting ? waiting.image() : null);
        if (other == null) {
            // A key seen twice on this side (or after it settled). Two removed rows with one key: only a timeseries key allows it.
            throw removed ? new Abandoned("two removed rows with one key in version " + version + " of " + tableName, false)
                    : new DuplicateKeyException(tableName, encoder.describeKey(image.key()), version);
        }
        seen.put(image.key(), SETTLED);
        if (removed) {
            waitingAdded--;
        } else {
            waitingRemoved--;
        }
        waitingBytes -= other.heapBytes();
        settle(removed ? image : other, removed ? other : image);
    }

    private void settle(ChangeImage removed, ChangeImage added) {
        if (removed.row() != null && Arrays.equals(removed.row(), added.row())) {
            return; // rewritten unchanged (copy-on-write of a neighbour, compaction)
        }
        updated++;
        if (updated > maxChanges) {
            throw tooMany();
        }
        updates.accept(added.row());
    }

    private Abandoned tooMany() {
        return exact ? new Abandoned("more than " + maxChanges + " rows changed", true)
                : new Abandoned("more than " + maxChanges + " rows may have changed (removed rows read by key only)", false);
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
        if (updated + waitingRemoved + waitingAdded > maxChanges) {
            throw tooMany();
        }
        RowChanges rest = new RowChanges();
        if (waitingAdded + waitingRemoved == 0) {
            rest.countRead(rowsRead);
            return rest; // only updates (the usual copy-on-write rewrite): no walk over every key seen
        }
        seen.forEach((key, state) -> {
            if (state instanceof ChangeImage image) {
                rest.upsert(key, image.row(), null, true);
            } else if (state instanceof Removed) {
                rest.delete(key);
            }
        });
        rest.countRead(rowsRead);
        return rest;
    }
}
