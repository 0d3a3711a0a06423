package dev.tideline.sync.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.sync.model.NullBytePolicy;
import dev.tideline.sync.types.CopyRowEncoder;
import dev.tideline.sync.types.PostgresTypeMapping;
import dev.tideline.sync.types.RowKey;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Folding in key-hash partitions on disk gives exactly the net changes of folding in memory: random
 * histories of copy-on-write, deletion-vector and change data versions (inserts, updates of one key
 * across versions, deletes, keys changed back and forth, deleted and re-inserted) folded with no
 * budget and with a tiny one, compared kind by kind and against the table state they lead to.
 */
class ChangeSpoolTest {

    private static final StructType SCHEMA = new StructType().add("id", LongType.LONG, false).add("name", StringType.STRING, true)
            .add("amount", IntegerType.INTEGER, true);
    private static final CopyRowEncoder ENCODER = new CopyRowEncoder("t", PostgresTypeMapping.map("t", SCHEMA), List.of("id"), null,
            NullBytePolicy.FAIL);

    @TempDir
    Path spillRoot;

    @Test
    void foldingInPartitionsOnDiskEqualsFoldingInMemory() {
        for (int seed = 1; seed <= 20; seed++) {
            History h = History.random(new Random(seed), 400, 12, false);
            Net inMemory = fold(h, FoldLimits.UNBOUNDED, false);
            Net spilled = fold(h, new FoldLimits(2_000, 4, spillRoot), false); // ~8 rows in memory, 4 partitions, split again to fit
            assertEquals(1, inMemory.partitions, "seed " + seed);
            assertTrue(spilled.partitions > 4, "seed " + seed + ": split again below the first level, " + spilled.partitions);
            assertEquals(inMemory.inserts, spilled.inserts, "seed " + seed);
            assertEquals(inMemory.updates, spilled.updates, "seed " + seed);
            assertEquals(inMemory.deletes, spilled.deletes, "seed " + seed);
            assertEquals(inMemory.rowsRead, spilled.rowsRead, "seed " + seed);
            assertEquals(h.end, inMemory.applyTo(h.start), "seed " + seed + ": the net changes lead from the start state to the end state");
        }
        try (Stream<Path> left = Files.list(spillRoot)) {
            assertEquals(0, left.count(), "every spill directory is deleted when its changes close");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Under a timeseries key a version may add several rows of one key (the latest wins) and deletes raise a flag. */
    @Test
    void underATimeseriesKeyToo() {
        for (int seed = 1; seed <= 10; seed++) {
            History h = History.random(new Random(seed), 300, 8, true);
            Net inMemory = fold(h, FoldLimits.UNBOUNDED, true);
            Net spilled = fold(h, new FoldLimits(2_000, 4, spillRoot), true);
            assertEquals(inMemory.inserts, spilled.inserts, "seed " + seed);
            assertEquals(inMemory.updates, spilled.updates, "seed " + seed);
            assertEquals(inMemory.deletes, spilled.deletes, "seed " + seed);
            assertEquals(inMemory.deletesUnderTimeseriesKey, spilled.deletesUnderTimeseriesKey, "seed " + seed);
        }
    }

    @Test
    void aSmallRefreshNeverTouchesTheDisk() {
        History h = History.random(new Random(7), 50, 3, false);
        Net net = fold(h, new FoldLimits(10L << 20, 4, spillRoot.resolve("never")), false);
        assertEquals(1, net.partitions);
        assertFalse(Files.exists(spillRoot.resolve("never")));
    }

    @Test
    void aDuplicateKeyFailsAlsoWhenSpilled() {
        ChangeSpool spool = new ChangeSpool(new FoldLimits(500, 4, spillRoot), "t");
        int v = spool.addVersion(new ChangeSpool.VersionShape(5, false, 0, 2));
        for (int file = 0; file < 2; file++) {
            try (ChangeSpool.Appender out = spool.appender(v, file)) {
                for (long id = 0; id < 20; id++) {
                    out.add(new ChangeImage(key(id), row(id, "dup" + file), null, ChangeImage.ROW));
                }
            }
        }
        DuplicateKeyException e = assertThrows(DuplicateKeyException.class, () -> spool.fold(new VersionFold("t", ENCODER, false)));
        assertTrue(e.getMessage().contains("at version 5"), e.getMessage());
        spool.close();
    }

    @Test
    void spillRecordsRoundTripEveryTimeseriesType() throws IOException {
        List<Comparable<?>> values = List.of(42L, 7, (short) 3, (byte) 1, 2.5d, 1.5f, new BigDecimal("-12345678901234567890.125"), "zeit €",
                Long.MIN_VALUE);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            for (Comparable<?> ts : values) {
                ImageCodec.write(out, 3, 9, new ChangeImage(key(1), row(1, "x"), ts, ChangeImage.CDC_POSTIMAGE));
            }
            ImageCodec.write(out, 0, 0, new ChangeImage(key(2), null, null, ChangeImage.CDC_DELETE));
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()));
        for (Comparable<?> ts : values) {
            ImageCodec.Tagged r = ImageCodec.read(in);
            assertEquals(3, r.version());
            assertEquals(9, r.file());
            assertEquals(ts, r.image().ts());
            assertEquals(key(1), r.image().key());
            assertEquals(ChangeImage.CDC_POSTIMAGE, r.image().change());
        }
        ImageCodec.Tagged last = ImageCodec.read(in);
        assertNull(last.image().row());
        assertNull(last.image().ts());
        assertNull(ImageCodec.read(in), "end of file");
    }

