package dev.tideline.gateway.source.postgres;

import static dev.tideline.core.TableId.quoteIdentifier;

import dev.tideline.core.TableId;
import dev.tideline.gateway.source.postgres.SourceProblem.Check;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks a source database against everything logical replication into Tideline needs, before the
 * gateway touches anything: {@code wal_level}, the role's REPLICATION and SELECT privileges, free WAL
 * senders and slots, the publication and what it covers, each table's replica identity, and the
 * slot (plugin, database, whether another consumer holds it, whether Postgres invalidated it).
 *
 * <p>Every problem is reported — not just the first — each with the SQL that fixes it, so an
 * operator can fix a new source in one round. The checks only read catalogs and settings; they
 * change nothing.
 */
public final class PostgresSourceValidator {

    /**
     * @param connection an ordinary (non-replication) connection to the source database, as the
     *                   pipeline's role
     * @return the problems found, in check order; empty when the source is ready
     * @throws SQLException when the catalogs cannot be read at all (connection lost)
     */
    public List<SourceProblem> validate(Connection connection, SourceRequirements requirements) throws SQLException {
        List<SourceProblem> problems = new ArrayList<>();
        String role = queryString(connection, "SELECT current_user");
        checkWalLevel(connection, problems);
        checkReplicationPrivilege(connection, role, problems);
        SlotState slot = readSlot(connection, requirements.slot());
        checkCapacity(connection, slot == null && requirements.createSlot(), problems);
        boolean publicationExists = checkPublication(connection, requirements, problems);
        for (TableId table : requirements.tables()) {
            checkTable(connection, table, role, requirements, publicationExists, problems);
        }
        checkSlot(connection, requirements, slot, problems);
        return problems;
    }

    private static void checkWalLevel(Connection connection, List<SourceProblem> problems) throws SQLException {
        String walLevel = queryString(connection, "SHOW wal_level");
        if (!"logical".equals(walLevel)) {
            problems.add(new SourceProblem(Check.WAL_LEVEL,
                    "wal_level is '" + walLevel + "', but logical replication needs 'logical'.",
                    "ALTER SYSTEM SET wal_level = 'logical'; then restart Postgres "
                            + "(on Neon: Project settings → Beta → Enable logical replication)."));
        }
    }

    private static void checkReplicationPrivilege(Connection connection, String role, List<SourceProblem> problems) throws SQLException {
        // The REPLICATION attribute is not inherited through role membership; AWS RDS grants it
        // through membership in rds_replication instead.
        boolean allowed = queryBoolean(connection, """
                SELECT r.rolsuper OR r.rolreplication
                       OR EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname = 'rds_replication'
                                  AND pg_has_role(r.oid, g.oid, 'MEMBER'))
                FROM pg_roles r WHERE r.rolname = current_user""");
        if (!allowed) {
            problems.add(new SourceProblem(Check.REPLICATION_PRIVILEGE,
                    "Role " + quoteIdentifier(role) + " lacks the REPLICATION privilege needed to stream a replication slot.",
                    "ALTER ROLE " + quoteIdentifier(role) + " WITH REPLICATION;"));
        }
    }

