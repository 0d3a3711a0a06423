package dev.tideline.sync.testdelta;

import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.types.StructType;
import java.util.ArrayList;
import java.util.List;

/** A columnar batch over rows of Java values ({@code Object[]} per row, in schema order). */
public final class ObjectBatch implements ColumnarBatch {

    private final StructType schema;
    private final List<Object[]> rows;

    public ObjectBatch(StructType schema, List<Object[]> rows) {
        this.schema = schema;
        this.rows = rows;
    }

    @Override
    public StructType getSchema() {
        return schema;
    }

    @Override
    public ColumnVector getColumnVector(int ordinal) {
        List<Object> column = new ArrayList<>(rows.size());
        for (Object[] row : rows) {
            column.add(row[ordinal]);
        }
        return new ObjectColumnVector(schema.at(ordinal).getDataType(), column);
    }

    @Override
    public int getSize() {
        return rows.size();
    }
}
