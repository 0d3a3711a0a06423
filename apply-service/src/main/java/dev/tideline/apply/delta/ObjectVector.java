package dev.tideline.apply.delta;

import io.delta.kernel.data.ArrayValue;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.types.ArrayType;
import io.delta.kernel.types.DataType;
import java.math.BigDecimal;
import java.util.List;

/**
 * A Kernel {@link ColumnVector} over an array of Delta values in Tideline's in-memory form (see
 * {@link DeltaColumn}). Kernel ships no public vector implementation; this one is enough for
 * every type {@link PostgresDeltaTypes} produces. Read-only; the array is not copied.
 */
final class ObjectVector implements ColumnVector {

    private final DataType type;
    private final Object[] values;
    private final int offset;
    private final int size;

    ObjectVector(DataType type, Object[] values) {
        this(type, values, 0, values.length);
    }

    ObjectVector(DataType type, Object[] values, int offset, int size) {
        this.type = type;
        this.values = values;
        this.offset = offset;
        this.size = size;
    }

    private Object at(int rowId) {
        if (rowId < 0 || rowId >= size) {
            throw new IndexOutOfBoundsException("row " + rowId + " of " + size);
        }
        return values[offset + rowId];
    }

    @Override
    public DataType getDataType() {
        return type;
    }

    @Override
    public int getSize() {
        return size;
    }

    @Override
    public void close() {
    }

    @Override
    public boolean isNullAt(int rowId) {
        return at(rowId) == null;
    }

    @Override
    public boolean getBoolean(int rowId) {
        return (Boolean) at(rowId);
    }

    @Override
    public byte getByte(int rowId) {
        return ((Number) at(rowId)).byteValue();
    }

    @Override
    public short getShort(int rowId) {
        return ((Number) at(rowId)).shortValue();
    }

    @Override
    public int getInt(int rowId) {
        return ((Number) at(rowId)).intValue();
    }

    @Override
    public long getLong(int rowId) {
        return ((Number) at(rowId)).longValue();
    }

    @Override
    public float getFloat(int rowId) {
        return ((Number) at(rowId)).floatValue();
    }

    @Override
    public double getDouble(int rowId) {
        return ((Number) at(rowId)).doubleValue();
    }

    @Override
    public byte[] getBinary(int rowId) {
        return (byte[]) at(rowId);
    }

    @Override
    public String getString(int rowId) {
        return (String) at(rowId);
    }

    @Override
    public BigDecimal getDecimal(int rowId) {
        return (BigDecimal) at(rowId);
    }

    @Override
    public ArrayValue getArray(int rowId) {
        List<?> list = (List<?>) at(rowId);
        if (list == null) {
            return null;
        }
        DataType elementType = ((ArrayType) type).getElementType();
        Object[] elements = list.toArray();
        return new ArrayValue() {
            @Override
            public int getSize() {
                return elements.length;
            }

            @Override
            public ColumnVector getElements() {
                return new ObjectVector(elementType, elements);
            }
        };
    }
}
