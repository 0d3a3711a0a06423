package dev.tideline.apply.delta;

import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampNTZType;
import io.delta.kernel.types.TimestampType;
import java.util.List;

/**
 * Which data files may hold one of a batch's touched keys, decided from each file's statistics alone
 * (the min/max of every key column, {@link FileStatistics}): a file is excluded only when some key
 * column's min/max rules out every touched key. It must never exclude a file that holds a touched key
 * — a missed row would be left live beside its new version — so bounds are taken in the column's
 * exact type and widened where Delta statistics are lossy (timestamps kept to milliseconds, strings
 * truncated to a prefix). Reads nothing but the statistics already in the log.
 */
final class KeyRangeFilter {

    private KeyRangeFilter() {
    }

    /**
     * A filter passing the files whose statistics can hold one of {@code touched} (sorted): each key
     * column's value must lie within that column's min/max. The first column picks the range of
     * touched keys to check by binary search; the others are checked per key. A key value that is
     * null, or a column without usable statistics, never excludes a file.
     *
     * @param logical the schema of the table's current version (key columns are found in it by name)
     * @param layout  the current version's layout: its key columns
     */
    static TouchedRows.FileFilter of(StructType logical, TableLayout layout, List<RowKey> touched) {
        if (touched.isEmpty()) {
            return (file, physical) -> false;
        }
        int[] keyIndexes = layout.keyIndexes();
        int nullFirst = 0;
        while (nullFirst < touched.size() && touched.get(nullFirst).get(0) == null) {
            nullFirst++;
        }
        int firstNonNull = nullFirst;
        String[] physicalNames = new String[keyIndexes.length];
        String[] boundsKey = new String[1]; // names and types of the key columns: what a file's cached bounds are for
        return (file, physical) -> {
            if (boundsKey[0] == null) {
                StringBuilder key = new StringBuilder();
                for (int c = 0; c < keyIndexes.length; c++) {
                    StructField field = layout.schema().at(keyIndexes[c]);
                    physicalNames[c] = physical.at(logical.indexOf(field.getName())).getName();
                    key.append(physicalNames[c]).append(' ').append(field.getDataType()).append(',');
                }
                boundsKey[0] = key.toString();
            }
            Object[][] bounds = file.keyBounds(boundsKey[0], stats -> stats.map(st -> bounds(st, layout, physicalNames)).orElse(null));
            if (bounds == null) {
                return true;
            }
            Object[] lo = bounds[0];
            Object[] hi = bounds[1];
            for (int i = 0; i < firstNonNull; i++) {
                if (withinBounds(touched.get(i), lo, hi)) {
                    return true;
                }
            }
            int from = lo[0] == null ? firstNonNull : Math.max(firstNonNull, lowerBound(touched, lo[0]));
            for (int i = from; i < touched.size(); i++) {
                RowKey key = touched.get(i);
                if (hi[0] != null && RowKey.compareValues(key.get(0), hi[0]) > 0) {
                    break;
                }
                if (withinBounds(key, lo, hi)) {
                    return true;
                }
            }
            return false;
        };
    }

    /** Each key column's min and max in the column's exact type, widened where the statistics are lossy. */
    private static Object[][] bounds(FileStatistics stats, TableLayout layout, String[] physicalNames) {
        int[] keyIndexes = layout.keyIndexes();
        Object[] lo = new Object[keyIndexes.length];
        Object[] hi = new Object[keyIndexes.length];
        for (int c = 0; c < keyIndexes.length; c++) {
            StructField field = layout.schema().at(keyIndexes[c]);
            // Exact values of the column's type (BigDecimal for decimals, never a double): a bound
            // rounded away from the stored key would exclude the file that holds it.
            lo[c] = stats.min(physicalNames[c], field.getDataType());
            hi[c] = stats.max(physicalNames[c], field.getDataType());
            if (field.getDataType() instanceof TimestampType || field.getDataType() instanceof TimestampNTZType) {
                // Delta statistics keep milliseconds: widen to cover the microseconds they dropped.
                lo[c] = lo[c] == null ? null : ((Number) lo[c]).longValue() - 1000;
                hi[c] = hi[c] == null ? null : ((Number) hi[c]).longValue() + 1000;
            }
            if (field.getDataType() instanceof StringType && hi[c] != null && ((String) hi[c]).length() >= 32) {
                hi[c] = null; // possibly a truncated prefix: no upper bound
            }
        }
        return new Object[][] {lo, hi};
    }

    private static boolean withinBounds(RowKey key, Object[] lo, Object[] hi) {
        for (int c = 0; c < lo.length; c++) {
            Object v = key.get(c);
            if (v == null) {
                continue;
            }
            if ((lo[c] != null && RowKey.compareValues(v, lo[c]) < 0) || (hi[c] != null && RowKey.compareValues(v, hi[c]) > 0)) {
                return false;
            }
        }
        return true;
    }

    /** The first index of {@code sorted} whose first key value is not below {@code value}. */
    private static int lowerBound(List<RowKey> sorted, Object value) {
        int lo = 0;
        int hi = sorted.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (RowKey.compareValues(sorted.get(mid).get(0), value) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
