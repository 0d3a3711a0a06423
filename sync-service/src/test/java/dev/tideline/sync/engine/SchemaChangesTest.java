package dev.tideline.sync.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.TidelineException;
import dev.tideline.sync.postgres.SyncState;
import dev.tideline.sync.types.PostgresTypeMapping;
import dev.tideline.sync.types.TargetColumn;
import io.delta.kernel.types.FieldMetadata;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SchemaChangesTest {

    private static final SyncState SYNCED = new SyncState("n", "public", "t", "src", 3, List.of("id", "name"), List.of("BIGINT", "TEXT"),
            List.of("id", "name"), Instant.EPOCH, 0, "SNAPSHOT");

    private static List<TargetColumn> columns(StructType schema) {
        return PostgresTypeMapping.map("src", schema);
    }

    @Test
    void newColumnsAreAdditions() {
        List<TargetColumn> added = SchemaChanges.added("n", SYNCED, SYNCED.columnIds(),
                columns(new StructType().add("id", LongType.LONG).add("name", StringType.STRING).add("qty", IntegerType.INTEGER)));
        assertEquals(List.of("qty"), added.stream().map(TargetColumn::name).toList());
        assertEquals(List.of(), SchemaChanges.added("n", SYNCED, SYNCED.columnIds(), columns(new StructType().add("id", LongType.LONG).add("name", StringType.STRING))));
    }

    @Test
    void droppedOrRetypedColumnsNeedAFullRefresh() {
        TidelineException dropped = assertThrows(TidelineException.class,
                () -> SchemaChanges.added("n", SYNCED, SYNCED.columnIds(), columns(new StructType().add("id", LongType.LONG))));
        assertTrue(dropped.getMessage().contains("column 'name' was dropped or renamed"), dropped.getMessage());
        assertTrue(dropped.hint().contains("full refresh"));
        TidelineException retyped = assertThrows(TidelineException.class,
                () -> SchemaChanges.added("n", SYNCED, SYNCED.columnIds(), columns(new StructType().add("id", LongType.LONG).add("name", IntegerType.INTEGER))));
        assertTrue(retyped.getMessage().contains("changed type from TEXT to INTEGER"), retyped.getMessage());
    }

    /** A column-mapped field: logical name, stored under {@code col-<id>}. */
    private static StructType mapped(StructType schema, String name, int id) {
        return schema.add(name, IntegerType.INTEGER, FieldMetadata.builder()
                .putString("delta.columnMapping.physicalName", "col-" + id).putLong("delta.columnMapping.id", id).build());
    }

    private static SyncState syncedMapped() {
        List<TargetColumn> before = columns(mapped(mapped(new StructType().add("id", LongType.LONG), "a", 1), "b", 2));
        return SyncState.of("n", "public", "t", "src", 3, before, 0, "SNAPSHOT");
    }

    /**
     * A snapshot load of the ingestion pipeline replaces the Delta table: every column keeps its name and
     * type but is stored anew. That is a replace to load again, not a swap or a re-added column to stop at;
     * one column still stored as before makes it not a replace.
     */
    @Test
    void aTableWhoseEveryColumnIsStoredAnewWasReplacedWhole() {
        SyncState synced = syncedMapped();
        List<TargetColumn> replaced = columns(mapped(mapped(new StructType().add("id", LongType.LONG), "a", 11), "b", 12));
        List<TargetColumn> partly = columns(mapped(mapped(new StructType().add("id", LongType.LONG), "a", 1), "b", 12));
        // "id" is unmapped here (its identity is its name): a replace of a fully mapped table
        SyncState allMapped = SyncState.of("n", "public", "t", "src", 3,
                columns(mapped(mapped(new StructType(), "a", 1), "b", 2)), 0, "SNAPSHOT");
        assertTrue(SchemaChanges.replacedWhole(allMapped, allMapped.columnIds(), columns(mapped(mapped(new StructType(), "a", 11), "b", 12))));
        assertFalse(SchemaChanges.replacedWhole(synced, synced.columnIds(), replaced), "id is still the same stored column");
        assertFalse(SchemaChanges.replacedWhole(allMapped, allMapped.columnIds(), columns(mapped(mapped(new StructType(), "a", 1), "b", 12))));
        assertFalse(SchemaChanges.replacedWhole(allMapped, allMapped.columnIds(), columns(mapped(mapped(new StructType(), "b", 11), "a", 12))
                .stream().filter(c -> !c.name().equals("a")).toList()), "a column is gone");
        assertFalse(SchemaChanges.replacedWhole(allMapped, null, partly), "unknown identities are never a replace");
    }

    @Test
    void columnsSwappedByRenamesNeedAFullRefreshThoughNamesAndTypesAreUnchanged() {
        SyncState synced = syncedMapped();
        List<TargetColumn> swapped = columns(mapped(mapped(new StructType().add("id", LongType.LONG), "a", 2), "b", 1));
        TidelineException e = assertThrows(TidelineException.class, () -> SchemaChanges.added("n", synced, synced.columnIds(), swapped));
        assertTrue(e.getMessage().contains("synced table n") && e.getMessage().contains("column 'a' now holds the data of the former column 'b'"),
                e.getMessage());
        assertTrue(e.hint().contains("full refresh"));
    }

    @Test
    void aColumnDroppedAndReAddedUnderItsNameNeedsAFullRefresh() {
        SyncState synced = syncedMapped();
        List<TargetColumn> readded = columns(mapped(mapped(new StructType().add("id", LongType.LONG), "a", 1), "b", 3));
        TidelineException e = assertThrows(TidelineException.class, () -> SchemaChanges.added("n", synced, synced.columnIds(), readded));
        assertTrue(e.getMessage().contains("column 'b' was dropped and re-added under the same name"), e.getMessage());
    }

    @Test
    void aRenameUnderColumnMappingNamesTheNewName() {
        SyncState synced = syncedMapped();
        List<TargetColumn> renamed = columns(mapped(mapped(new StructType().add("id", LongType.LONG), "a", 1), "c", 2));
        TidelineException e = assertThrows(TidelineException.class, () -> SchemaChanges.added("n", synced, synced.columnIds(), renamed));
        assertTrue(e.getMessage().contains("column 'b' was renamed to 'c'"), e.getMessage());
    }

    @Test
    void unchangedMappedColumnsAndNewOnesAreAdditive() {
        SyncState synced = syncedMapped();
        List<TargetColumn> more = columns(mapped(mapped(mapped(new StructType().add("id", LongType.LONG), "a", 1), "b", 2), "c", 3));
        assertEquals(List.of("c"), SchemaChanges.added("n", synced, synced.columnIds(), more).stream().map(TargetColumn::name).toList());
        // a bookkeeping row from before identities were recorded: names and types only
        assertEquals(List.of(), SchemaChanges.added("n", synced, null,
                columns(mapped(mapped(new StructType().add("id", LongType.LONG), "a", 2), "b", 1))));
    }

    @Test
    void turningColumnMappingOnKeepsEveryColumn() {
        // before: no column mapping, identity = name; after the upgrade Delta gives each column an id and its own name
        // as physical name: the same stored columns
        SyncState synced = SyncState.of("n", "public", "t", "src", 3,
                columns(new StructType().add("id", LongType.LONG).add("a", IntegerType.INTEGER)), 0, "SNAPSHOT");
        StructType upgraded = new StructType().add("id", LongType.LONG, FieldMetadata.builder()
                        .putString("delta.columnMapping.physicalName", "id").putLong("delta.columnMapping.id", 1).build())
                .add("a", IntegerType.INTEGER, FieldMetadata.builder()
                        .putString("delta.columnMapping.physicalName", "a").putLong("delta.columnMapping.id", 2).build());
        assertEquals(List.of(), SchemaChanges.added("n", synced, synced.columnIds(), columns(upgraded)));
    }

    @Test
    void aChangedNestedFieldNeedsAFullRefreshBecauseItsNameIsPartOfTheJsonbValue() {
        StructType before = new StructType().add("id", LongType.LONG).add("s", new StructType().add("x", IntegerType.INTEGER));
        SyncState synced = SyncState.of("n", "public", "t", "src", 3, columns(before), 0, "SNAPSHOT");
        // STRUCT<x> -> STRUCT<x, z>: the Postgres type stays JSONB, but every stored value lacks "z"
        StructType after = new StructType().add("id", LongType.LONG)
                .add("s", new StructType().add("x", IntegerType.INTEGER).add("z", StringType.STRING));
        TidelineException e = assertThrows(TidelineException.class, () -> SchemaChanges.added("n", synced, synced.columnIds(), columns(after)));
        assertTrue(e.getMessage().contains("fields nested in column 's'"), e.getMessage());
        assertEquals(List.of(), SchemaChanges.added("n", synced, synced.columnIds(), columns(before)));
    }
}
