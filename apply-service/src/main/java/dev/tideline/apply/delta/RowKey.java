package dev.tideline.apply.delta;

import java.util.Arrays;
import java.util.List;

/**
 * The primary-key values of a Delta row, with value equality (byte arrays by content) and a total
 * order used to sort rows by key before writing, so that files cover narrow key ranges and
 * copy-on-write touches few of them.
 */
public final class RowKey implements Comparable<RowKey> {

    private final Object[] values;
    private final int hash;

    public RowKey(Object[] values) {
        this.values = values;
        this.hash = Arrays.deepHashCode(values);
    }

    static RowKey of(Object[] row, int[] keyIndexes) {
        Object[] v = new Object[keyIndexes.length];
        for (int i = 0; i < keyIndexes.length; i++) {
            v[i] = row[keyIndexes[i]];
        }
        return new RowKey(v);
    }

    public Object get(int i) {
        return values[i];
    }

    public int size() {
        return values.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RowKey k && hash == k.hash && Arrays.deepEquals(values, k.values);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public int compareTo(RowKey o) {
        for (int i = 0; i < values.length; i++) {
            int c = compareValues(values[i], o.values[i]);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static int compareValues(Object a, Object b) {
        if (a == b) {
            return 0;
        }
        if (a == null) {
            return -1;
        }
        if (b == null) {
            return 1;
        }
        if (a instanceof byte[] x && b instanceof byte[] y) {
            return Arrays.compareUnsigned(x, y);
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                int c = compareValues(x.get(i), y.get(i));
                if (c != 0) {
                    return c;
                }
            }
            return Integer.compare(x.size(), y.size());
        }
        if (a instanceof Comparable ca && a.getClass() == b.getClass()) {
            return ca.compareTo(b);
        }
        return a.toString().compareTo(b.toString());
    }

    /** Key values are user data: never printed. */
    @Override
    public String toString() {
        return "RowKey[" + values.length + " columns]";
    }
}
