package dev.tideline.apply.delta;

import dev.tideline.delta.CloseableIterators;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.engine.FileReadResult;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.FileStatus;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.function.IntConsumer;

/**
 * The key values of one data file by physical row position (the position a deletion vector names),
 * read from the key columns only. Data files never change, so an instance stays valid as long as the
 * file exists ({@link FileKeyCache}). Lookups binary-search the keys: Tideline writes files sorted
 * by key, and a file written otherwise is indexed through a sorted permutation.
 *
 * <p>Positions are those of the Parquet file, deleted or not; callers subtract the file's deletion
 * vector.
 *
 * <p>A key of one integer column without nulls (the common {@code bigint}/{@code int} primary key) is
 * held as a {@code long[]}: a third of the heap of boxed values — so the shared cache holds three times
 * the rows of a large table — and read and compared without boxing (issue 17: at 10M rows, reading
 * and searching the boxed keys was most of an update commit's CPU).
 */
final class FileKeys {

    private final Object[][] columns; // [key column][position]; null when longs holds the key
    private final long[] longs;       // the one integer key column by position, or null
    private final boolean ints;       // longs holds INT values (keyAt boxes them as Integer, as rows hold them)
    private final int[] order;        // positions sorted by key, or null when the file is sorted
    private final BitSet closed;      // SCD2: positions of closed versions (__END_AT set); never live
    private final int rows;

    private FileKeys(Object[][] columns, BitSet closed, int rows) {
        this(columns, null, false, closed, rows);
    }

    private FileKeys(Object[][] columns, long[] longs, boolean ints, BitSet closed, int rows) {
        this.columns = columns;
        this.longs = longs;
        this.ints = ints;
        this.closed = closed;
        this.rows = rows;
        this.order = isSorted() ? null : sortedOrder();
    }

    /**
     * Reads the key columns (and {@code __END_AT} when {@code endAtSchema} is given) of a data file.
     *
     * @param keySchema   the physical fields of the key columns, in key order
     * @param endAtSchema the physical {@code __END_AT} field as a one-field schema, or null (SCD1)
     */
    static FileKeys read(Engine engine, FileStatus file, StructType keySchema, StructType endAtSchema) throws IOException {
        StructType readSchema = keySchema;
        if (endAtSchema != null) {
            readSchema = keySchema.add(endAtSchema.at(0));
        }
        int keyCount = keySchema.length();
        if (keyCount == 1 && endAtSchema == null && (keySchema.at(0).getDataType() instanceof LongType
                || keySchema.at(0).getDataType() instanceof IntegerType)) {
            FileKeys primitive = readLongs(engine, file, keySchema);
            if (primitive != null) {
                return primitive;
            }
        }
        BitSet closed = new BitSet();
        int rows = 0;
        List<Object>[] values = newLists(keyCount);
        try (CloseableIterator<FileReadResult> data = engine.getParquetHandler().readParquetFiles(
                CloseableIterators.singleton(file), readSchema, Optional.empty())) {
            while (data.hasNext()) {
                ColumnarBatch batch = data.next().getData();
                for (int c = 0; c < keyCount; c++) {
                    ColumnVector v = batch.getColumnVector(c);
                    for (int r = 0; r < batch.getSize(); r++) {
                        values[c].add(VectorValues.get(v, r));
                    }
                }
                if (endAtSchema != null) {
                    ColumnVector endAt = batch.getColumnVector(keyCount);
                    for (int r = 0; r < batch.getSize(); r++) {
                        if (!endAt.isNullAt(r)) {
                            closed.set(rows + r);
                        }
                    }
                }
                rows += batch.getSize();
            }
        }
        Object[][] columns = new Object[keyCount][];
        for (int c = 0; c < keyCount; c++) {
            columns[c] = values[c].toArray();
        }
        return new FileKeys(columns, closed, rows);
    }

    /** The one BIGINT or INT key column as a {@code long[]}; null when the file holds a null key (then boxed values). */
    private static FileKeys readLongs(Engine engine, FileStatus file, StructType keySchema) throws IOException {
        boolean ints = keySchema.at(0).getDataType() instanceof IntegerType;
        long[] values = new long[1024];
        int rows = 0;
        try (CloseableIterator<FileReadResult> data = engine.getParquetHandler().readParquetFiles(
                CloseableIterators.singleton(file), keySchema, Optional.empty())) {
            while (data.hasNext()) {
                ColumnarBatch batch = data.next().getData();
                ColumnVector v = batch.getColumnVector(0);
                int size = batch.getSize();
                if (rows + size > values.length) {
                    values = Arrays.copyOf(values, Math.max(rows + size, values.length * 2));
                }
                for (int r = 0; r < size; r++) {
                    if (v.isNullAt(r)) {
                        return null;
                    }
                    values[rows + r] = ints ? v.getInt(r) : v.getLong(r);
                }
                rows += size;
            }
        }
        return new FileKeys(null, Arrays.copyOf(values, rows), ints, new BitSet(), rows);
    }

