package dev.tideline.gateway.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CopyTextRowTest {

    private static String[] split(String line, int columns) {
        String[] fields = new String[columns];
        CopyTextRow.split(line.getBytes(StandardCharsets.UTF_8), fields);
        return fields;
    }

    @Test
    void splitsTabsAndReadsNulls() {
        assertArrayEquals(new String[] {"1", null, "", "é€"}, split("1\t\\N\t\té€\n", 4));
    }

    @Test
    void resolvesEscapes() {
        assertArrayEquals(new String[] {"a\tb\nc\\d\re", "\\x00ff", "\\N", "\u0001A"},
                split("a\\tb\\nc\\\\d\\re\t\\\\x00ff\t\\\\N\t\\001\\x41", 4));
    }

    @Test
    void rejectsAWrongColumnCount() {
        assertThrows(IllegalArgumentException.class, () -> split("1\t2\n", 3));
        assertThrows(IllegalArgumentException.class, () -> split("1\t2\t3\n", 2));
    }
}
