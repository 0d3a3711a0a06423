package dev.tideline.core.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ColumnSchemaTest {

    /** typmod = ((precision << 16) | (scale & 0x7FF)) + 4, as Postgres' numeric typmodin computes it. */
    @ParameterizedTest
    @CsvSource({
        "12, 3", "1000, 0", "5, 5", "38, 18", "3, -2", "2, 1000"
    })
    void decodesNumericPrecisionAndScaleFromTheTypmod(int precision, int scale) {
        int typmod = ((precision << 16) | (scale & 0x7FF)) + 4;
        ColumnSchema column = new ColumnSchema("amount", PgType.NUMERIC, typmod, false);
        assertEquals(precision, column.numericPrecision());
        assertEquals(scale, column.numericScale());
    }

    @ParameterizedTest
    @CsvSource({"1700, -1", "23, -1", "23, 65540"})
    void unconstrainedOrNonNumericHasNone(int oid, int typmod) {
        ColumnSchema column = new ColumnSchema("c", oid, typmod, false);
        assertEquals(-1, column.numericPrecision());
        assertEquals(-1, column.numericScale());
    }
}
