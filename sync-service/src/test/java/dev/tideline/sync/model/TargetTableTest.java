package dev.tideline.sync.model;

import dev.tideline.core.TableId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.TidelineException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TargetTableTest {

    @Test
    void namesFollowTheSeedsRule() {
        TargetTable t = new TargetTable("app_db", "Silver", "Orders_2024");
        assertEquals("\"Silver\".\"Orders_2024\"", t.quoted());
        for (String bad : List.of("my-table", "a.b", "spa ce", "é", "")) {
            TidelineException e = assertThrows(TidelineException.class, () -> new TargetTable("db", "public", bad));
            assertEquals(TidelineException.Kind.NEEDS_OPERATOR, e.kind());
            assertTrue(e.getMessage().contains("table name"), e.getMessage());
        }
        TidelineException db = assertThrows(TidelineException.class, () -> new TargetTable("my-db", "public", "t"));
        assertTrue(db.getMessage().contains("database name 'my-db'") && db.getMessage().contains("[A-Za-z0-9_]+"), db.getMessage());
        assertEquals("'my_db'", db.hint().substring(db.hint().indexOf('\'')));
        assertThrows(TidelineException.class, () -> new TargetTable("db", "s", "x".repeat(64)));
    }

    @Test
    void definitionsNeedAPrimaryKeyOutsideTheTimeseriesKey() {
        TargetTable t = new TargetTable("db", "public", "t");
        assertThrows(TidelineException.class, () -> new SyncedTableDefinition("n", "s", "p", t, List.of(), Optional.empty(),
                SchedulingPolicy.TRIGGERED, NullBytePolicy.FAIL, false));
        assertThrows(TidelineException.class, () -> new SyncedTableDefinition("n", "s", "p", t, List.of("id", "id"), Optional.empty(),
                SchedulingPolicy.TRIGGERED, NullBytePolicy.FAIL, false));
        assertThrows(TidelineException.class, () -> new SyncedTableDefinition("n", "s", "p", t, List.of("id"), Optional.of("id"),
                SchedulingPolicy.TRIGGERED, NullBytePolicy.FAIL, false));
    }

    @Test
    void quotingDoublesEmbeddedQuotes() {
        assertEquals("\"a\"\"b\"", TableId.quoteIdentifier("a\"b"));
        assertEquals("'it''s'", Sql.literal("it's"));
    }
}
