package dev.tideline.gateway.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.TableId;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithPostgres;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** Chunk sizes follow the table's row size: narrow tables get large chunks, wide ones stay bounded in memory. */
@WithPostgres
class ChunkSizeIT {

    @Test
    void rowsPerChunkIsTheByteBudgetOverTheRowSizeCappedByTheRowLimit(PostgresServer pg) throws Exception {
        try (Connection c = pg.connect(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS chunk_narrow, chunk_wide, chunk_empty");
            s.execute("CREATE TABLE chunk_narrow (id int PRIMARY KEY, v int)");
            s.execute("INSERT INTO chunk_narrow SELECT g, g FROM generate_series(1, 2000) g");
            // 10 kB of compressible text per row: small on disk, 10 kB in COPY, which is what a chunk holds.
            s.execute("CREATE TABLE chunk_wide (id int PRIMARY KEY, doc text)");
            s.execute("INSERT INTO chunk_wide SELECT g, repeat('x', 10000) FROM generate_series(1, 200) g");
            s.execute("CREATE TABLE chunk_empty (id int PRIMARY KEY)");

            long budget = 1L << 20;
            int narrow = ChunkPlanner.rowsPerChunk(c, TableId.of("public", "chunk_narrow"), 1_000_000, budget);
            int wide = ChunkPlanner.rowsPerChunk(c, TableId.of("public", "chunk_wide"), 1_000_000, budget);
            assertTrue(narrow > 50_000 && narrow < 200_000, "1 MiB of ~12-byte rows: " + narrow);
            assertTrue(wide > 90 && wide < 110, "1 MiB of ~10 kB rows: " + wide);
            assertEquals(500, ChunkPlanner.rowsPerChunk(c, TableId.of("public", "chunk_narrow"), 500, budget), "the row limit caps it");
            assertEquals(1, ChunkPlanner.rowsPerChunk(c, TableId.of("public", "chunk_wide"), 1_000_000, 100), "never below one row");
            assertEquals(1_000_000, ChunkPlanner.rowsPerChunk(c, TableId.of("public", "chunk_empty"), 1_000_000, budget));
        }
    }
}
