package dev.tideline.sync.delta;

import dev.tideline.core.TidelineException;
import dev.tideline.sync.types.CopyRowEncoder;
import dev.tideline.sync.types.RowKey;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the rows read for one Delta version into that version's net change per key and folds it
 * into a {@link RowChanges}: the change data rules for a version with {@code cdc} files, the
 * comparison by key of removed and added rows otherwise (see {@link DeltaChangeReader}).
 *
 * <p>Pure and per key: what it decides for a key depends only on that key's rows, in the order they
 * were read (file by file, each file in row order). That is what lets {@link ChangeSpool} fold the
 * keys of a refresh in hash partitions, one partition at a time, with the same result as all at once.
 * Stateless apart from its configuration; safe to share.
 */
final class VersionFold {

    private final String tableName;
    private final CopyRowEncoder encoder;
    private final boolean timeseriesKey;

    /**
     * @param tableName     the source table, for error messages
     * @param encoder       describes keys in error messages
     * @param timeseriesKey whether the synced table has a timeseries key (duplicates keep the latest row)
     */
    VersionFold(String tableName, CopyRowEncoder encoder, boolean timeseriesKey) {
        this.tableName = tableName;
        this.encoder = encoder;
        this.timeseriesKey = timeseriesKey;
    }

    /**
     * Folds one version into {@code changes}.
     *
     * @param shape the version and how its files divide (removed, then added; or change data)
     * @param files the rows read from each file, in the shape's order
     * @throws DuplicateKeyException when the version adds two rows with one key and there is no timeseries key
     */
    void fold(ChangeSpool.VersionShape shape, List<List<ChangeImage>> files, RowChanges changes) {
        // Sized for every row read being written: growing a map of 100k entries rehashes it 15 times.
        int rows = 0;
        for (List<ChangeImage> file : files.subList(shape.changeData() ? 0 : shape.removedFiles(), files.size())) {
            rows += file.size();
        }
        Map<RowKey, RowChanges.Pending> upserts = new HashMap<>(rows * 4 / 3 + 1);
        Set<RowKey> deletes = new HashSet<>();
        if (shape.changeData()) {
            for (List<ChangeImage> file : files) {
                changeData(file, shape.version(), upserts, deletes);
            }
        } else {
            fileDiff(shape, files, upserts, deletes, changes);
        }
        List<RowKey> deleted = new ArrayList<>();
        for (RowKey key : deletes) {
            // A key both deleted and inserted by one version (a CDC delete + insert) replaced a row: not new.
            RowChanges.Pending written = upserts.computeIfPresent(key,
                    (k, p) -> p.insert() ? new RowChanges.Pending(p.row(), p.timeseries(), false) : p);
            if (written == null) {
                deleted.add(key);
            }
        }
        // The version's upserts and deletes have no key in common, so their order does not matter;
        // upserts first lets the first version's map be taken over whole.
        changes.upsertAll(upserts);
        for (RowKey key : deleted) {
            changes.delete(key);
            if (timeseriesKey) {
                changes.markDeleteUnderTimeseriesKey();
            }
        }
    }

    private void changeData(List<ChangeImage> file, long version, Map<RowKey, RowChanges.Pending> upserts, Set<RowKey> deletes) {
        for (ChangeImage image : file) {
            switch (image.change()) {
                case ChangeImage.CDC_INSERT, ChangeImage.CDC_POSTIMAGE -> addUpsert(image, version,
                        image.change() == ChangeImage.CDC_INSERT, upserts);
                case ChangeImage.CDC_DELETE -> deletes.add(image.key());
                default -> throw new IllegalStateException("not a change data row: " + image.change());
            }
        }
    }

