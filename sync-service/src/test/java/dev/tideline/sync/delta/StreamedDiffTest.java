package dev.tideline.sync.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Classifying one version's rows as they arrive gives the fold's net change: random copy-on-write
 * versions (rows rewritten unchanged, updated, deleted, inserted, some removed keys read without
 * content as a deletion-vector rewrite delivers them) fed in random interleavings of their removed
 * and added rows, compared kind by kind with {@link VersionFold}; and what it refuses.
 */
class StreamedDiffTest {

    private static final StructType SCHEMA = new StructType().add("id", LongType.LONG, false).add("name", StringType.STRING, true)
            .add("amount", IntegerType.INTEGER, true);
    private static final CopyRowEncoder ENCODER = new CopyRowEncoder("t", PostgresTypeMapping.map("t", SCHEMA), List.of("id"), null,
            NullBytePolicy.FAIL);

    @Test
    void givesTheFoldsNetChangeInAnyArrivalOrder() {
        for (int seed = 1; seed <= 50; seed++) {
            Random random = new Random(seed);
            List<ChangeImage> removed = new ArrayList<>();
            List<ChangeImage> added = new ArrayList<>();
            for (long id = 0; id < 300; id++) {
                switch (random.nextInt(6)) {
                    case 0 -> { // rewritten unchanged
                        removed.add(row(id, "a", 1));
                        added.add(row(id, "a", 1));
                    }
                    case 1 -> { // updated
                        removed.add(row(id, "a", 1));
                        added.add(row(id, "b", 2));
                    }
                    case 2 -> removed.add(row(id, "a", 1)); // deleted
                    case 3 -> added.add(row(id, "n", 3)); // inserted
                    case 4 -> { // deletion-vector rewrite: the removed key without its row, the row re-added
                        removed.add(new ChangeImage(key(id), null, null, ChangeImage.ROW));
                        added.add(row(id, "a", 1));
                    }
                    default -> { } // untouched
                }
            }
            RowChanges folded = new RowChanges();
            new VersionFold("t", ENCODER, false).fold(new ChangeSpool.VersionShape(7, false, 1, 2), List.of(removed, added), folded);

            List<ChangeImage[]> arrivals = new ArrayList<>();
            removed.forEach(r -> arrivals.add(new ChangeImage[] {r, null}));
            added.forEach(a -> arrivals.add(new ChangeImage[] {null, a}));
            Collections.shuffle(arrivals, random);
            List<byte[]> streamed = new ArrayList<>();
            StreamedDiff diff = new StreamedDiff("t", ENCODER, 7, Long.MAX_VALUE, Long.MAX_VALUE, streamed::add);
            for (ChangeImage[] a : arrivals) {
                if (a[0] != null) {
                    diff.removed(a[0]);
                } else {
                    diff.added(a[1]);
                }
            }
            RowChanges rest = diff.remainder();

            assertEquals(hex(folded.updates()), hex(streamed), "seed " + seed + ": updates");
            assertEquals(streamed.size(), diff.updated(), "seed " + seed);
            assertEquals(0, rest.updateCount(), "seed " + seed + ": updates only go to the consumer");
            assertEquals(hex(folded.inserts()), hex(rest.inserts()), "seed " + seed + ": inserts");
            assertEquals(hex(folded.deletes().stream().map(RowKey::bytes).toList()), hex(rest.deletes().stream().map(RowKey::bytes).toList()),
                    "seed " + seed + ": deletes");
            assertEquals(removed.size() + added.size(), rest.rowsRead(), "seed " + seed);
        }
    }

    @Test
    void aSecondAddedRowWithOneKeyFailsNamingTheKey() {
        StreamedDiff diff = new StreamedDiff("t", ENCODER, 7, Long.MAX_VALUE, Long.MAX_VALUE, row -> { });
        diff.added(row(42, "a", 1));
        DuplicateKeyException e = assertThrows(DuplicateKeyException.class, () -> diff.added(row(42, "b", 2)));
        assertTrue(e.getMessage().contains("42"), e.getMessage());
    }

