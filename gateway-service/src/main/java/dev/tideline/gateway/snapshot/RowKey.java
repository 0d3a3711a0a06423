package dev.tideline.gateway.snapshot;

import dev.tideline.core.change.Row;
import dev.tideline.core.schema.RelationSchema;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The identity of a row: the values of its replica-identity columns (all columns for
 * {@code REPLICA IDENTITY FULL}), as an object with value equality. Byte arrays become
 * {@link ByteBuffer}s and arrays lists of those, so that a key decoded from a snapshot row equals
 * the key decoded from a change of the same row.
 */
final class RowKey {

    private RowKey() {
    }

    /** The key column positions of {@code schema}, in table order; all columns when none is flagged. */
    static int[] keyColumns(RelationSchema schema) {
        List<Integer> keys = new ArrayList<>();
        for (int i = 0; i < schema.columnCount(); i++) {
            if (schema.column(i).key()) {
                keys.add(i);
            }
        }
        if (keys.isEmpty()) {
            for (int i = 0; i < schema.columnCount(); i++) {
                keys.add(i);
            }
        }
        return keys.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The key of {@code row} over the given columns. */
    static List<Object> of(Row row, int[] keyColumns) {
        List<Object> key = new ArrayList<>(keyColumns.length);
        for (int column : keyColumns) {
            key.add(comparable(row.get(column)));
        }
        return key;
    }

    /** The key of the given key values, in key column order. */
    static List<Object> ofValues(Object[] values) {
        List<Object> key = new ArrayList<>(values.length);
        for (Object value : values) {
            key.add(comparable(value));
        }
        return key;
    }

    private static Object comparable(Object value) {
        if (value instanceof byte[] bytes) {
            return ByteBuffer.wrap(bytes);
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            for (Object element : list) {
                copy.add(comparable(element));
            }
            return copy;
        }
        return value;
    }
}
