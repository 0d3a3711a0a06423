package dev.tideline.sync.testdelta;

import io.delta.kernel.data.ArrayValue;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.MapValue;
import io.delta.kernel.types.ArrayType;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.DateType;
import io.delta.kernel.types.MapType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampNTZType;
import io.delta.kernel.types.TimestampType;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Kernel column vector over plain Java values, for writing test tables (Kernel ships no public
 * vector implementations). Dates may be {@link LocalDate}, timestamps {@link Instant} (TIMESTAMP) or
 * {@link LocalDateTime} (TIMESTAMP_NTZ), arrays {@link List}, maps {@link Map}, structs
 * {@code Object[]}.
 */
public final class ObjectColumnVector implements ColumnVector {

    private final DataType type;
    private final List<?> values;

    public ObjectColumnVector(DataType type, List<?> values) {
        this.type = type;
        this.values = values;
    }

    @Override
    public DataType getDataType() {
        return type;
    }

    @Override
    public int getSize() {
        return values.size();
    }

    @Override
    public void close() {
    }

    @Override
    public boolean isNullAt(int rowId) {
        return values.get(rowId) == null;
    }

    @Override
    public boolean getBoolean(int rowId) {
        return (Boolean) values.get(rowId);
    }

    @Override
    public byte getByte(int rowId) {
        return ((Number) values.get(rowId)).byteValue();
    }

    @Override
    public short getShort(int rowId) {
        return ((Number) values.get(rowId)).shortValue();
    }

    @Override
    public int getInt(int rowId) {
        Object v = values.get(rowId);
        if (type instanceof DateType && v instanceof LocalDate d) {
            return (int) d.toEpochDay();
        }
        return ((Number) v).intValue();
    }

    @Override
    public long getLong(int rowId) {
        Object v = values.get(rowId);
        if (type instanceof TimestampType && v instanceof Instant i) {
            return i.getEpochSecond() * 1_000_000L + i.getNano() / 1000;
        }
        if (type instanceof TimestampNTZType && v instanceof LocalDateTime t) {
            Instant i = t.toInstant(ZoneOffset.UTC);
            return i.getEpochSecond() * 1_000_000L + i.getNano() / 1000;
        }
        return ((Number) v).longValue();
    }

    @Override
    public float getFloat(int rowId) {
        return ((Number) values.get(rowId)).floatValue();
    }

    @Override
    public double getDouble(int rowId) {
        return ((Number) values.get(rowId)).doubleValue();
    }

    @Override
    public byte[] getBinary(int rowId) {
        return (byte[]) values.get(rowId);
    }

    @Override
    public String getString(int rowId) {
        return (String) values.get(rowId);
    }

    @Override
    public BigDecimal getDecimal(int rowId) {
        return (BigDecimal) values.get(rowId);
    }

    @Override
    public ArrayValue getArray(int rowId) {
        List<?> list = (List<?>) values.get(rowId);
        DataType element = ((ArrayType) type).getElementType();
        return new ArrayValue() {
            @Override
            public int getSize() {
                return list.size();
            }

            @Override
            public ColumnVector getElements() {
                return new ObjectColumnVector(element, list);
            }
        };
    }

    @Override
    public MapValue getMap(int rowId) {
        Map<?, ?> map = (Map<?, ?>) values.get(rowId);
        MapType mt = (MapType) type;
        List<Object> keys = new ArrayList<>(map.keySet());
        List<Object> vals = new ArrayList<>();
        keys.forEach(k -> vals.add(map.get(k)));
        return new MapValue() {
            @Override
            public int getSize() {
                return keys.size();
            }

            @Override
            public ColumnVector getKeys() {
                return new ObjectColumnVector(mt.getKeyType(), keys);
            }

            @Override
            public ColumnVector getValues() {
                return new ObjectColumnVector(mt.getValueType(), vals);
            }
        };
    }

    @Override
    public ColumnVector getChild(int ordinal) {
        StructType st = (StructType) type;
        List<Object> child = new ArrayList<>(values.size());
        for (Object v : values) {
            child.add(v == null ? null : ((Object[]) v)[ordinal]);
        }
        return new ObjectColumnVector(st.at(ordinal).getDataType(), child);
    }
}
