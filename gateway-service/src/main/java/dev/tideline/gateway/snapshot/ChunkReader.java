package dev.tideline.gateway.snapshot;

import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.value.PgTextValues;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the rows of one chunk in the caller's transaction (its snapshot decides what is seen).
 * Values are selected as their types' text output and decoded with the same {@link PgTextValues} as pgoutput's text
 * tuples, so a snapshot row and a change of the same row hold equal values.
 */
final class ChunkReader {

    private static final int FETCH_SIZE = 2_000;

    private ChunkReader() {
    }

    /** The chunk's rows; {@code connection} must not be in auto-commit (rows are fetched in pages). */
    static List<Row> read(Connection connection, SourceTable table, ChunkRange range) throws SQLException {
        List<ColumnSchema> columns = table.schema().columns();
        StringBuilder sql = new StringBuilder("SELECT ");
        for (int i = 0; i < columns.size(); i++) {
            // The type's output function, as pgoutput sends values: a cast to text is not always that
            // (bpchar::text trims the padding, inet::text adds the mask).
            String column = TableId.quoteIdentifier(columns.get(i).name());
            sql.append(i == 0 ? "" : ", ").append("CASE WHEN ").append(column).append(" IS NULL THEN NULL ELSE format('%s', ")
                    .append(column).append(") END");
        }
        sql.append(" FROM ").append(table.id().quoted());
        List<String> params = new ArrayList<>();
        String where = table.chunkedByCtid() ? ctidCondition(range) : keyCondition(table, range, params);
        if (!where.isEmpty()) {
            sql.append(" WHERE ").append(where);
        }
        List<Row> rows = new ArrayList<>();
        try (PreparedStatement s = connection.prepareStatement(sql.toString())) {
            s.setFetchSize(FETCH_SIZE);
            for (int i = 0; i < params.size(); i++) {
                s.setString(i + 1, params.get(i));
            }
            try (ResultSet rs = s.executeQuery()) {
                Object[] values = new Object[columns.size()];
                while (rs.next()) {
                    values = new Object[columns.size()];
                    for (int i = 0; i < values.length; i++) {
                        String text = rs.getString(i + 1);
                        ColumnSchema column = columns.get(i);
                        try {
                            values[i] = text == null ? null : PgTextValues.decode(column.typeOid(), column.typeModifier(), text);
                        } catch (RuntimeException e) {
                            throw new TidelineException(TidelineException.Kind.FATAL, "cannot decode column " + column.name() + " of "
                                    + table.id() + " (type oid " + column.typeOid() + "): " + e.getMessage(),
                                    "this is a bug in the value decoder; report it with the column's type", e);
                        }
                    }
                    rows.add(Row.wrap(values));
                }
            }
        }
        return rows;
    }

    private static String keyCondition(SourceTable table, ChunkRange range, List<String> params) {
        String columns = "(" + String.join(", ", table.chunkColumns().stream().map(TableId::quoteIdentifier).toList()) + ")";
        List<String> parts = new ArrayList<>();
        if (range.lower() != null) {
            parts.add(columns + " >= " + bound(table, range.lower(), params));
        }
        if (range.upper() != null) {
            parts.add(columns + " < " + bound(table, range.upper(), params));
        }
        return String.join(" AND ", parts);
    }

    private static String bound(SourceTable table, List<String> values, List<String> params) {
        List<String> casts = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            params.add(values.get(i));
            casts.add("CAST(CAST(? AS text) AS " + table.chunkTypes().get(i) + ")");
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
