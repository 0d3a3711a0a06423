package dev.tideline.sync.types;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.TidelineException;
import dev.tideline.sync.model.NullBytePolicy;
import dev.tideline.sync.testdelta.ObjectBatch;
import io.delta.kernel.types.ArrayType;
import io.delta.kernel.types.BinaryType;
import io.delta.kernel.types.DateType;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.MapType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampType;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CopyRowEncoderTest {

    static final StructType SCHEMA = new StructType()
            .add("id", LongType.LONG)
            .add("s", StringType.STRING)
            .add("b", BinaryType.BINARY)
            .add("d", DateType.DATE)
            .add("ts", TimestampType.TIMESTAMP)
            .add("x", DoubleType.DOUBLE)
            .add("tags", new ArrayType(StringType.STRING, true))
            .add("m", new MapType(LongType.LONG, StringType.STRING, true));

    private static String encode(NullBytePolicy policy, Object... row) {
        CopyRowEncoder encoder = new CopyRowEncoder("db.s.t", PostgresTypeMapping.map("t", SCHEMA), List.of("id"), null, policy);
        encoder.bind(new ObjectBatch(SCHEMA, List.<Object[]>of(row)));
        StringBuilder out = new StringBuilder();
        encoder.appendRow(0, out);
        return out.toString();
    }

    @Test
    void copyTextEscapesAndFormats() {
        String line = encode(NullBytePolicy.FAIL, 1L, "a\tb\nc\\d", new byte[] {(byte) 0xAB, 1}, LocalDate.of(-43, 3, 15),
                Instant.parse("2024-01-02T03:04:05.000006Z"), Double.NaN, List.of("q\"uote", "tab\t"), Map.of(7L, "seven"));
        assertEquals("1\ta\\tb\\nc\\\\d\t\\\\xab01\t0044-03-15 BC\t2024-01-02 03:04:05.000006+00\tNaN\t"
                + "[\"q\\\\\"uote\",\"tab\\\\t\"]\t{\"7\":\"seven\"}\n", line);
    }

    @Test
    void nullsAreBackslashN() {
        assertEquals("1\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n", encode(NullBytePolicy.FAIL, 1L, null, null, null, null, null, null, null));
        assertEquals("2\t\\N\t\\N\t\\N\t\\N\t\\N\t[null]\t\\N\n",
                encode(NullBytePolicy.FAIL, 2L, null, null, null, null, null, Arrays.asList((String) null), null));
    }

    @Test
    void nullBytesFailNamingColumnAndKeyOrAreStripped() {
        TidelineException top = assertThrows(TidelineException.class,
                () -> encode(NullBytePolicy.FAIL, 42L, "a\0b", null, null, null, null, null, null));
        assertTrue(top.getMessage().contains("column 's'") && top.getMessage().contains("db.s.t") && top.getMessage().contains("(id)=(42)"),
                top.getMessage());
        assertTrue(top.hint().contains("STRIP"));
        TidelineException nested = assertThrows(TidelineException.class,
                () -> encode(NullBytePolicy.FAIL, 43L, null, null, null, null, null, List.of("x\0"), null));
        assertTrue(nested.getMessage().contains("column 'tags'") && nested.getMessage().contains("(id)=(43)"), nested.getMessage());
        assertEquals("44\tab\t\\N\t\\N\t\\N\t\\N\t[\"x\"]\t\\N\n",
                encode(NullBytePolicy.STRIP, 44L, "a\0b", null, null, null, null, List.of("x\0"), null));
    }
}
