package dev.tideline.gateway.snapshot;

import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * A source table as the snapshot reads it: its shape exactly as pgoutput announces it (so that
 * snapshot rows and changes carry equal schemas), and the columns it is chunked by.
 *
 * <p>Chunks follow the replica-identity index (the primary key, or the index chosen with
 * {@code REPLICA IDENTITY USING INDEX}), in index column order, so that each chunk is one range of
 * that index (read by a bitmap heap scan, see {@code ChunkReader}). A table without such an index ({@code REPLICA IDENTITY FULL} without a key) is
 * chunked by physical block ({@code ctid}) ranges instead.
 *
 * @param schema       the table's shape (published columns in table order, replica-identity flags)
 * @param chunkColumns the chunking columns in index order; empty when chunked by ctid
 * @param chunkTypes   their SQL types ({@code format_type}), for casting boundaries back
 * @param rowFilter    the SQL condition rows must meet to be published (the publication's row
 *                     filter), or empty for every row
 */
public record SourceTable(RelationSchema schema, List<String> chunkColumns, List<String> chunkTypes, String rowFilter) {

    public SourceTable {
        chunkColumns = List.copyOf(chunkColumns);
        chunkTypes = List.copyOf(chunkTypes);
        rowFilter = rowFilter == null ? "" : rowFilter;
    }

    public TableId id() {
        return schema.table();
    }

    public boolean chunkedByCtid() {
        return chunkColumns.isEmpty();
    }

    /**
     * Reads the table's definition from the catalog.
     *
     * @throws TidelineException NEEDS_OPERATOR when the table does not exist
     */
    public static SourceTable load(Connection connection, TableId table) throws SQLException {
        return load(connection, table, null);
    }

    /**
     * Reads the table's definition from the catalog, as {@code publication} publishes it: only the
     * columns of its column list (in table order, as pgoutput sends them) and its row filter
     * (Postgres 15+). A table the publication does not list is read whole (the validator reports it).
     *
     * @param publication the publication, or {@code null} for the whole table
     * @throws TidelineException NEEDS_OPERATOR when the table does not exist
     */
    public static SourceTable load(Connection connection, TableId table, String publication) throws SQLException {
        int oid;
        char identity;
        try (PreparedStatement s = connection.prepareStatement(
                "SELECT c.oid, c.relreplident FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                        + "WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p')")) {
            s.setString(1, table.schema());
            s.setString(2, table.name());
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, "source table " + table + " does not exist",
                            "create it, or remove it from the pipeline's objects");
                }
                oid = rs.getInt(1);
                identity = rs.getString(2).charAt(0);
            }
        }
        // The replica-identity index: what pgoutput flags as key columns (all of them for FULL).
        String identityIndex = "SELECT i.indkey::int2[] AS k FROM pg_index i WHERE i.indrelid = ? AND "
                + (identity == 'i' ? "i.indisreplident" : "i.indisprimary");
        List<String> published = null;
        String rowFilter = "";
        if (publication != null && connection.getMetaData().getDatabaseMajorVersion() >= 15) {
            try (PreparedStatement s = connection.prepareStatement(
                    "SELECT attnames::text[], rowfilter FROM pg_publication_tables WHERE pubname = ? AND schemaname = ? AND tablename = ?")) {
                s.setString(1, publication);
                s.setString(2, table.schema());
                s.setString(3, table.name());
                try (ResultSet rs = s.executeQuery()) {
                    if (rs.next()) {
                        published = rs.getArray(1) == null ? null : List.of((String[]) rs.getArray(1).getArray());
                        rowFilter = rs.getString(2) == null ? "" : rs.getString(2);
                    }
                }
            }
        }
        List<ColumnSchema> columns = new ArrayList<>();
        try (PreparedStatement s = connection.prepareStatement(
                "SELECT a.attname, a.atttypid, a.atttypmod, "
                        + "(? = 'f' OR (? IN ('d', 'i') AND a.attnum = ANY (coalesce((" + identityIndex + "), '{}'::int2[])))) "
                        + "FROM pg_attribute a WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' "
                        + "ORDER BY a.attnum")) {
            s.setString(1, String.valueOf(identity));
            s.setString(2, String.valueOf(identity));
            s.setInt(3, oid);
            s.setInt(4, oid);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    if (published == null || published.contains(rs.getString(1))) {
                        columns.add(new ColumnSchema(rs.getString(1), rs.getInt(2), rs.getInt(3), rs.getBoolean(4)));
                    }
                }
            }
        }
        List<String> chunkColumns = new ArrayList<>();
        List<String> chunkTypes = new ArrayList<>();
        // Chunk by the primary key when there is one (even with FULL identity), else by the identity index.
        try (PreparedStatement s = connection.prepareStatement(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_index i "
                        + "CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
                        + "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
                        + "WHERE i.indexrelid = (SELECT j.indexrelid FROM pg_index j WHERE j.indrelid = ? "
                        + "AND (j.indisprimary OR j.indisreplident) ORDER BY j.indisprimary DESC LIMIT 1) "
                        + "ORDER BY k.ord")) {
            s.setInt(1, oid);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    chunkColumns.add(rs.getString(1));
                    chunkTypes.add(rs.getString(2));
                }
            }
        }
        return new SourceTable(new RelationSchema(oid, table, ReplicaIdentity.fromCode(identity), columns), chunkColumns, chunkTypes, rowFilter);
    }
}