    @Test
    void refusesWhatTheFoldMustDecide() {
        StreamedDiff twice = new StreamedDiff("t", ENCODER, 7, Long.MAX_VALUE, Long.MAX_VALUE, row -> { });
        twice.removed(row(1, "a", 1));
        assertFalse(assertThrows(StreamedDiff.Abandoned.class, () -> twice.removed(row(1, "b", 1))).tooManyChanges(),
                "two removed rows with one key: the fold decides");

        StreamedDiff overBudget = new StreamedDiff("t", ENCODER, 7, 1_000, Long.MAX_VALUE, row -> { });
        StreamedDiff.Abandoned budget = assertThrows(StreamedDiff.Abandoned.class, () -> {
            for (long id = 0; id < 100; id++) {
                overBudget.added(row(id, "n", 1)); // inserts wait for the end: they pass the budget
            }
        });
        assertFalse(budget.tooManyChanges());

        StreamedDiff many = new StreamedDiff("t", ENCODER, 7, Long.MAX_VALUE, 10, row -> { });
        StreamedDiff.Abandoned tooMany = assertThrows(StreamedDiff.Abandoned.class, () -> {
            for (long id = 0; id < 100; id++) {
                many.removed(row(id, "a", 1));
                many.added(row(id, "b", 1));
            }
        });
        assertTrue(tooMany.tooManyChanges(), "more changes than the snapshot rule allows: the caller takes a snapshot");
    }

    @Test
    void removedRowsReadByKeyOnlyMakeEveryKeyOnBothSidesAnUpdateCandidate() {
        List<byte[]> handed = new ArrayList<>();
        StreamedDiff diff = new StreamedDiff("t", ENCODER, 7, Long.MAX_VALUE, Long.MAX_VALUE, handed::add, false, 10);
        diff.removed(new ChangeImage(key(1), null, null, ChangeImage.ROW)); // rewritten unchanged: the target compares it
        diff.added(row(1, "a", 1));
        diff.added(row(2, "b", 2)); // an update
        diff.removed(new ChangeImage(key(2), null, null, ChangeImage.ROW));
        diff.removed(new ChangeImage(key(3), null, null, ChangeImage.ROW)); // a delete
        diff.added(row(4, "n", 3)); // an insert
        RowChanges rest = diff.remainder();
        assertEquals(2, handed.size());
        assertEquals(1, rest.insertCount());
        assertEquals(1, rest.deleteCount());
        assertEquals(0, rest.updateCount());

        StreamedDiff many = new StreamedDiff("t", ENCODER, 7, Long.MAX_VALUE, 10, row -> { }, false, 0);
        StreamedDiff.Abandoned candidates = assertThrows(StreamedDiff.Abandoned.class, () -> {
            for (long id = 0; id < 100; id++) {
                many.removed(new ChangeImage(key(id), null, null, ChangeImage.ROW));
                many.added(row(id, "a", 1));
            }
        });
        assertFalse(candidates.tooManyChanges(), "candidates are not changes: the fold counts them, no snapshot on their say");
    }

    private static RowKey key(long id) {
        return new RowKey(ByteBuffer.allocate(14).putShort((short) 1).putInt(8).putLong(id).array());
    }

    private static ChangeImage row(long id, String name, int amount) {
        byte[] text = name.getBytes(StandardCharsets.UTF_8);
        byte[] row = ByteBuffer.allocate(2 + 12 + 4 + text.length + 8).putShort((short) 3).putInt(8).putLong(id).putInt(text.length).put(text)
                .putInt(4).putInt(amount).array();
        return new ChangeImage(key(id), row, null, ChangeImage.ROW);
    }

    /** Tuples as a sorted set of hex strings: the order of COPY tuples does not matter. */
    private static Set<String> hex(Iterable<byte[]> tuples) {
        Set<String> out = new TreeSet<>();
        tuples.forEach(t -> out.add(HexFormat.of().formatHex(t)));
        return out;
    }
}
