package dev.tideline.gateway.snapshot;

import dev.tideline.core.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a table into chunks of about {@code rowsPerChunk} rows that can be read in parallel and
 * independently of each other.
 *
 * <p>By a single integer key: evenly spaced between min and max (see {@link #byIntegerRange}). By
 * any other key: boundaries are every {@code rowsPerChunk}-th key in index order (one index-only
 * pass), so chunks hold equal row counts whatever the key distribution. By ctid: block ranges sized from
 * the table's rows-per-block estimate, the last one open-ended.
 */
final class ChunkPlanner {

    private ChunkPlanner() {
    }

    /** Chunks of {@link RowEstimate#rowsPerChunk(int, long, int)} rows. */
    static List<ChunkRange> plan(Connection connection, SourceTable table, SnapshotSettings settings) throws SQLException {
        return plan(connection, table, estimate(connection, table.id()).rowsPerChunk(settings.rowsPerChunk(), settings.chunkBytes(),
                settings.parallelism()));
    }

    /**
     * {@code min(maxRows, chunkBytes / average row size)}: see {@link RowEstimate#rowsPerChunk}.
     */
    static int rowsPerChunk(Connection connection, TableId table, int maxRows, long chunkBytes) throws SQLException {
        return estimate(connection, table).rowsPerChunk(maxRows, chunkBytes);
    }

    /**
     * What planning knows of a table's rows before reading them.
     *
     * @param rowBytes the average text length of the table's first 1,000 rows: close to what COPY moves (a
     *                 compressed or TOASTed value counts at its full size, unlike on disk), needs no statistics,
     *                 and reads a few pages; 0 for an empty table
     * @param rows     the planner's row estimate ({@code reltuples}); 0 or less when the table was never analyzed
     */
    record RowEstimate(double rowBytes, double rows) {

        /** Encoded rows take up to this many times their text length (narrow numeric rows; wide text rows about 1×). */
        static final double ENCODED_PER_TEXT_BYTE = 1.5;

        /** {@code min(maxRows, chunkBytes / rowBytes)}, at least 1; {@code maxRows} for an empty table. */
        int rowsPerChunk(int maxRows, long chunkBytes) {
            if (rowBytes <= 0) {
                return maxRows;
            }
            return (int) Math.max(1, Math.min(maxRows, (long) (chunkBytes / rowBytes)));
        }

        /**
         * {@link #rowsPerChunk(int, long)}, lowered so that a table of more than one chunk has a
         * multiple of {@code parallelism} chunks (by the row estimate). Otherwise the last round of
         * reads leaves readers idle: 3 chunks on 2 readers put two thirds of the table on one reader,
         * while 4 put half on each, and the first round's chunks are published while the second round
         * is read. Chunks only get smaller, so the memory bound holds; one chunk stays one chunk.
         */
        int rowsPerChunk(int maxRows, long chunkBytes, int parallelism) {
            int perChunk = rowsPerChunk(maxRows, chunkBytes);
            if (parallelism <= 1 || rows <= perChunk) {
                return perChunk;
            }
            long chunks = (long) Math.ceil(rows / perChunk);
            long even = (chunks + parallelism - 1) / parallelism * parallelism;
            return (int) Math.max(1, Math.min(perChunk, (long) Math.ceil(rows / even)));
        }

        /**
         * The buffer a chunk read of this table starts with: the encoded size of a chunk of
         * {@code min(rowsPerChunk, rows)} rows. A buffer grown by doubling from a small start copies the
         * chunk about twice and allocates twice its size (a third of a reader's CPU on 1M-row chunks,
         * JFR); this one is at most {@code 1.5 × chunk-bytes} and, for a small table, its size. 0 when
         * nothing is known (never analyzed, empty): the reader's default then.
         */
        int chunkBufferBytes(int rowsPerChunk) {
            if (rowBytes <= 0 || rows <= 0) {
                return 0;
            }
            double bytes = ENCODED_PER_TEXT_BYTE * rowBytes * Math.min(rowsPerChunk, rows);
            return (int) Math.min(1 << 30, bytes);
        }
    }

    /** The table's {@link RowEstimate}: one query, reading its first 1,000 rows. */
    static RowEstimate estimate(Connection connection, TableId table) throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT (SELECT avg(octet_length(t::text)) FROM (SELECT * FROM " + table.quoted() + " LIMIT 1000) t), "
                        + "(SELECT reltuples FROM pg_class WHERE oid = '" + table.quoted().replace("'", "''") + "'::regclass)")) {
            rs.next();
            double rowBytes = rs.getDouble(1);
            double rows = rs.getDouble(2);
            return new RowEstimate(Double.isNaN(rowBytes) ? 0 : rowBytes, rows);
        }
    }

    static List<ChunkRange> plan(Connection connection, SourceTable table, int rowsPerChunk) throws SQLException {
        if (table.chunkedByCtid()) {
            return byBlocks(connection, table.id(), rowsPerChunk);
        }
        List<ChunkRange> integer = byIntegerRange(connection, table, rowsPerChunk);
        return integer != null ? integer : byKey(connection, table, rowsPerChunk);
    }

    /**
     * For a single integer key, boundaries spaced evenly between its min and max, as many as the
     * planner's row estimate asks for: two index probes instead of a pass over the index. Chunks are
     * even when keys are dense; sparse or skewed keys only make some chunks smaller. Null when the
     * key is not a single integer or the table was never analyzed.
     */
    private static List<ChunkRange> byIntegerRange(Connection connection, SourceTable table, int rowsPerChunk) throws SQLException {
        if (table.chunkColumns().size() != 1 || !List.of("smallint", "integer", "bigint").contains(table.chunkTypes().get(0))) {
            return null;
        }
        String key = TableId.quoteIdentifier(table.chunkColumns().get(0));
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SELECT min(" + key + "), max(" + key + "), "
                + "(SELECT reltuples FROM pg_class WHERE oid = '" + table.id().quoted().replace("'", "''") + "'::regclass) FROM "
                + table.id().quoted())) {
            rs.next();
            double estimate = rs.getDouble(3);
            if (rs.getObject(1) == null || estimate < 0) {
                return rs.getObject(1) == null ? ranges(List.of()) : null;
            }
            long min = rs.getLong(1);
            long max = rs.getLong(2);
            long chunks = Math.max(1, (long) Math.ceil(estimate / rowsPerChunk));
            java.math.BigInteger span = java.math.BigInteger.valueOf(max).subtract(java.math.BigInteger.valueOf(min)).add(java.math.BigInteger.ONE);
            long step = span.divide(java.math.BigInteger.valueOf(chunks)).max(java.math.BigInteger.ONE).min(java.math.BigInteger.valueOf(Long.MAX_VALUE))
                    .longValue();
            List<List<String>> bounds = new ArrayList<>();
            for (long i = 1; i < chunks; i++) {
                long bound = min + i * step;
                if (bound > max || bound < min) {
                    break;
                }
                bounds.add(List.of(Long.toString(bound)));
            }
            return ranges(bounds);
        }
    }

    private static List<ChunkRange> byKey(Connection connection, SourceTable table, int rowsPerChunk) throws SQLException {
        List<String> quoted = table.chunkColumns().stream().map(TableId::quoteIdentifier).toList();
        String inner = String.join(", ", quoted);
        String outer = String.join(", ", quoted.stream().map(c -> "s." + c + "::text").toList());
        String order = String.join(", ", quoted.stream().map(c -> "s." + c).toList());
        String sql = "SELECT " + outer + " FROM (SELECT " + inner + ", row_number() OVER (ORDER BY " + inner + ") AS tideline_rn FROM "
                + table.id().quoted() + ") s WHERE s.tideline_rn % ? = 1 AND s.tideline_rn > 1 ORDER BY " + order;
        List<List<String>> bounds = new ArrayList<>();
        try (PreparedStatement s = connection.prepareStatement(sql)) {
            s.setLong(1, rowsPerChunk);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    List<String> bound = new ArrayList<>();
                    for (int i = 1; i <= quoted.size(); i++) {
                        bound.add(rs.getString(i));
                    }
                    bounds.add(bound);
                }
            }
        }
        return ranges(bounds);
    }

    private static List<ChunkRange> byBlocks(Connection connection, TableId table, int rowsPerChunk) throws SQLException {
        long blocks;
        double rowsPerBlock;
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT pg_relation_size(c.oid) / current_setting('block_size')::bigint, c.reltuples, c.relpages FROM pg_class c "
                        + "WHERE c.oid = '" + table.quoted().replace("'", "''") + "'::regclass")) {
            rs.next();
            blocks = rs.getLong(1);
            rowsPerBlock = rs.getDouble(2) > 0 && rs.getLong(3) > 0 ? rs.getDouble(2) / rs.getLong(3) : 50;
        }
        long blocksPerChunk = Math.max(1, (long) (rowsPerChunk / Math.max(1, rowsPerBlock)));
        List<List<String>> bounds = new ArrayList<>();
        for (long b = blocksPerChunk; b < blocks; b += blocksPerChunk) {
            bounds.add(List.of(Long.toString(b)));
        }
        return ranges(bounds);
    }

    private static List<ChunkRange> ranges(List<List<String>> bounds) {
        List<ChunkRange> chunks = new ArrayList<>();
        List<String> lower = null;
        for (List<String> bound : bounds) {
            chunks.add(new ChunkRange(lower, bound));
            lower = bound;
        }
        chunks.add(new ChunkRange(lower, null));
        return chunks;
    }
}
