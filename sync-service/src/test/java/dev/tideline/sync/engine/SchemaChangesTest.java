package dev.tideline.sync.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.TidelineException;
import dev.tideline.sync.target.SyncState;
import dev.tideline.sync.types.PostgresTypeMapping;
import dev.tideline.sync.types.TargetColumn;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SchemaChangesTest {

    private static final SyncState SYNCED = new SyncState("n", "public", "t", "src", 3, List.of("id", "name"), List.of("BIGINT", "TEXT"),
            Instant.EPOCH, 0, "SNAPSHOT");

    private static List<TargetColumn> columns(StructType schema) {
        return PostgresTypeMapping.map("src", schema);
    }

    @Test
    void newColumnsAreAdditions() {
        List<TargetColumn> added = SchemaChanges.added("n", SYNCED,
                columns(new StructType().add("id", LongType.LONG).add("name", StringType.STRING).add("qty", IntegerType.INTEGER)));
        assertEquals(List.of("qty"), added.stream().map(TargetColumn::name).toList());
        assertEquals(List.of(), SchemaChanges.added("n", SYNCED, columns(new StructType().add("id", LongType.LONG).add("name", StringType.STRING))));
    }

    @Test
    void droppedOrRetypedColumnsNeedAFullRefresh() {
        TidelineException dropped = assertThrows(TidelineException.class,
                () -> SchemaChanges.added("n", SYNCED, columns(new StructType().add("id", LongType.LONG))));
        assertTrue(dropped.getMessage().contains("column 'name' was dropped or renamed"), dropped.getMessage());
        assertTrue(dropped.hint().contains("full refresh"));
        TidelineException retyped = assertThrows(TidelineException.class,
                () -> SchemaChanges.added("n", SYNCED, columns(new StructType().add("id", LongType.LONG).add("name", IntegerType.INTEGER))));
        assertTrue(retyped.getMessage().contains("changed type from TEXT to INTEGER"), retyped.getMessage());
    }
}
