package dev.tideline.gateway.snapshot;

import dev.tideline.core.TableId;
import dev.tideline.core.wire.BatchLimits;
import java.sql.Connection;
import java.sql.SQLException;

/** For the benchmark's stage timings: the snapshot's reading and framing work alone, on one connection. */
public final class ChunkReaderProbe {

    private ChunkReaderProbe() {
    }

    /** Reads the whole table as one chunk into encoded rows and frames them as SNAPSHOT messages; returns {rows, seconds reading, seconds framing, messages, bytes}. */
    public static double[] readAndFrame(Connection connection, TableId table) throws SQLException {
        SourceTable source = SourceTable.load(connection, table);
        long start = System.nanoTime();
        var rows = ChunkReader.read(connection, source, ChunkRange.all(), 0);
        long read = System.nanoTime();
        int messages = SnapshotBatches.encode("probe", BatchLimits.DEFAULT, "probe", dev.tideline.core.Lsn.of(1), 0, rows).size();
        long framed = System.nanoTime();
        return new double[] {rows.size(), (read - start) / 1e9, (framed - read) / 1e9, messages, rows.byteSize()};
    }
}