    @Test
    void eachSplitLevelSpreadsOnePartitionsKeysOverAllPartitions() {
        int[] counts = new int[8];
        for (long id = 0; id < 80_000; id++) {
            int hash = key(id).hashCode();
            if (ChangeSpool.partition(hash, 0, 8) == 3) {
                counts[ChangeSpool.partition(hash, 1, 8)]++;
            }
        }
        for (int c : counts) {
            assertTrue(c > 1_000 && c < 1_500, java.util.Arrays.toString(counts));
        }
    }

    private Net fold(History h, FoldLimits limits, boolean timeseries) {
        try (ChangeSpool spool = new ChangeSpool(limits, "t")) {
            for (History.Version version : h.versions) {
                int v = spool.addVersion(version.shape);
                for (int f = 0; f < version.files.size(); f++) {
                    try (ChangeSpool.Appender out = spool.appender(v, f)) {
                        version.files.get(f).forEach(out::add);
                    }
                }
            }
            try (NetChanges changes = spool.fold(new VersionFold("t", ENCODER, timeseries))) {
                assertNotNull(changes);
                return new Net(changes);
            }
        }
    }

    /** Net changes as sorted hex strings, so two folds compare whatever the order of their rows. */
    private static final class Net {
        final TreeMap<String, String> inserts = new TreeMap<>();
        final TreeMap<String, String> updates = new TreeMap<>();
        final List<String> deletes = new ArrayList<>();
        final long rowsRead;
        final int partitions;
        final boolean deletesUnderTimeseriesKey;

        Net(NetChanges changes) {
            changes.insertRows().forEach(r -> inserts.put(keyOf(r), hex(r)));
            changes.updateRows().forEach(r -> updates.put(keyOf(r), hex(r)));
            changes.deleteKeys().forEach(k -> deletes.add(hex(k)));
            deletes.sort(null);
            assertEquals(changes.insertCount(), inserts.size());
            assertEquals(changes.updateCount(), updates.size());
            assertEquals(changes.deleteCount(), deletes.size());
            rowsRead = changes.rowsRead();
            partitions = changes.partitionsFolded();
            deletesUnderTimeseriesKey = changes.deletesUnderTimeseriesKey();
        }

        Map<String, String> applyTo(Map<String, String> start) {
            Map<String, String> state = new HashMap<>(start);
            for (String k : deletes) {
                assertNotNull(state.remove(k), "deleted key existed");
            }
            inserts.forEach((k, r) -> assertNull(state.put(k, r), "inserted key was new"));
            updates.forEach((k, r) -> assertNotNull(state.put(k, r), "updated key existed"));
            return state;
        }
    }

