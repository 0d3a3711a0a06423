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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The reference page {@code docs/reference/type-mapping-delta-to-postgres.md} and the code say the same: every row of
 * its mapping table is checked against {@link PostgresTypeMapping}, and every type the code maps has a row.
 */
class TypeMappingReferenceTest {

    private static final Path PAGE = Path.of("..", "docs", "reference", "type-mapping-delta-to-postgres.md");

    /** One Delta type per name of the page's first column (a representative instance for parameterised types). */
    private static final Map<String, DataType> TYPES = new LinkedHashMap<>();

    static {
        TYPES.put("BIGINT", LongType.LONG);
        TYPES.put("BINARY", BinaryType.BINARY);
        TYPES.put("BOOLEAN", BooleanType.BOOLEAN);
        TYPES.put("DATE", DateType.DATE);
        TYPES.put("DECIMAL(p,s)", new DecimalType(38, 18));
        TYPES.put("DOUBLE", DoubleType.DOUBLE);
        TYPES.put("FLOAT", FloatType.FLOAT);
        TYPES.put("INT", IntegerType.INTEGER);
        TYPES.put("SMALLINT", ShortType.SHORT);
        TYPES.put("TINYINT", ByteType.BYTE);
        TYPES.put("STRING", StringType.STRING);
        TYPES.put("TIMESTAMP", TimestampType.TIMESTAMP);
        TYPES.put("TIMESTAMP_NTZ", TimestampNTZType.TIMESTAMP_NTZ);
        TYPES.put("ARRAY<…>", new ArrayType(IntegerType.INTEGER, true));
        TYPES.put("MAP<…>", new MapType(StringType.STRING, LongType.LONG, true));
        TYPES.put("STRUCT<…>", new StructType().add("a", IntegerType.INTEGER));
        TYPES.put("VARIANT", VariantType.VARIANT);
        TYPES.put("GEOMETRY", GeometryType.ofDefault());
        TYPES.put("GEOGRAPHY", GeographyType.ofDefault());
    }

    /** Delta types the page lists that no Delta table can hold, so there is nothing to map. */
    private static final Set<String> NEVER_STORED = Set.of("INTERVAL");

    @Test
    void everyRowOfTheReferenceTableIsWhatTheCodeMaps() throws Exception {
        Map<String, String> rows = mappingTable();
        assertEquals(TYPES.keySet().size() + NEVER_STORED.size(), rows.size(), "rows of the page: " + rows.keySet());
        for (var row : rows.entrySet()) {
            String delta = row.getKey();
            String postgres = row.getValue();
            if (NEVER_STORED.contains(delta)) {
                continue;
            }
            DataType type = TYPES.get(delta);
            assertTrue(type != null, "the page lists " + delta + ", which this test does not know");
            if (postgres.equals("not supported")) {
                assertThrows(TidelineException.class, () -> PostgresTypeMapping.postgresType("t", "c", type), delta);
            } else {
                String expected = postgres.replace("NUMERIC(p,s)", "NUMERIC(38,18)");
                assertEquals(expected, PostgresTypeMapping.postgresType("t", "c", type), delta);
            }
        }
    }

    @Test
    void everyTypeTheCodeMapsHasARow() throws Exception {
        assertTrue(mappingTable().keySet().containsAll(TYPES.keySet()), "missing rows: " + TYPES.keySet());
    }

    /** The first table whose header starts with "Delta type | Postgres type": Delta type → Postgres type, backticks removed. */
    private static Map<String, String> mappingTable() throws Exception {
        List<String> lines = Files.readAllLines(PAGE, StandardCharsets.UTF_8);
        Map<String, String> out = new LinkedHashMap<>();
        boolean inTable = false;
        for (String line : lines) {
            if (line.startsWith("| Delta type | Postgres type | Delta values")) {
                inTable = true;
                continue;
            }
            if (!inTable || line.startsWith("|---")) {
                continue;
            }
            if (!line.startsWith("|")) {
                break;
            }
            String[] cells = line.split("\\|");
            out.put(cells[1].strip().replace("`", ""), cells[2].strip().replace("`", ""));
        }
        assertTrue(!out.isEmpty(), "no mapping table in " + PAGE.toAbsolutePath());
        return out;
    }
}
