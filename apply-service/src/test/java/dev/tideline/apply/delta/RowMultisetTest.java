package dev.tideline.apply.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RowMultisetTest {

    static Object[] row(Object... v) {
        return v;
    }

    static RowOp insert(Object... v) {
        RowKey key = new RowKey(v);
        return RowOp.upsert(key, key, v, 0);
    }

    static RowOp delete(Object... v) {
        return RowOp.delete(new RowKey(v), 0);
    }

    @Test
    void identicalInsertsAreKeptAsOftenAsTheyCome() {
        RowMultiset m = RowMultiset.of(List.of(insert(1, null), insert(1, null), insert(2, "a")));
        assertEquals(3, m.additions().size());
        assertEquals(Map.of(), m.removals());
        assertFalse(m.truncates());
    }

    @Test
    void aDeleteRemovesOneOccurrenceAndCancelsAnInsertOfTheSameBatch() {
        RowMultiset m = RowMultiset.of(List.of(insert(1, null), delete(1, null), delete(1, null), delete(2, "a")));
        assertEquals(List.of(), m.additions());
        // one delete cancelled the batch's own insert; the other and the delete of (2,'a') reach stored rows
        assertEquals(Map.of(new RowKey(new Object[] {1, null}), 1, new RowKey(new Object[] {2, "a"}), 1), m.removals());
    }

    @Test
    void nullsAreEqualToNulls() {
        RowMultiset m = RowMultiset.of(List.of(insert(null, null), delete(null, null)));
        assertEquals(List.of(), m.additions());
        assertEquals(Map.of(), m.removals());
    }

    @Test
    void anUpdateMovesOneOccurrence() {
        // RowOps turns UPDATE (1,'x') -> (1,'y') into a delete of the old row and an insert of the new one
        RowMultiset m = RowMultiset.of(List.of(delete(1, "x"), insert(1, "y")));
        assertEquals(Map.of(new RowKey(new Object[] {1, "x"}), 1), m.removals());
        assertEquals(1, m.additions().size());
        assertTrue(Arrays.equals(row(1, "y"), m.additions().get(0)));
    }

    @Test
    void aTruncateDropsWhatCameBeforeItAndEveryStoredRow() {
        RowMultiset m = RowMultiset.of(List.of(insert(1, "a"), delete(3, "c"), RowOp.truncate(0), insert(2, "b"), delete(4, "d")));
        assertTrue(m.truncates());
        assertEquals(Map.of(), m.removals());
        assertEquals(1, m.additions().size());
        assertTrue(Arrays.equals(row(2, "b"), m.additions().get(0)));
    }
}
