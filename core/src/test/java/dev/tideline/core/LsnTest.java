package dev.tideline.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LsnTest {

    @Test
    void parsesAndFormatsThePostgresForm() {
        Lsn lsn = Lsn.parse("16/B374D848");
        assertEquals(0x16_B374_D848L, lsn.value());
        assertEquals("16/B374D848", lsn.toString());
        assertEquals("0/0", Lsn.INVALID.toString());
        assertEquals(Lsn.parse("16/b374d848"), lsn);
        assertEquals("00000016B374D848", lsn.toSortableHex());
    }

    @Test
    void roundTripsAnyValueIncludingTheUnsignedUpperHalf() {
        Random random = new Random(42);
        for (int i = 0; i < 10_000; i++) {
            Lsn lsn = Lsn.of(random.nextLong());
            assertEquals(lsn, Lsn.parse(lsn.toString()));
        }
        assertEquals("FFFFFFFF/FFFFFFFF", Lsn.of(-1L).toString());
    }

    @Test
    void comparesUnsigned() {
        Lsn low = Lsn.parse("7FFFFFFF/FFFFFFFF");
        Lsn high = Lsn.parse("80000000/0");
        assertTrue(high.isAfter(low));
        assertTrue(low.isBefore(high));
        assertEquals(high, Lsn.max(low, high));
        assertEquals(1, high.bytesSince(low));
        assertFalse(Lsn.INVALID.isValid());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "/", "16", "16/", "/16", "G/0", "123456789/0", "0/123456789", "1/2/3", " 1/2", "-1/0", "+1/0", "1/\uFF11"})
    void rejectsMalformedTextNamingTheExpectedForm(String text) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> Lsn.parse(text));
        assertTrue(error.getMessage().contains("X/X"), error.getMessage());
    }
}
