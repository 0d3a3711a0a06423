package dev.tideline.sync.types;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import io.delta.kernel.types.GeographyType;
import io.delta.kernel.types.GeometryType;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.MapType;
import io.delta.kernel.types.ShortType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampNTZType;
import io.delta.kernel.types.TimestampType;
import io.delta.kernel.types.VariantType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PostgresTypeMappingTest {

    @Test
    void theSeedsTable() {
        Map<DataType, String> expected = new LinkedHashMap<>();
        expected.put(LongType.LONG, "BIGINT");
        expected.put(BinaryType.BINARY, "BYTEA");
        expected.put(BooleanType.BOOLEAN, "BOOLEAN");
        expected.put(DateType.DATE, "DATE");
        expected.put(new DecimalType(38, 18), "NUMERIC(38,18)");
        expected.put(DoubleType.DOUBLE, "DOUBLE PRECISION");
        expected.put(FloatType.FLOAT, "REAL");
        expected.put(IntegerType.INTEGER, "INTEGER");
        expected.put(ShortType.SHORT, "SMALLINT");
        expected.put(StringType.STRING, "TEXT");
        expected.put(TimestampType.TIMESTAMP, "TIMESTAMP WITH TIME ZONE");
        expected.put(TimestampNTZType.TIMESTAMP_NTZ, "TIMESTAMP WITHOUT TIME ZONE");
        expected.put(ByteType.BYTE, "SMALLINT");
        expected.put(new ArrayType(StringType.STRING, true), "JSONB");
        expected.put(new MapType(StringType.STRING, LongType.LONG, true), "JSONB");
        expected.put(new StructType().add("a", IntegerType.INTEGER), "JSONB");
        expected.forEach((delta, pg) -> assertEquals(pg, PostgresTypeMapping.postgresType("t", "c", delta), delta.toString()));
    }

    @Test
    void unsupportedTypesAreRefusedNamingTheColumn() {
        for (DataType type : List.of(VariantType.VARIANT, GeometryType.ofDefault(), GeographyType.ofDefault())) {
            StructType schema = new StructType().add("id", LongType.LONG).add("shape", type);
            TidelineException e = assertThrows(TidelineException.class, () -> PostgresTypeMapping.map("main.geo.places", schema));
            assertEquals(TidelineException.Kind.NEEDS_OPERATOR, e.kind());
            assertTrue(e.getMessage().contains("column 'shape'") && e.getMessage().contains("main.geo.places"), e.getMessage());
        }
    }

    @Test
    void unsupportedTypesNestedInComplexTypesAreRefusedToo() {
        StructType schema = new StructType().add("doc", new ArrayType(new StructType().add("v", VariantType.VARIANT), true));
        TidelineException e = assertThrows(TidelineException.class, () -> PostgresTypeMapping.map("t", schema));
        assertTrue(e.getMessage().contains("column 'doc'"), e.getMessage());
    }
}