    private static void checkCapacity(Connection connection, boolean needsNewSlot, List<SourceProblem> problems) throws SQLException {
        int maxSenders = Integer.parseInt(queryString(connection, "SHOW max_wal_senders"));
        int senders = Integer.parseInt(queryString(connection,
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender'"));
        if (senders >= maxSenders) {
            problems.add(new SourceProblem(Check.WAL_SENDERS,
                    "All " + maxSenders + " WAL senders (max_wal_senders) are in use; the gateway needs one more.",
                    "ALTER SYSTEM SET max_wal_senders = " + (maxSenders + 5) + "; then restart Postgres "
                            + "(or stop an unused replication consumer)."));
        }
        if (needsNewSlot) {
            int maxSlots = Integer.parseInt(queryString(connection, "SHOW max_replication_slots"));
            int slots = Integer.parseInt(queryString(connection, "SELECT count(*) FROM pg_replication_slots"));
            if (slots >= maxSlots) {
                problems.add(new SourceProblem(Check.REPLICATION_SLOTS,
                        "All " + maxSlots + " replication slots (max_replication_slots) are taken; the gateway needs to create one.",
                        "ALTER SYSTEM SET max_replication_slots = " + (maxSlots + 5) + "; then restart Postgres "
                                + "(or drop an unused slot: SELECT pg_drop_replication_slot('<name>');)."));
            }
        }
    }

    /** @return whether the publication exists */
    private static boolean checkPublication(Connection connection, SourceRequirements requirements, List<SourceProblem> problems) throws SQLException {
        String publication = requirements.publication();
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT pubinsert, pubupdate, pubdelete, pubtruncate FROM pg_publication WHERE pubname = ?")) {
            statement.setString(1, publication);
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    if (!requirements.createPublication()) {
                        problems.add(new SourceProblem(Check.PUBLICATION_MISSING,
                                "Publication " + quoteIdentifier(publication) + " does not exist.",
                                "CREATE PUBLICATION " + quoteIdentifier(publication) + " FOR TABLE "
                                        + tableList(requirements.tables()) + "; (create it before the slot)"));
                    }
                    return false;
                }
                List<String> missing = new ArrayList<>();
                if (!rs.getBoolean(1)) missing.add("insert");
                if (!rs.getBoolean(2)) missing.add("update");
                if (!rs.getBoolean(3)) missing.add("delete");
                if (!rs.getBoolean(4)) missing.add("truncate");
                if (!missing.isEmpty()) {
                    problems.add(new SourceProblem(Check.PUBLICATION_OPERATIONS,
                            "Publication " + quoteIdentifier(publication) + " does not publish " + String.join(", ", missing)
                                    + ", so the Delta tables would drift from the source.",
                            "ALTER PUBLICATION " + quoteIdentifier(publication)
                                    + " SET (publish = 'insert, update, delete, truncate');"));
                }
                return true;
            }
        }
    }

    private static void checkTable(Connection connection, TableId table, String role, SourceRequirements requirements,
                                   boolean publicationExists, List<SourceProblem> problems) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("""
                SELECT c.relreplident,
                       has_table_privilege(c.oid, 'SELECT'),
                       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary),
                       EXISTS (SELECT 1 FROM pg_publication_tables p
                               WHERE p.pubname = ? AND p.schemaname = n.nspname AND p.tablename = c.relname),
                       c.relkind = 'p' AND EXISTS (SELECT 1 FROM pg_publication_tables p
                               JOIN pg_class l ON l.relname = p.tablename JOIN pg_namespace ln ON ln.oid = l.relnamespace AND ln.nspname = p.schemaname
                               WHERE p.pubname = ? AND l.oid IN (SELECT relid FROM pg_partition_tree(c.oid)))
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p')""")) {
            statement.setString(1, requirements.publication());
            statement.setString(2, requirements.publication());
            statement.setString(3, table.schema());
            statement.setString(4, table.name());
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    problems.add(new SourceProblem(Check.TABLE_MISSING,
                            "Table " + table.quoted() + " does not exist (names are case-sensitive).",
                            "Create the table, or correct source_schema / source_table in the pipeline's objects."));
                    return;
                }
                char identity = rs.getString(1).charAt(0);
                boolean readable = rs.getBoolean(2);
                boolean hasPrimaryKey = rs.getBoolean(3);
                boolean published = rs.getBoolean(4);
                if (!readable) {
                    problems.add(new SourceProblem(Check.TABLE_NOT_READABLE,
                            "Role " + quoteIdentifier(role) + " cannot SELECT from " + table.quoted() + ", which the initial snapshot needs.",
                            "GRANT USAGE ON SCHEMA " + quoteIdentifier(table.schema()) + " TO " + quoteIdentifier(role)
                                    + "; GRANT SELECT ON " + table.quoted() + " TO " + quoteIdentifier(role) + ";"));
                }
                boolean partitionsPublished = rs.getBoolean(5);
                if (publicationExists && !published && partitionsPublished) {
                    problems.add(new SourceProblem(Check.PARTITIONS_NOT_VIA_ROOT,
                            "Publication " + quoteIdentifier(requirements.publication()) + " publishes the partitions of " + table.quoted()
                                    + " under their own names, so no change arrives under " + table.quoted() + ".",
                            "ALTER PUBLICATION " + quoteIdentifier(requirements.publication()) + " SET (publish_via_partition_root = true); "
                                    + "(or capture each partition as its own table)"));
                } else if (publicationExists && !published) {
                    problems.add(new SourceProblem(Check.TABLE_NOT_PUBLISHED,
                            "Publication " + quoteIdentifier(requirements.publication()) + " does not include " + table.quoted() + ".",
                            "ALTER PUBLICATION " + quoteIdentifier(requirements.publication()) + " ADD TABLE " + table.quoted() + ";"));
                }
                if (publicationExists && published) {
                    checkPublishedKey(connection, table, requirements.publication(), problems);
                }
                if (identity == 'n' || (identity == 'd' && !hasPrimaryKey)) {
                    problems.add(new SourceProblem(Check.TABLE_WITHOUT_IDENTITY,
                            "Table " + table.quoted() + (identity == 'n' ? " has REPLICA IDENTITY NOTHING" : " has no primary key")
                                    + ", so its updates and deletes cannot be replicated.",
                            "ALTER TABLE " + table.quoted() + " REPLICA IDENTITY FULL; (or add a primary key)"));
                }
            }
        }
    }

    /**
     * A column list (Postgres 15+) must include the replica-identity columns: Postgres refuses the
     * table's updates and deletes otherwise, and a consumer could not key its rows.
     */
    private static void checkPublishedKey(Connection connection, TableId table, String publication, List<SourceProblem> problems)
            throws SQLException {
        if (connection.getMetaData().getDatabaseMajorVersion() < 15) {
            return;
        }
        try (PreparedStatement statement = connection.prepareStatement("""
                SELECT p.attnames::text[],
                       ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                             AND (c.relreplident = 'f' OR a.attnum = ANY (coalesce((SELECT i.indkey::int2[] FROM pg_index i
                                  WHERE i.indrelid = c.oid AND CASE WHEN c.relreplident = 'i' THEN i.indisreplident ELSE i.indisprimary END
                                  LIMIT 1), '{}'::int2[]))) ORDER BY a.attnum)
                FROM pg_publication_tables p JOIN pg_namespace n ON n.nspname = p.schemaname
                JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename
                WHERE p.pubname = ? AND p.schemaname = ? AND p.tablename = ?""")) {
            statement.setString(1, publication);
            statement.setString(2, table.schema());
            statement.setString(3, table.name());
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next() || rs.getArray(1) == null) {
                    return;
                }
                List<String> published = List.of((String[]) rs.getArray(1).getArray());
                List<String> key = List.of((String[]) rs.getArray(2).getArray());
                List<String> missing = key.stream().filter(k -> !published.contains(k)).toList();
                if (!missing.isEmpty()) {
                    List<String> all = new java.util.ArrayList<>(published);
                    all.addAll(missing);
                    problems.add(new SourceProblem(Check.KEY_NOT_PUBLISHED,
                            "Publication " + quoteIdentifier(publication) + " publishes " + table.quoted() + " without its key column(s) "
                                    + String.join(", ", missing.stream().map(k -> quoteIdentifier(k)).toList())
                                    + " (column list), so its updates and deletes cannot be replicated.",
                            "ALTER PUBLICATION " + quoteIdentifier(publication) + " SET TABLE " + table.quoted() + " ("
                                    + String.join(", ", all.stream().map(k -> quoteIdentifier(k)).toList()) + ");"
                                    + " (SET TABLE replaces the publication's table list: name its other tables too, or use DROP TABLE then ADD TABLE)"));
                }
            }
        }
    }

    private static void checkSlot(Connection connection, SourceRequirements requirements, SlotState slot,
                                  List<SourceProblem> problems) throws SQLException {
        String name = requirements.slot();
        if (slot == null) {
            if (!requirements.createSlot()) {
                problems.add(new SourceProblem(Check.SLOT_MISSING,
                        "Replication slot " + literal(name) + " does not exist.",
                        "SELECT pg_create_logical_replication_slot(" + literal(name) + ", 'pgoutput'); "
                                + "(after the publication exists)"));
            }
            return;
        }
        if (!"pgoutput".equals(slot.plugin())) {
            problems.add(new SourceProblem(Check.SLOT_WRONG_PLUGIN,
                    "Replication slot " + literal(name) + " uses plugin '" + slot.plugin() + "'; Tideline reads pgoutput.",
                    "SELECT pg_drop_replication_slot(" + literal(name) + "); SELECT pg_create_logical_replication_slot("
                            + literal(name) + ", 'pgoutput');"));
        }
        String database = queryString(connection, "SELECT current_database()");
        if (slot.database() != null && !slot.database().equals(database)) {
            problems.add(new SourceProblem(Check.SLOT_WRONG_DATABASE,
                    "Replication slot " + literal(name) + " belongs to database " + quoteIdentifier(slot.database())
                            + ", not " + quoteIdentifier(database) + ".",
                    "Point the connection at database " + quoteIdentifier(slot.database())
                            + ", or create a slot in " + quoteIdentifier(database) + " under another name."));
        }
        if (slot.activePid() != null) {
            problems.add(new SourceProblem(Check.SLOT_IN_USE,
                    "Replication slot " + literal(name) + " is in use by another consumer (backend pid " + slot.activePid() + ").",
                    "Stop that consumer; if it is stale: SELECT pg_terminate_backend(" + slot.activePid() + ");"));
        }
        if ("lost".equals(slot.walStatus())) {
            problems.add(new SourceProblem(Check.SLOT_INVALIDATED,
                    "Replication slot " + literal(name) + " was invalidated by Postgres: WAL it needed was removed "
                            + "(max_slot_wal_keep_size), so changes were lost.",
                    "Run a full refresh of the pipeline: it recreates the slot and snapshots every table again."));
        }
    }

    private static SlotState readSlot(Connection connection, String slot) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT plugin, database, active_pid, wal_status FROM pg_replication_slots WHERE slot_name = ?")) {
            statement.setString(1, slot);
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                int pid = rs.getInt(3);
                Integer activePid = rs.wasNull() ? null : pid;
                return new SlotState(rs.getString(1), rs.getString(2), activePid, rs.getString(4));
            }
        }
    }

    private record SlotState(String plugin, String database, Integer activePid, String walStatus) {
    }

    private static String tableList(List<TableId> tables) {
        if (tables.isEmpty()) {
            return "<schema>.<table>";
        }
        List<String> quoted = new ArrayList<>();
        tables.forEach(table -> quoted.add(table.quoted()));
        return String.join(", ", quoted);
    }

    /** A SQL string literal. */
    private static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    private static String queryString(Connection connection, String sql) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql); ResultSet rs = statement.executeQuery()) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static boolean queryBoolean(Connection connection, String sql) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql); ResultSet rs = statement.executeQuery()) {
            return rs.next() && rs.getBoolean(1);
        }
    }
}
