package dev.tideline.apply.delta;

import io.delta.kernel.data.ArrayValue;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.types.ArrayType;
import io.delta.kernel.types.BinaryType;
import io.delta.kernel.types.BooleanType;
import io.delta.kernel.types.ByteType;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.DateType;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.FloatType;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.ShortType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.TimestampNTZType;
import io.delta.kernel.types.TimestampType;
import java.util.ArrayList;
import java.util.List;

/** Reads one value of a Kernel {@link ColumnVector} into Tideline's in-memory form ({@link DeltaColumn}). */
final class VectorValues {

    private VectorValues() {
    }

    static Object get(ColumnVector vector, int row) {
        if (vector.isNullAt(row)) {
            return null;
        }
        DataType type = vector.getDataType();
        if (type instanceof BooleanType) {
            return vector.getBoolean(row);
        } else if (type instanceof ByteType) {
            return vector.getByte(row);
        } else if (type instanceof ShortType) {
            return vector.getShort(row);
        } else if (type instanceof IntegerType || type instanceof DateType) {
            return vector.getInt(row);
        } else if (type instanceof LongType || type instanceof TimestampType || type instanceof TimestampNTZType) {
            return vector.getLong(row);
        } else if (type instanceof FloatType) {
            return vector.getFloat(row);
        } else if (type instanceof DoubleType) {
            return vector.getDouble(row);
        } else if (type instanceof DecimalType) {
            return vector.getDecimal(row);
        } else if (type instanceof StringType) {
            return vector.getString(row);
        } else if (type instanceof BinaryType) {
            return vector.getBinary(row);
        } else if (type instanceof ArrayType) {
            ArrayValue array = vector.getArray(row);
            ColumnVector elements = array.getElements();
            List<Object> out = new ArrayList<>(array.getSize());
            for (int i = 0; i < array.getSize(); i++) {
                out.add(get(elements, i));
            }
            return out;
        }
        throw new UnsupportedOperationException("Delta type " + type + " is not one Tideline writes");
    }
}
