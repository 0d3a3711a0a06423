package dev.tideline.sync.types;

import dev.tideline.core.TidelineException;
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
import io.delta.kernel.types.MapType;
import io.delta.kernel.types.ShortType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampNTZType;
import io.delta.kernel.types.TimestampType;
import java.util.ArrayList;
import java.util.List;

/**
 * The Delta → Postgres type mapping of synced tables, exactly the table of seed 003 ("Data type
 * mapping"):
 *
 * <table>
 *   <caption>Delta → Postgres</caption>
 *   <tr><td>BIGINT</td><td>BIGINT</td></tr>
 *   <tr><td>BINARY</td><td>BYTEA</td></tr>
 *   <tr><td>BOOLEAN</td><td>BOOLEAN</td></tr>
 *   <tr><td>DATE</td><td>DATE</td></tr>
 *   <tr><td>DECIMAL(p,s)</td><td>NUMERIC(p,s)</td></tr>
 *   <tr><td>DOUBLE</td><td>DOUBLE PRECISION</td></tr>
 *   <tr><td>FLOAT</td><td>REAL</td></tr>
 *   <tr><td>INT</td><td>INTEGER</td></tr>
 *   <tr><td>SMALLINT (SHORT)</td><td>SMALLINT</td></tr>
 *   <tr><td>STRING</td><td>TEXT</td></tr>
 *   <tr><td>TIMESTAMP</td><td>TIMESTAMP WITH TIME ZONE</td></tr>
 *   <tr><td>TIMESTAMP_NTZ</td><td>TIMESTAMP WITHOUT TIME ZONE</td></tr>
 *   <tr><td>TINYINT (BYTE)</td><td>SMALLINT</td></tr>
 *   <tr><td>ARRAY, MAP, STRUCT</td><td>JSONB</td></tr>
 *   <tr><td>GEOGRAPHY, GEOMETRY, VARIANT, anything else</td><td>not supported</td></tr>
 * </table>
 * INTERVAL → INTERVAL is in the seed's table too, but Delta tables cannot store interval columns
 * (Delta Kernel has no interval type), so no Delta schema can ask for it.
 */
public final class PostgresTypeMapping {

    private PostgresTypeMapping() {
    }

    /**
     * Maps every column of a Delta schema, in order.
     *
     * @param tableName the source table, for the error message
     * @throws TidelineException NEEDS_OPERATOR naming the first unsupported column and its type
     */
    public static List<TargetColumn> map(String tableName, StructType schema) {
        List<TargetColumn> columns = new ArrayList<>(schema.length());
        for (StructField field : schema.fields()) {
            columns.add(new TargetColumn(field.getName(), field.getDataType(), postgresType(tableName, field.getName(), field.getDataType()),
                    ColumnIdentity.of(field)));
        }
        return columns;
    }

    /**
     * The Postgres type of one Delta column.
     *
     * @throws TidelineException NEEDS_OPERATOR naming the table, the column and its type when the type has no mapping
     */
    public static String postgresType(String tableName, String column, DataType type) {
        if (type instanceof LongType) {
            return "BIGINT";
        } else if (type instanceof BinaryType) {
            return "BYTEA";
        } else if (type instanceof BooleanType) {
            return "BOOLEAN";
        } else if (type instanceof DateType) {
            return "DATE";
        } else if (type instanceof DecimalType d) {
            return "NUMERIC(" + d.getPrecision() + "," + d.getScale() + ")";
        } else if (type instanceof DoubleType) {
            return "DOUBLE PRECISION";
        } else if (type instanceof FloatType) {
            return "REAL";
        } else if (type instanceof IntegerType) {
            return "INTEGER";
        } else if (type instanceof ShortType || type instanceof ByteType) {
            return "SMALLINT";
        } else if (type instanceof StringType) {
            return "TEXT";
        } else if (type instanceof TimestampType) {
            return "TIMESTAMP WITH TIME ZONE";
        } else if (type instanceof TimestampNTZType) {
            return "TIMESTAMP WITHOUT TIME ZONE";
        } else if (type instanceof ArrayType || type instanceof MapType || type instanceof StructType) {
            requireSupportedNested(tableName, column, type);
            return "JSONB";
        }
        throw unsupported(tableName, column, type);
    }

    /** Complex values become JSON; a VARIANT or GEOMETRY inside one has no JSON form here either. */
    private static void requireSupportedNested(String tableName, String column, DataType type) {
        if (type instanceof ArrayType a) {
            requireSupportedNested(tableName, column, a.getElementType());
        } else if (type instanceof MapType m) {
            requireSupportedNested(tableName, column, m.getKeyType());
            requireSupportedNested(tableName, column, m.getValueType());
        } else if (type instanceof StructType s) {
            for (StructField f : s.fields()) {
                requireSupportedNested(tableName, column, f.getDataType());
            }
        } else {
            postgresType(tableName, column, type); // throws for unsupported leaf types
        }
    }

    private static TidelineException unsupported(String tableName, String column, DataType type) {
        return new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                "column '" + column + "' of " + tableName + " has type " + type
                        + ", which synced tables do not support (GEOGRAPHY, GEOMETRY, VARIANT and OBJECT have no Postgres mapping)",
                "sync a view or copy of the table without column '" + column + "', or cast it to STRING or BINARY");
    }
}