    /**
     * A version without change data files: its removed rows compared by key with its added rows. A
     * key only among the removed rows is deleted; an added row is written unless an identical row
     * was removed (a rewrite without change), and is an insert when no removed row had its key. A
     * removed key read without its row (deletion-vector rewrite) is never taken as unchanged.
     */
    private void fileDiff(ChangeSpool.VersionShape shape, List<List<ChangeImage>> files, Map<RowKey, RowChanges.Pending> upserts,
            Set<RowKey> deletes, RowChanges changes) {
        // One entry per key of the diff, holding its removed row(s) and its added row: each row costs one
        // look-up, and the classification then walks the entries without any.
        int rows = 0;
        for (List<ChangeImage> file : files) {
            rows += file.size();
        }
        Map<RowKey, KeyDiff> diff = new HashMap<>(rows * 4 / 3 + 1);
        for (List<ChangeImage> file : files.subList(0, shape.removedFiles())) {
            for (ChangeImage image : file) {
                KeyDiff d = diff.putIfAbsent(image.key(), new KeyDiff(image));
                if (d != null) {
                    d.removedAgain(image); // two removed rows with one key: only possible with a timeseries key
                }
            }
        }
        Set<ByteBuffer> addedRows = new HashSet<>();
        for (List<ChangeImage> file : files.subList(shape.removedFiles(), files.size())) {
            for (ChangeImage image : file) {
                KeyDiff d = diff.get(image.key());
                if (d == null) {
                    diff.put(image.key(), KeyDiff.added(image));
                } else if (d.added == null) {
                    d.added = image;
                } else {
                    d.added = keepsExisting(d.added.ts(), image, shape.version()) ? d.added : image;
                }
                if (timeseriesKey) {
                    addedRows.add(ByteBuffer.wrap(image.row()));
                }
            }
        }
        for (KeyDiff d : diff.values()) {
            if (d.added == null) {
                deletes.add(d.removed.key());
                continue;
            }
            RowChanges.Pending now = new RowChanges.Pending(d.added.row(), d.added.ts(), d.removed == null);
            if (d.removed != null && d.removedAgain == null && !timeseriesKey) {
                // The common case, one removed row and no timeseries: no list to walk.
                if (d.removed.row() == null || !Arrays.equals(d.removed.row(), now.row())) {
                    upserts.put(d.added.key(), now);
                }
                continue;
            }
            boolean existedBefore = false;
            for (ChangeImage removed : d.removedRows()) {
                existedBefore |= removed.row() != null && Arrays.equals(removed.row(), now.row());
                if (timeseriesKey && (removed.row() == null || !addedRows.contains(ByteBuffer.wrap(removed.row())))
                        && supersedes(removed.ts(), now)) {
                    // The key's latest row went away and nothing newer replaced it: the new latest row
                    // may live in a file this version did not touch.
                    changes.markDeleteUnderTimeseriesKey();
                }
            }
            if (!existedBefore) { // else rewritten unchanged (deletion-vector rewrite, copy-on-write of neighbours)
                upserts.put(d.added.key(), now);
            }
        }
    }

    /**
     * Records an added row of one version: the latest per key under a timeseries key, otherwise a
     * second row with one key fails naming the key.
     */
    private void addUpsert(ChangeImage image, long version, boolean insert, Map<RowKey, RowChanges.Pending> upserts) {
        RowChanges.Pending existing = upserts.get(image.key());
        if (existing != null && keepsExisting(existing.timeseries(), image, version)) {
            return;
        }
        upserts.put(image.key(), new RowChanges.Pending(image.row(), image.ts(), insert));
    }

    /**
     * Whether a row the version already added for {@code image}'s key stays, rather than {@code image}: under a
     * timeseries key the later row wins (ties go to {@code image}); without one the table now holds a duplicate
     * key, which fails naming it.
     */
    private boolean keepsExisting(@SuppressWarnings("rawtypes") Comparable existingTimeseries, ChangeImage image, long version) {
        if (!timeseriesKey) {
            throw new DuplicateKeyException(tableName, encoder.describeKey(image.key()), version);
        }
        return isOlder(image.ts(), existingTimeseries);
    }

    /** Whether a row with timeseries value {@code ts} is older than one with {@code than} (NULL is oldest; ties go to the newcomer). */
    @SuppressWarnings({"rawtypes", "unchecked"})
    private static boolean isOlder(Comparable ts, Comparable than) {
        return than != null && (ts == null || ts.compareTo(than) < 0);
    }

    /** Whether the removed row's timeseries value ranks above the key's new row (so removing it lowers the key's latest value). */
    @SuppressWarnings({"rawtypes", "unchecked"})
    private static boolean supersedes(Comparable removedTimeseries, RowChanges.Pending now) {
        Comparable r = removedTimeseries;
        Comparable n = now.timeseries();
        if (r == null) {
            return false;
        }
        return n == null || n.compareTo(r) < 0;
    }

    /** One key of a version's file diff: the row(s) removed with it (none: a new key) and the row added with it (none: deleted). */
    private static final class KeyDiff {
        private final ChangeImage removed;
        private List<ChangeImage> removedAgain;
        private ChangeImage added;

        KeyDiff(ChangeImage removed) {
            this.removed = removed;
        }

        static KeyDiff added(ChangeImage image) {
            KeyDiff d = new KeyDiff(null);
            d.added = image;
            return d;
        }

        void removedAgain(ChangeImage image) {
            if (removedAgain == null) {
                removedAgain = new ArrayList<>(1);
            }
            removedAgain.add(image);
        }

        List<ChangeImage> removedRows() {
            if (removed == null) {
                return List.of();
            }
            if (removedAgain == null) {
                return List.of(removed);
            }
            List<ChangeImage> all = new ArrayList<>(removedAgain.size() + 1);
            all.add(removed);
            all.addAll(removedAgain);
            return all;
        }
    }

    /** The error for a change data row whose {@code _change_type} the protocol does not define. */
    static TidelineException unknownChangeType(String tableName, String path, String changeType) {
        return new TidelineException(TidelineException.Kind.FATAL, "change data file " + path + " of " + tableName + " has _change_type '"
                + changeType + "'; expected insert, update_preimage, update_postimage or delete", null);
    }
}
