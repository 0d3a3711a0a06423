package dev.tideline.sync.postgres;

import dev.tideline.core.TableId;
import dev.tideline.sync.types.TargetColumn;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.stream.Collectors;

/** DDL fragments and catalog look-ups for synced tables; every identifier quoted. */
public final class TableDdl {

    private TableDdl() {
    }

    static String columnDefinitions(List<TargetColumn> columns) {
        return columnDefinitions(columns, List.of());
    }

    /** Column definitions, {@code NOT NULL} on the columns named in {@code notNull}. */
    static String columnDefinitions(List<TargetColumn> columns, List<String> notNull) {
        return columns.stream().map(c -> TableId.quoteIdentifier(c.name()) + " " + c.postgresType() + (notNull.contains(c.name()) ? " NOT NULL" : ""))
                .collect(Collectors.joining(", "));
    }

    static String columnList(List<String> names) {
        return names.stream().map(TableId::quoteIdentifier).collect(Collectors.joining(", "));
    }

    /** Whether a relation (table, view, index, …) named {@code schema.table} exists. */
    public static boolean exists(Connection c, String schema, String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT 1 FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE n.nspname = ? AND cl.relname = ?")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    public static boolean schemaExists(Connection c, String schema) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_namespace WHERE nspname = ?")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Whether the target database has Tideline's bookkeeping table yet. */
    public static boolean bookkeepingExists(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass('tideline.synced_tables') IS NOT NULL");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** Cuts a name to Postgres' 63-byte identifier limit, as the server itself would (but without its notice). */
    static String truncate(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= 63) {
            return name;
        }
        return new String(bytes, 0, 63, StandardCharsets.UTF_8).replace("\uFFFD", "");
    }
}
