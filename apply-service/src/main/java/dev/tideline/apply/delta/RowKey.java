package dev.tideline.apply.delta;

import java.math.BigDecimal;
import java.math.BigInteger;
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

    /**
     * The order of key values, which must be the order of Parquet's (and so Delta's) min/max
     * statistics, since files are pruned by comparing keys with them: byte strings unsigned, text by
     * code point (UTF-8 byte order — not Java's UTF-16 order, which puts U+1F600 before U+FFFD),
     * numbers by exact value (never through a double), null first.
     */
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
        if (a instanceof String x && b instanceof String y) {
            return compareCodePoints(x, y);
        }
        if (a instanceof Comparable ca && a.getClass() == b.getClass()) {
            return ca.compareTo(b);
        }
        if (isExactNumber(a) && isExactNumber(b)) {
            return exact((Number) a).compareTo(exact((Number) b));
        }
        throw new IllegalArgumentException("key values of different types cannot be ordered: " + a.getClass().getSimpleName()
                + " and " + b.getClass().getSimpleName());
    }

    private static boolean isExactNumber(Object v) {
        return v instanceof BigDecimal || v instanceof BigInteger || v instanceof Long || v instanceof Integer || v instanceof Short
                || v instanceof Byte;
    }

    private static BigDecimal exact(Number n) {
        if (n instanceof BigDecimal d) {
            return d;
        }
        if (n instanceof BigInteger i) {
            return new BigDecimal(i);
        }
        return BigDecimal.valueOf(n.longValue());
    }

    /** Unicode code point order, which is the unsigned byte order of the UTF-8 forms. */
    static int compareCodePoints(String x, String y) {
        int n = Math.min(x.length(), y.length());
        for (int i = 0; i < n; i++) {
            char cx = x.charAt(i);
            char cy = y.charAt(i);
            if (cx != cy) {
                // Surrogates (U+D800–DFFF) encode code points above U+FFFF: they sort after every BMP char.
                boolean sx = Character.isSurrogate(cx);
                boolean sy = Character.isSurrogate(cy);
                if (sx != sy) {
                    return sx ? 1 : -1;
                }
                return Character.compare(cx, cy);
            }
        }
        return Integer.compare(x.length(), y.length());
    }

    /** Key values are user data: never printed. */
    @Override
    public String toString() {
        return "RowKey[" + values.length + " columns]";
    }
}
