package dev.tideline.gateway.snapshot;

import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.value.PgTextValues;
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
 * {@code COPY (SELECT …) TO STDOUT}: COPY's text format carries each value as its type's output
 * function writes it — what pgoutput sends in its text tuples — so the rows are decoded with the
 * same {@link PgTextValues} as streamed changes and a snapshot row and a change of the same row hold
 * equal values. COPY instead of a result set because it is the cheapest way out of Postgres: no
 * per-value conversion on the server, no per-column result-set bookkeeping on the client (the
 * SELECT it replaced reached 0.17× of a plain COPY).
 */
final class ChunkReader {

    private ChunkReader() {
    }

    /** The chunk's rows; {@code connection} must be in the transaction whose snapshot the read must see. */
    static List<Row> read(Connection connection, SourceTable table, ChunkRange range) throws SQLException {
        List<ColumnSchema> columns = table.schema().columns();
        StringBuilder sql = new StringBuilder("COPY (SELECT ");
        for (int i = 0; i < columns.size(); i++) {
            sql.append(i == 0 ? "" : ", ").append(TableId.quoteIdentifier(columns.get(i).name()));
        }
        sql.append(" FROM ").append(table.id().quoted());
        // COPY takes no bind parameters: key bounds are inlined as escaped literals.
        boolean standardStrings = connection.unwrap(BaseConnection.class).getStandardConformingStrings();
        String where = table.chunkedByCtid() ? ctidCondition(range) : keyCondition(table, range, standardStrings);
        if (!where.isEmpty()) {
            sql.append(" WHERE ").append(where);
        }
        sql.append(") TO STDOUT");
        List<Row> rows = new ArrayList<>();
        CopyOut copy = connection.unwrap(PGConnection.class).getCopyAPI().copyOut(sql.toString());
        try {
            String[] texts = new String[columns.size()];
            byte[] line;
            while ((line = copy.readFromCopy()) != null) {
                CopyTextRow.split(line, texts);
                Object[] values = new Object[texts.length];
                for (int i = 0; i < values.length; i++) {
                    ColumnSchema column = columns.get(i);
                    try {
                        values[i] = texts[i] == null ? null : PgTextValues.decode(column.typeOid(), column.typeModifier(), texts[i]);
                    } catch (RuntimeException e) {
                        throw new TidelineException(TidelineException.Kind.FATAL, "cannot decode column " + column.name() + " of "
                                + table.id() + " (type oid " + column.typeOid() + "): " + e.getMessage(),
                                "this is a bug in the value decoder; report it with the column's type", e);
                    }
                }
                rows.add(Row.wrap(values));
            }
        } catch (IllegalArgumentException e) {
            throw new TidelineException(TidelineException.Kind.FATAL, "cannot split a COPY row of " + table.id() + ": " + e.getMessage(),
                    "this is a bug in the snapshot reader; report it with the table's definition", e);
        } finally {
            if (copy.isActive()) {
                copy.cancelCopy(); // an error above: leave the connection usable for the rollback
            }
        }
        return rows;
    }

    private static String keyCondition(SourceTable table, ChunkRange range, boolean standardStrings) throws SQLException {
        String columns = "(" + String.join(", ", table.chunkColumns().stream().map(TableId::quoteIdentifier).toList()) + ")";
        List<String> parts = new ArrayList<>();
        if (range.lower() != null) {
            parts.add(columns + " >= " + bound(table, range.lower(), standardStrings));
        }
        if (range.upper() != null) {
            parts.add(columns + " < " + bound(table, range.upper(), standardStrings));
        }
        return String.join(" AND ", parts);
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
