package dev.tideline.apply.delta;

import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.types.StructType;
import java.util.List;

/**
 * A Kernel {@link ColumnarBatch} over rows held as {@code Object[]} (Delta values in the schema's
 * field order), transposed once into one {@link ObjectVector} per column.
 */
final class RowBatch implements ColumnarBatch {

    private final StructType schema;
    private final ColumnVector[] vectors;
    private final int size;

    RowBatch(StructType schema, List<Object[]> rows) {
        this.schema = schema;
        this.size = rows.size();
        int columns = schema.length();
        this.vectors = new ColumnVector[columns];
        for (int c = 0; c < columns; c++) {
            Object[] values = new Object[size];
            for (int r = 0; r < size; r++) {
                values[r] = rows.get(r)[c];
            }
            vectors[c] = new ObjectVector(schema.at(c).getDataType(), values);
        }
    }

    @Override
    public StructType getSchema() {
        return schema;
    }

    @Override
    public ColumnVector getColumnVector(int ordinal) {
        return vectors[ordinal];
    }

    @Override
    public int getSize() {
        return size;
    }
}