    /**
     * The keys of a file just written from {@code rows} (its rows in file order), without reading it back — or
     * null unless the key is one {@code bigint} or {@code int} column without nulls (held as {@code long[]}).
     * Only for those is a value as written trivially the value read back; other types (decimals' scale,
     * timestamps' precision, strings) are read back so that lookups compare what the file holds.
     *
     * @param keyIndex the key column's index in {@code rows}
     * @param ints     whether the column is {@code int} (values are {@link Integer}) rather than {@code bigint}
     */
    static FileKeys ofWritten(List<Object[]> rows, int keyIndex, boolean ints) {
        long[] values = new long[rows.size()];
        for (int p = 0; p < values.length; p++) {
            Object v = rows.get(p)[keyIndex];
            if (!(ints ? v instanceof Integer : v instanceof Long)) {
                return null;
            }
            values[p] = ((Number) v).longValue();
        }
        return new FileKeys(null, values, ints, new BitSet(), values.length);
    }

    @SuppressWarnings("unchecked")
    private static List<Object>[] newLists(int n) {
        List<Object>[] lists = new List[n];
        for (int i = 0; i < n; i++) {
            lists[i] = new ArrayList<>();
        }
        return lists;
    }

    /** Rows in the file, deleted ones included. */
    int rowCount() {
        return rows;
    }

    RowKey keyAt(int position) {
        if (longs != null) {
            return new RowKey(new Object[] {ints ? (Object) (int) longs[position] : (Object) longs[position]});
        }
        Object[] v = new Object[columns.length];
        for (int c = 0; c < columns.length; c++) {
            v[c] = columns[c][position];
        }
        return new RowKey(v);
    }

    /** Whether the row at {@code position} can take part in a merge (SCD2: only current versions). */
    boolean isLive(int position) {
        return !closed.get(position);
    }

    /** Feeds the live positions holding {@code key}. */
    void positionsOf(RowKey key, IntConsumer out) {
        int lo = 0;
        int hi = rows;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (compare(positionAt(mid), key) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        for (int i = lo; i < rows; i++) {
            int p = positionAt(i);
            if (compare(p, key) != 0) {
                break;
            }
            if (isLive(p)) {
                out.accept(p);
            }
        }
    }

    /** The index of the first key of {@code sorted} not below this file's smallest key. */
    int firstAtOrAbove(List<RowKey> sorted) {
        if (rows == 0) {
            return sorted.size();
        }
        int first = positionAt(0);
        int lo = 0;
        int hi = sorted.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (compare(first, sorted.get(mid)) > 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Whether {@code key} is not above this file's largest key. */
    boolean notAboveLast(RowKey key) {
        return rows > 0 && compare(positionAt(rows - 1), key) >= 0;
    }

    /** Estimated heap bytes, for the cache's budget. */
    long footprint() {
        return (long) rows * ((longs != null ? 8L : columns.length * 24L) + (order == null ? 0 : 4)) + 64;
    }

    private int positionAt(int sortedIndex) {
        return order == null ? sortedIndex : order[sortedIndex];
    }

    private int compare(int position, RowKey key) {
        if (longs != null) {
            Object v = key.get(0);
            if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
                return Long.compare(longs[position], ((Number) v).longValue());
            }
            return RowKey.compareValues(keyAt(position).get(0), v); // null, or a wider number (decimal)
        }
        for (int c = 0; c < columns.length; c++) {
            int d = RowKey.compareValues(columns[c][position], key.get(c));
            if (d != 0) {
                return d;
            }
        }
        return 0;
    }

    private int compare(int a, int b) {
        if (longs != null) {
            return Long.compare(longs[a], longs[b]);
        }
        for (int c = 0; c < columns.length; c++) {
            int d = RowKey.compareValues(columns[c][a], columns[c][b]);
            if (d != 0) {
                return d;
            }
        }
        return 0;
    }

    private boolean isSorted() {
        for (int p = 1; p < rows; p++) {
            if (compare(p - 1, p) > 0) {
                return false;
            }
        }
        return true;
    }

    private int[] sortedOrder() {
        Integer[] boxed = new Integer[rows];
        for (int p = 0; p < rows; p++) {
            boxed[p] = p;
        }
        Arrays.sort(boxed, this::compare);
        int[] out = new int[rows];
        for (int i = 0; i < rows; i++) {
            out[i] = boxed[i];
        }
        return out;
    }
}
