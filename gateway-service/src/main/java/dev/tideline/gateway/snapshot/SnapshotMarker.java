package dev.tideline.gateway.snapshot;

import dev.tideline.core.postgres.SqlStates;
import dev.tideline.core.Lsn;
import dev.tideline.core.TidelineException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * A watermark the snapshot writes into the WAL with {@code pg_logical_emit_message(false, …)} so that
 * the capture thread meets it in the change stream at exactly the position it was written, between
 * the transactions that committed before and after it.
 *
 * <p>Markers are non-transactional: Postgres decodes them at their own LSN, at once, whatever
 * transaction emits them, and they assign no transaction id. They never reach JetStream.
 *
 * <ul>
 *   <li>{@code BEGIN}: the table's snapshot (re)starts; the capture starts tracking its transactions;</li>
 *   <li>{@code LOW} / {@code HIGH}: bracket the read of one chunk ({@code read} = its read number);</li>
 *   <li>{@code DONE}: every chunk is published; SNAPSHOT_DONE goes out here.</li>
 * </ul>
 *
 * @param kind       which marker
 * @param snapshotId the table snapshot it belongs to
 * @param read       the chunk read number for LOW/HIGH, else 0
 */
public record SnapshotMarker(Kind kind, String snapshotId, int read) {

    /** The logical message prefix of every marker. */
    public static final String PREFIX = "tideline.snapshot";

    public enum Kind { BEGIN, LOW, HIGH, DONE }

    /** The message content: {@code KIND:snapshotId:read}. */
    public String content() {
        return kind + ":" + snapshotId + ":" + read;
    }

    /** The marker in a logical message with {@link #PREFIX}, or {@code null} when it is not one of ours. */
    public static SnapshotMarker parse(String prefix, byte[] content) {
        if (!PREFIX.equals(prefix)) {
            return null;
        }
        String[] parts = new String(content, StandardCharsets.UTF_8).split(":");
        if (parts.length != 3) {
            return null;
        }
        try {
            return new SnapshotMarker(Kind.valueOf(parts[0]), parts[1], Integer.parseInt(parts[2]));
        } catch (IllegalArgumentException e) {
            return null; // written by another version: not ours to interpret
        }
    }

    /**
     * Writes the marker into the WAL through {@code connection} (any transaction state).
     *
     * @return the marker's LSN
     */
    public Lsn emit(Connection connection) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("SELECT pg_logical_emit_message(false, ?, ?)::text")) {
            s.setString(1, PREFIX);
            s.setString(2, content());
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return Lsn.parse(rs.getString(1));
            }
        } catch (SQLException e) {
            if (SqlStates.INSUFFICIENT_PRIVILEGE.equals(e.getSQLState())) {
                throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                        "the snapshot cannot write its watermark (pg_logical_emit_message): " + e.getMessage(),
                        "grant the gateway's role the REPLICATION attribute (ALTER ROLE … WITH REPLICATION) or EXECUTE on "
                                + "pg_logical_emit_message", e);
            }
            throw e;
        }
    }
}
