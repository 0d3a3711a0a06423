package dev.tideline.api.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.TidelineException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Reading schema and version from hand-written Delta logs. */
class DeltaLogReaderTest {

    @TempDir
    Path warehouse;

    @Test
    void noLogMeansNoTable() {
        assertTrue(DeltaLogReader.read(warehouse.resolve("main/public/none")).isEmpty());
    }

    @Test
    void readsColumnsTypesAndTheLatestVersion() {
        DeltaLogFixture fixture = DeltaLogFixture.at(warehouse, "main", "public", "playing_with_neon")
                .column("id", "integer", false).column("name", "string", false).column("value", "float", true)
                .column("amount", "decimal(10,2)", true).column("seen", "timestamp_ntz", true)
                .column("tags", "{\"type\":\"array\",\"elementType\":\"string\",\"containsNull\":true}")
                .column("attrs", "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"long\",\"valueContainsNull\":true}")
                .column("point", "{\"type\":\"struct\",\"fields\":[{\"name\":\"x\",\"type\":\"double\",\"nullable\":true,\"metadata\":{}}]}")
                .commitMetadata().commitData().commitData();

        DeltaTableSnapshot snapshot = DeltaLogReader.read(fixture.root()).orElseThrow();

        assertEquals(2, snapshot.version());
        assertEquals(1_700_000_002_000L, snapshot.lastCommitMillis());
        List<DeltaColumn> columns = snapshot.columns();
        assertEquals(List.of("id", "name", "value", "amount", "seen", "tags", "attrs", "point"), columns.stream().map(DeltaColumn::name).toList());
        assertEquals("INT", columns.get(0).typeName());
        assertEquals("int", columns.get(0).typeText());
        assertEquals(false, columns.get(0).nullable());
        assertEquals("STRING", columns.get(1).typeName());
        assertEquals("DECIMAL", columns.get(3).typeName());
        assertEquals(10, columns.get(3).typePrecision());
        assertEquals(2, columns.get(3).typeScale());
        assertEquals("TIMESTAMP_NTZ", columns.get(4).typeName());
        assertEquals("array<string>", columns.get(5).typeText());
        assertEquals("map<string,bigint>", columns.get(6).typeText());
        assertEquals("struct<x:double>", columns.get(7).typeText());
        assertEquals("STRUCT", columns.get(7).typeName());
        assertNull(columns.get(0).typePrecision());
        assertTrue(snapshot.location().startsWith("file:"));
        assertEquals("false", snapshot.configuration().get("delta.enableChangeDataFeed"));
    }

    @Test
    void aLaterSchemaChangeWins() {
        DeltaLogFixture fixture = DeltaLogFixture.at(warehouse, "main", "public", "evolving").column("id", "long", false).commitMetadata()
                .commitData().column("added", "string", true).commitMetadata().commitData();

        DeltaTableSnapshot snapshot = DeltaLogReader.read(fixture.root()).orElseThrow();

        assertEquals(3, snapshot.version());
        assertEquals(List.of("id", "added"), snapshot.columns().stream().map(DeltaColumn::name).toList());
        assertEquals("LONG", snapshot.columns().get(0).typeName());
        assertEquals("bigint", snapshot.columns().get(0).typeText());
    }

    @Test
    void unsupportedTypesAreNamedAsUnityCatalogNamesThem() {
        DeltaLogFixture fixture = DeltaLogFixture.at(warehouse, "main", "public", "odd").column("id", "long", false)
                .column("v", "variant", true).column("g", "geography(4326)", true).column("m", "geometry(OGC:CRS84)", true).commitMetadata();

        List<DeltaColumn> columns = DeltaLogReader.read(fixture.root()).orElseThrow().columns();

        assertEquals(List.of("LONG", "VARIANT", "GEOGRAPHY", "GEOMETRY"), columns.stream().map(DeltaColumn::typeName).toList());
    }

    @Test
    void metadataOnlyInACheckpointIsReportedNotGuessed() throws Exception {
        DeltaLogFixture fixture = DeltaLogFixture.at(warehouse, "main", "public", "cleaned").column("id", "long", false).commitMetadata()
                .commitData().commitData();
        Path log = fixture.root().resolve("_delta_log");
        Files.writeString(log.resolve(String.format("%020d.checkpoint.parquet", 1)), "not really parquet");
        Files.delete(log.resolve(String.format("%020d.json", 0)));
        Files.delete(log.resolve(String.format("%020d.json", 1)));

        TidelineException e = assertThrows(TidelineException.class, () -> DeltaLogReader.read(fixture.root()));

        assertTrue(e.getMessage().contains("checkpoint"), e.getMessage());
        assertEquals(TidelineException.Kind.NEEDS_OPERATOR, e.kind());
    }

    @Test
    void aCheckpointNewerThanTheCommitsSetsTheVersion() throws Exception {
        DeltaLogFixture fixture = DeltaLogFixture.at(warehouse, "main", "public", "cp").column("id", "long", false).commitMetadata().commitData();
        Files.writeString(fixture.root().resolve("_delta_log").resolve(String.format("%020d.checkpoint.parquet", 1)), "x");

        assertEquals(1, DeltaLogReader.read(fixture.root()).orElseThrow().version());
    }

    @Test
    void aLaterReadReadsOnlyTheCommitsAfterTheVersionReadLastTime() throws Exception {
        DeltaLogFixture fixture = DeltaLogFixture.at(warehouse, "main", "public", "steady").column("id", "long", false).commitMetadata()
                .commitData().commitData();
        assertEquals(2, DeltaLogReader.read(fixture.root()).orElseThrow().version());
        // Were the old commits read again, the metadata (in commit 0) would now be missing.
        Path log = fixture.root().resolve("_delta_log");
        Files.delete(log.resolve(String.format("%020d.json", 0)));
        Files.delete(log.resolve(String.format("%020d.json", 1)));
        fixture.commitData();

        DeltaTableSnapshot later = DeltaLogReader.read(fixture.root()).orElseThrow();

        assertEquals(3, later.version());
        assertEquals(List.of("id"), later.columns().stream().map(DeltaColumn::name).toList());
        fixture.column("added", "string", true).commitMetadata();
        assertEquals(List.of("id", "added"), DeltaLogReader.read(fixture.root()).orElseThrow().columns().stream().map(DeltaColumn::name).toList(),
                "a schema change after the version read last time is seen");
    }
}
