package dev.tideline.gateway.snapshot;

import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.wire.EncodedRows;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.Utils;

/**
 * Reads the rows of one chunk in the caller's transaction (its snapshot decides what is seen) with
 * {@code COPY (SELECT …) TO STDOUT (FORMAT binary)} and keeps each value in the form Postgres sent
 * it: the gateway only frames bytes ({@link CopyBinaryRows}), and the consumer's reader turns a
 * binary value into the same typed Java value the text form of a streamed change gives
 * ({@code PgBinaryValues}, {@code TypesIT} checks that they are equal). Columns of types without a
 * typed binary decoding (enums, domains, ranges, {@code xml}, …) are selected as their type's text
 * output ({@code format('%s', …)}, the output function pgoutput uses too) and travel as strings, as
 * they do in the stream. COPY instead of a result set because it is the cheapest way out of
 * Postgres; binary because the text form costs a decode per value here (it reached 0.31–0.37× of a
 * plain COPY).
 */
final class ChunkReader {

    private ChunkReader() {
    }

    /** The buffer a chunk's rows start in when nothing better is known. */
    static final int DEFAULT_BUFFER_BYTES = 1 << 16;

    /** The buffer size for the table's next chunk after one that took {@code rows}: its size with room to spare. */
    static int bufferHint(EncodedRows rows) {
        return rows.byteSize() + rows.byteSize() / 8;
    }

    /**
     * The chunk's rows in the shape of {@code table.schema()}; {@code connection} must be in the
     * transaction whose snapshot the read must see.
     *
     * @param expectedBytes the encoded size the rows are expected to take (e.g. the previous chunk's):
     *                      the buffer starts that large instead of growing by copies
     */
    static EncodedRows read(Connection connection, SourceTable table, ChunkRange range, int expectedBytes) throws SQLException {
        // COPY takes no bind parameters: key bounds are inlined as escaped literals.
        boolean standardStrings = connection.unwrap(BaseConnection.class).getStandardConformingStrings();
        String bounds = table.chunkedByCtid() ? ctidCondition(range) : keyCondition(table, range, standardStrings);
        if (!table.chunkedByCtid()) {
            // A key range read through the index visits the heap tuple by tuple (measured: 3.3x the
            // executor time of a sequential scan of the same rows); a bitmap heap scan reads the
            // range's pages in order, at 2x. SET LOCAL: it ends with the chunk's transaction.
            try (java.sql.Statement s = connection.createStatement()) {
                s.execute("SET LOCAL enable_indexscan = off");
            }
        }
        return copy(connection, table, bounds, expectedBytes);
    }

    /**
     * The rows whose chunking key is one of {@code keys} (each the key's values' text forms, in
     * {@link SourceTable#chunkColumns()} order), read like a chunk; for rows moved to a new key.
     */
    static EncodedRows readKeys(Connection connection, SourceTable table, List<List<String>> keys) throws SQLException {
        boolean standardStrings = connection.unwrap(BaseConnection.class).getStandardConformingStrings();
        List<String> tuples = new ArrayList<>(keys.size());
        for (List<String> key : keys) {
            tuples.add(bound(table, key, standardStrings));
        }
        return copy(connection, table, columnList(table) + " IN (" + String.join(", ", tuples) + ")", DEFAULT_BUFFER_BYTES);
    }

    private static EncodedRows copy(Connection connection, SourceTable table, String bounds, int expectedBytes) throws SQLException {
        List<ColumnSchema> columns = table.schema().columns();
        EncodedRows rows = new EncodedRows(table.schema(), Math.max(DEFAULT_BUFFER_BYTES, expectedBytes));
        StringBuilder sql = new StringBuilder("COPY (SELECT ");
        for (int i = 0; i < columns.size(); i++) {
            String column = TableId.quoteIdentifier(columns.get(i).name());
            sql.append(i == 0 ? "" : ", ");
            if (rows.acceptsPgBinary(i)) {
                sql.append(column);
            } else {
                // format('%s', NULL) is '', so NULL stays NULL explicitly — tested with num_nulls, not IS NULL:
                // a composite whose fields are all NULL, ROW(NULL, NULL), IS NULL in SQL but is a value ('(,)').
                sql.append("CASE WHEN num_nulls(").append(column).append(") = 1 THEN NULL ELSE format('%s', ").append(column)
                        .append(") END");
            }
        }
        sql.append(" FROM ").append(table.id().quoted());
        List<String> conditions = new ArrayList<>();
        if (!bounds.isEmpty()) {
            conditions.add(bounds);
        }
        if (!table.rowFilter().isEmpty()) {
            conditions.add("(" + table.rowFilter() + ")"); // the publication's row filter: rows the stream never maintains stay out
        }
        if (!conditions.isEmpty()) {
            sql.append(" WHERE ").append(String.join(" AND ", conditions));
        }
        sql.append(") TO STDOUT (FORMAT binary)");
        CopyBinaryRows parser = new CopyBinaryRows(rows);
        CopyOut copy = connection.unwrap(PGConnection.class).getCopyAPI().copyOut(sql.toString());
        try {
            byte[] message;
            while ((message = copy.readFromCopy()) != null) {
                parser.accept(message);
            }
        } catch (IllegalArgumentException e) {
            throw new TidelineException(TidelineException.Kind.FATAL, "cannot read the binary COPY of " + table.id() + ": " + e.getMessage(),
                    "this is a bug in the snapshot reader; report it with the table's definition", e);
        } finally {
            if (copy.isActive()) {
                copy.cancelCopy(); // an error above: leave the connection usable for the rollback
            }
        }
        return rows;
    }

    private static String keyCondition(SourceTable table, ChunkRange range, boolean standardStrings) throws SQLException {
        String columns = columnList(table);
        List<String> parts = new ArrayList<>();
        if (range.lower() != null) {
            parts.add(columns + " >= " + bound(table, range.lower(), standardStrings));
        }
        if (range.upper() != null) {
            parts.add(columns + " < " + bound(table, range.upper(), standardStrings));
        }
        return String.join(" AND ", parts);
    }

    private static String columnList(SourceTable table) {
        return "(" + String.join(", ", table.chunkColumns().stream().map(TableId::quoteIdentifier).toList()) + ")";
    }

    private static String bound(SourceTable table, List<String> values, boolean standardStrings) throws SQLException {
        List<String> casts = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            StringBuilder literal = new StringBuilder(standardStrings ? "'" : "E'");
            Utils.escapeLiteral(literal, values.get(i), standardStrings).append('\'');
            casts.add("CAST(CAST(" + literal + " AS text) AS " + table.chunkTypes().get(i) + ")");
        }
        return "(" + String.join(", ", casts) + ")";
    }

    private static String ctidCondition(ChunkRange range) {
        List<String> parts = new ArrayList<>();
        if (range.lower() != null) {
            parts.add("ctid >= '(" + Long.parseLong(range.lower().get(0)) + ",0)'::tid");
        }
        if (range.upper() != null) {
            parts.add("ctid < '(" + Long.parseLong(range.upper().get(0)) + ",0)'::tid");
        }
        return String.join(" AND ", parts);
    }
}
