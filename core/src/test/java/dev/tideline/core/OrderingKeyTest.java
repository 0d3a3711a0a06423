package dev.tideline.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OrderingKeyTest {

    @Test
    void ordersByCommitLsnThenOrdinal() {
        OrderingKey a = new OrderingKey(Lsn.parse("0/10"), 5);
        OrderingKey b = new OrderingKey(Lsn.parse("0/20"), 0);
        OrderingKey c = new OrderingKey(Lsn.parse("0/20"), 1);
        List<OrderingKey> keys = new ArrayList<>(List.of(c, a, b));
        keys.sort(null);
        assertEquals(List.of(a, b, c), keys);
        assertEquals("0/20#1", c.toString());
    }

    @Test
    void rejectsNegativeOrdinals() {
        assertThrows(IllegalArgumentException.class, () -> new OrderingKey(Lsn.INVALID, -1));
    }
}
