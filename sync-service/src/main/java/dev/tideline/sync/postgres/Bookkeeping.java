package dev.tideline.sync.postgres;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The {@code tideline} schema of a target database: the {@code synced_tables} bookkeeping table, the
 * read-only trigger function, and the scratch tables of snapshots in progress. Created by the sync
 * role on first use; every statement is idempotent.
 */
public final class Bookkeeping {

    /** Schema holding Tideline's own objects in a target database. */
    public static final String SCHEMA = "tideline";
    /** Setting that marks a transaction as the sync role's own write ({@code SET LOCAL}). */
    public static final String WRITER_SETTING = "tideline.sync_writer";

    private static final String TABLE = SCHEMA + ".synced_tables";

    private Bookkeeping() {
    }

    /** Creates the schema, the bookkeeping table and the trigger function when missing. */
    public static void ensure(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA IF NOT EXISTS " + SCHEMA);
            s.execute("""
                    CREATE TABLE IF NOT EXISTS tideline.synced_tables (
                      synced_table_name text PRIMARY KEY,
                      target_schema     text NOT NULL,
                      target_table      text NOT NULL,
                      source_table      text NOT NULL,
                      delta_version     bigint NOT NULL,
                      column_names      text[] NOT NULL,
                      column_types      text[] NOT NULL,
                      synced_at         timestamptz NOT NULL,
                      rows_applied      bigint NOT NULL,
                      last_mode         text NOT NULL,
                      column_ids        text[]
                    )""");
            // Tables created before column identities were recorded get the column; their rows keep NULL there.
            s.execute("ALTER TABLE tideline.synced_tables ADD COLUMN IF NOT EXISTS column_ids text[]");
            // Statement-level guard on every synced table: writes are refused unless the transaction
            // says it is the sync's own (SET LOCAL tideline.sync_writer = 'on'). Privileges keep other
            // roles out; this also stops owners and roles with pg_write_all_data from writing by accident.
            s.execute("""
                    CREATE OR REPLACE FUNCTION tideline.reject_writes() RETURNS trigger LANGUAGE plpgsql AS $f$
                    BEGIN
                      IF coalesce(current_setting('tideline.sync_writer', true), '') <> 'on' THEN
                        RAISE EXCEPTION 'synced table %.% is read-only: Tideline keeps it equal to its source Delta table',
                              TG_TABLE_SCHEMA, TG_TABLE_NAME
                          USING ERRCODE = 'insufficient_privilege',
                                HINT = 'change the source Delta table instead; on a synced table you may SELECT, '
                                       'CREATE/ALTER/DROP INDEX and DROP TABLE';
                      END IF;
                      RETURN NULL;
                    END
                    $f$""");
        }
    }

    /** Reads the row of a synced table; {@code forUpdate} locks it until the transaction ends. */
    public static Optional<SyncState> read(Connection c, String syncedTableName, boolean forUpdate) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT target_schema, target_table, source_table, delta_version, column_names, "
                + "column_types, synced_at, rows_applied, last_mode, column_ids FROM " + TABLE + " WHERE synced_table_name = ?"
                + (forUpdate ? " FOR UPDATE" : ""))) {
            ps.setString(1, syncedTableName);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new SyncState(syncedTableName, rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4),
                        strings(rs.getArray(5)), strings(rs.getArray(6)), rs.getArray(10) == null ? null : strings(rs.getArray(10)),
                        rs.getTimestamp(7).toInstant(), rs.getLong(8),
                        rs.getString(9)));
            }
        }
    }

    /** Inserts or replaces the row of a synced table; call inside the transaction that wrote the rows. */
    public static void write(Connection c, SyncState state) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TABLE + " (synced_table_name, target_schema, target_table, "
                + "source_table, delta_version, column_names, column_types, synced_at, rows_applied, last_mode, column_ids) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, now(), ?, ?, ?) ON CONFLICT (synced_table_name) DO UPDATE SET "
                + "target_schema = EXCLUDED.target_schema, target_table = EXCLUDED.target_table, source_table = EXCLUDED.source_table, "
                + "delta_version = EXCLUDED.delta_version, column_names = EXCLUDED.column_names, column_types = EXCLUDED.column_types, "
                + "synced_at = EXCLUDED.synced_at, rows_applied = EXCLUDED.rows_applied, last_mode = EXCLUDED.last_mode, "
                + "column_ids = EXCLUDED.column_ids")) {
            ps.setString(1, state.syncedTableName());
            ps.setString(2, state.targetSchema());
            ps.setString(3, state.targetTable());
            ps.setString(4, state.sourceTable());
            ps.setLong(5, state.deltaVersion());
            ps.setArray(6, c.createArrayOf("text", state.columnNames().toArray()));
            ps.setArray(7, c.createArrayOf("text", state.columnTypes().toArray()));
            ps.setLong(8, state.rowsApplied());
            ps.setString(9, state.lastMode());
            ps.setArray(10, state.columnIds() == null ? null : c.createArrayOf("text", state.columnIds().toArray()));
            ps.executeUpdate();
        }
    }

    /** Marks the current transaction as the sync's own write, so the read-only trigger lets it through. */
    public static void allowSyncWrites(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SET LOCAL " + WRITER_SETTING + " = 'on'");
        }
    }

    /** Attaches the read-only trigger to a synced table (idempotent). */
    public static void attachReadOnlyTrigger(Connection c, String quotedTable) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("DROP TRIGGER IF EXISTS tideline_read_only ON " + quotedTable);
            s.execute("CREATE TRIGGER tideline_read_only BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON " + quotedTable
                    + " FOR EACH STATEMENT EXECUTE FUNCTION tideline.reject_writes()");
        }
    }

    private static List<String> strings(Array array) throws SQLException {
        return Arrays.asList((String[]) array.getArray());
    }
}