    /** The key tuple of a row tuple as this test builds them: field count, then the id field (length 8 + value). */
    private static String keyOf(byte[] row) {
        ByteBuffer b = ByteBuffer.wrap(row);
        b.getShort();
        b.getInt();
        return hex(key(b.getLong()).bytes());
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    static RowKey key(long id) {
        return new RowKey(ByteBuffer.allocate(14).putShort((short) 1).putInt(8).putLong(id).array());
    }

    static byte[] row(long id, String name) {
        byte[] n = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return ByteBuffer.allocate(2 + 12 + 4 + n.length).putShort((short) 2).putInt(8).putLong(id).putInt(n.length).put(n).array();
    }

    /** A random table history: the state before, the versions' rows, the state after (hex key → hex row). */
    private static final class History {
        final Map<String, String> start = new HashMap<>();
        final Map<String, String> end;
        final List<Version> versions = new ArrayList<>();

        record Version(ChangeSpool.VersionShape shape, List<List<ChangeImage>> files) {
        }

        private History(Map<String, String> end) {
            this.end = end;
        }

        /** @param timeseries rows carry a timeseries value, and some updates add a second, older or newer, row of their key */
        static History random(Random random, int keys, int versionCount, boolean timeseries) {
            Map<Long, String> state = new LinkedHashMap<>();
            for (long id = 0; id < keys; id++) {
                state.put(id, "v0-" + id);
            }
            Map<String, String> start = hexState(state);
            List<Version> versions = new ArrayList<>();
            long nextId = keys;
            for (int v = 1; v <= versionCount; v++) {
                List<Long> ids = new ArrayList<>(state.keySet());
                int kind = random.nextInt(3);
                List<ChangeImage> removed = new ArrayList<>();
                List<ChangeImage> added = new ArrayList<>();
                List<ChangeImage> cdc = new ArrayList<>();
                for (int i = 0; i < keys / 4; i++) {
                    long id = ids.get(random.nextInt(ids.size()));
                    if (!state.containsKey(id) || touched(removed, added, cdc, id)) {
                        continue;
                    }
                    String old = state.get(id);
                    int op = random.nextInt(5);
                    // ops: 0 update, 1 delete, 2 rewrite unchanged, 3 update back to the start value, 4 delete
                    String now = switch (op) {
                        case 0 -> "v" + v + "-" + id;
                        case 3 -> "v0-" + id;
                        case 2 -> old;
                        default -> null;
                    };
                    if (kind == 2) { // change data
                        if (now == null) {
                            cdc.add(new ChangeImage(key(id), null, null, ChangeImage.CDC_DELETE));
                        } else if (!now.equals(old)) {
                            cdc.add(new ChangeImage(key(id), row(id, now), ts(timeseries, v, random), ChangeImage.CDC_POSTIMAGE));
                        }
                    } else {
                        // kind 1: a deletion-vector rewrite (the removed key read without its row)
                        removed.add(new ChangeImage(key(id), kind == 1 ? null : row(id, old), ts(timeseries, v, random), ChangeImage.ROW));
                        if (now != null) {
                            added.add(new ChangeImage(key(id), row(id, now), ts(timeseries, v, random), ChangeImage.ROW));
                            if (timeseries && random.nextInt(4) == 0) {
                                added.add(new ChangeImage(key(id), row(id, now + "-twin"), ts(true, v, random), ChangeImage.ROW));
                            }
                        }
                    }
                    if (now == null) {
                        state.remove(id);
                    } else {
                        state.put(id, now);
                    }
                }
                for (int i = 0; i < keys / 20; i++) { // inserts: new keys, and deleted keys coming back
                    long id = random.nextBoolean() ? nextId++ : random.nextInt((int) nextId);
                    if (state.containsKey(id) || touched(removed, added, cdc, id)) {
                        continue;
                    }
                    String now = "i" + v + "-" + id;
                    if (kind == 2) {
                        cdc.add(new ChangeImage(key(id), row(id, now), ts(timeseries, v, random), ChangeImage.CDC_INSERT));
                    } else {
                        added.add(new ChangeImage(key(id), row(id, now), ts(timeseries, v, random), ChangeImage.ROW));
                    }
                    state.put(id, now);
                }
                if (kind == 2) {
                    versions.add(new Version(new ChangeSpool.VersionShape(v, true, 0, 2), split(cdc, 2)));
                } else {
                    List<List<ChangeImage>> files = new ArrayList<>(split(removed, 2));
                    files.addAll(split(added, 3));
                    versions.add(new Version(new ChangeSpool.VersionShape(v, false, 2, 5), files));
                }
            }
            History h = new History(hexState(state));
            h.start.putAll(start);
            h.versions.addAll(versions);
            return h;
        }

        private static Long ts(boolean timeseries, int version, Random random) {
            return timeseries ? version * 10L + random.nextInt(5) : null;
        }

        private static boolean touched(List<ChangeImage> removed, List<ChangeImage> added, List<ChangeImage> cdc, long id) {
            RowKey k = key(id);
            return Stream.of(removed, added, cdc).flatMap(List::stream).anyMatch(i -> i.key().equals(k));
        }

        private static List<List<ChangeImage>> split(List<ChangeImage> rows, int files) {
            List<List<ChangeImage>> out = new ArrayList<>();
            for (int f = 0; f < files; f++) {
                out.add(new ArrayList<>());
            }
            for (int i = 0; i < rows.size(); i++) {
                out.get(i % files).add(rows.get(i));
            }
            return out;
        }

        private static Map<String, String> hexState(Map<Long, String> state) {
            Map<String, String> out = new HashMap<>();
            state.forEach((id, name) -> out.put(hex(key(id).bytes()), hex(row(id, name))));
            return out;
        }
    }
}
