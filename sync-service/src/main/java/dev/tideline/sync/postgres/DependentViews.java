package dev.tideline.sync.postgres;

import dev.tideline.core.TidelineException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Views users built on a synced table, kept working across snapshot swaps. A view points at its
 * table by OID, and the swap replaces the table with a new one, so the swap transaction drops the
 * views (dependents first), swaps, and creates them again (dependencies first) from their stored
 * definitions, with their options, owner and grants. Readers never see them missing: it all
 * commits at once.
 *
 * <p>Materialized views cannot be carried over without recomputing them, so a snapshot stops
 * with an error naming them instead. A view the new table no longer fits (a column it uses is
 * gone) is not recreated and is logged, like an index on a vanished column.
 */
final class DependentViews {

    /** One view, in the order to create it. */
    record View(String qualifiedName, String kind, String createSql, String owner, List<String> grants) {
    }

    private DependentViews() {
    }

    /**
     * The views depending on {@code quotedTable}, directly or through other views, in creation
     * order.
     *
     * @throws TidelineException NEEDS_OPERATOR naming the materialized views that depend on the table
     */
    static List<View> of(Connection c, String quotedTable, String syncedTableName) throws SQLException {
        List<View> views = new ArrayList<>();
        List<String> materialized = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                WITH RECURSIVE dependents(oid, depth) AS (
                    SELECT r.ev_class, 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
                    WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
                      AND d.refobjid = ?::regclass AND r.ev_class <> d.refobjid
                    UNION
                    SELECT r.ev_class, dependents.depth + 1 FROM dependents
                    JOIN pg_depend d ON d.refobjid = dependents.oid AND d.classid = 'pg_rewrite'::regclass
                      AND d.refclassid = 'pg_class'::regclass
                    JOIN pg_rewrite r ON r.oid = d.objid AND r.ev_class <> dependents.oid
                    WHERE dependents.depth < 100
                )
                SELECT format('%I.%I', n.nspname, cl.relname), cl.relkind::text, pg_get_viewdef(cl.oid),
                       array_to_string(cl.reloptions, ', '), quote_ident(pg_get_userbyid(cl.relowner)), cl.oid
                FROM (SELECT oid, max(depth) AS depth FROM dependents GROUP BY oid) v
                JOIN pg_class cl ON cl.oid = v.oid JOIN pg_namespace n ON n.oid = cl.relnamespace
                ORDER BY v.depth, cl.oid""")) {
            ps.setString(1, quotedTable);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String name = rs.getString(1);
                    if ("m".equals(rs.getString(2))) {
                        materialized.add(name);
                        continue;
                    }
                    String options = rs.getString(4);
                    String create = "CREATE VIEW " + name + (options == null || options.isEmpty() ? "" : " WITH (" + options + ")") + " AS "
                            + rs.getString(3);
                    views.add(new View(name, rs.getString(2), create, rs.getString(5), grants(c, rs.getLong(6), name)));
                }
            }
        }
        if (!materialized.isEmpty()) {
            throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                    "synced table " + syncedTableName + " cannot be replaced by a new snapshot: materialized view(s) " + materialized
                            + " depend on " + quotedTable,
                    "drop them (DROP MATERIALIZED VIEW " + String.join(", ", materialized) + ") and recreate them after the refresh, "
                            + "or build them on a plain view of the synced table");
        }
        return views;
    }

    private static List<String> grants(Connection c, long oid, String name) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END, a.privilege_type, a.is_grantable
                FROM pg_class cl CROSS JOIN LATERAL aclexplode(cl.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee
                WHERE cl.oid = ? AND a.grantee <> cl.relowner""")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add("GRANT " + rs.getString(2) + " ON " + name + " TO " + rs.getString(1) + (rs.getBoolean(3) ? " WITH GRANT OPTION" : ""));
                }
            }
        }
        return out;
    }

    /** Drops the views, dependents first (no CASCADE: anything else depending on them stops the swap). */
    static void drop(Connection c, List<View> views) throws SQLException {
        try (Statement s = c.createStatement()) {
            for (int i = views.size() - 1; i >= 0; i--) {
                s.execute("DROP VIEW " + views.get(i).qualifiedName());
            }
        }
    }

    /**
     * Creates the views again on the new table, each statement under a savepoint; returns what could
     * not be restored (a view that no longer fits the table, and the views built on it; an owner
     * the sync role may not hand the view to — then the sync role keeps it).
     */
    static List<String> recreate(Connection c, List<View> views) throws SQLException {
        List<String> skipped = new ArrayList<>();
        for (View view : views) {
            var savepoint = c.setSavepoint();
            try (Statement s = c.createStatement()) {
                s.execute(view.createSql());
                c.releaseSavepoint(savepoint);
            } catch (SQLException e) {
                c.rollback(savepoint);
                skipped.add(view.qualifiedName() + " (" + e.getMessage() + ")");
                continue;
            }
            // The sync role can hand a view back to its owner only as a member of that role; otherwise it keeps it.
            List<String> extras = new ArrayList<>(view.grants());
            extras.add(0, "ALTER VIEW " + view.qualifiedName() + " OWNER TO " + view.owner());
            for (String sql : extras) {
                var step = c.setSavepoint();
                try (Statement s = c.createStatement()) {
                    s.execute(sql);
                    c.releaseSavepoint(step);
                } catch (SQLException e) {
                    c.rollback(step);
                    skipped.add(sql + " (" + e.getMessage() + ")");
                }
            }
        }
        return skipped;
    }
}
