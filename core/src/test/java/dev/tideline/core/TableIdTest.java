package dev.tideline.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TableIdTest {

    @Test
    void quotesEveryPartForSql() {
        assertEquals("\"public\".\"Order \"\"Lines\"\".v2\"", TableId.of("public", "Order \"Lines\".v2").quoted());
        assertEquals("public.Order \"Lines\".v2", TableId.of("public", "Order \"Lines\".v2").toString());
    }

    @Test
    void quoteIdentifierDoublesEmbeddedQuotesAndKeepsEverythingElse() {
        assertEquals("\"x\"", TableId.quoteIdentifier("x"));
        assertEquals("\"MixedCase\"", TableId.quoteIdentifier("MixedCase"));
        assertEquals("\"a\"\"b\"", TableId.quoteIdentifier("a\"b"));
        assertEquals("\"\"\"\"\"\"\"\"", TableId.quoteIdentifier("\"\"\""));
        assertEquals("\"it's; DROP\"", TableId.quoteIdentifier("it's; DROP"));
    }

    @Test
    void rejectsWhatPostgresCannotName() {
        assertThrows(IllegalArgumentException.class, () -> TableId.of("", "t"));
        assertThrows(IllegalArgumentException.class, () -> TableId.of("s", "a\0b"));
        assertThrows(NullPointerException.class, () -> TableId.of("s", null));
    }
}
