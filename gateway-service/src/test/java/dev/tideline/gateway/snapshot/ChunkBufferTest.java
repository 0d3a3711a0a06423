package dev.tideline.gateway.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What bounds a snapshot's memory: the first buffer of a chunk read, and the chunks held at once. */
class ChunkBufferTest {

    @Test
    void aChunkBufferStartsAtTheEncodedSizeOfAChunkOrOfASmallerTable() {
        ChunkPlanner.RowEstimate narrow = new ChunkPlanner.RowEstimate(30, 2_000_000);
        int rows = narrow.rowsPerChunk(1_000_000, 32L << 20);
        assertEquals(1_000_000, rows, "32 MiB of 30-byte rows is more than the row limit");
        assertEquals(45_000_000, narrow.chunkBufferBytes(rows), "1.5 x the text size of a chunk");
        assertEquals(4_500, new ChunkPlanner.RowEstimate(30, 100).chunkBufferBytes(rows), "a small table: its own size");
    }

    @Test
    void aChunkBufferIsNeverMoreThanOneAndAHalfChunkBytes() {
        ChunkPlanner.RowEstimate wide = new ChunkPlanner.RowEstimate(10_000, 1e9);
        int rows = wide.rowsPerChunk(1_000_000, 32L << 20);
        assertEquals(3_355, rows);
        assertEquals((int) (1.5 * 10_000 * 3_355), wide.chunkBufferBytes(rows));
    }

    @Test
    void aTableOfSeveralChunksHasAMultipleOfTheReadersInChunks() {
        ChunkPlanner.RowEstimate table = new ChunkPlanner.RowEstimate(20, 2_000_001);
        assertEquals(1_000_000, table.rowsPerChunk(1_000_000, 32L << 20), "3 chunks by size and row limit alone");
        assertEquals(500_001, table.rowsPerChunk(1_000_000, 32L << 20, 2), "4 chunks for 2 readers");
        assertEquals(666_667, table.rowsPerChunk(1_000_000, 32L << 20, 3), "3 chunks for 3 readers: unchanged count");
        assertEquals(1_000_000, new ChunkPlanner.RowEstimate(20, 2_000_000).rowsPerChunk(1_000_000, 32L << 20, 2), "2 chunks: already even");
        assertEquals(1_000_000, new ChunkPlanner.RowEstimate(20, 900_000).rowsPerChunk(1_000_000, 32L << 20, 4), "one chunk stays one");
        assertEquals(1_000_000, new ChunkPlanner.RowEstimate(20, -1).rowsPerChunk(1_000_000, 32L << 20, 4), "never analyzed");
        assertEquals(1_000_000, new ChunkPlanner.RowEstimate(0, 0).rowsPerChunk(1_000_000, 32L << 20, 4), "empty");
    }

    @Test
    void nothingKnownMeansTheReadersDefault() {
        assertEquals(0, new ChunkPlanner.RowEstimate(30, -1).chunkBufferBytes(1000), "never analyzed");
        assertEquals(0, new ChunkPlanner.RowEstimate(0, 0).chunkBufferBytes(1000), "empty");
        assertEquals(1_000_000, new ChunkPlanner.RowEstimate(0, 0).rowsPerChunk(1_000_000, 32L << 20));
    }

    @Test
    void theGatewayHoldsOneChunkPerReaderAndOneMoreWhateverTheTables() {
        SnapshotSettings settings = new SnapshotSettings(1_000_000, 4, Duration.ofMinutes(5), 10, Duration.ofSeconds(10));
        assertEquals(5, TableSnapshots.heldChunksFor(settings));
    }
}
