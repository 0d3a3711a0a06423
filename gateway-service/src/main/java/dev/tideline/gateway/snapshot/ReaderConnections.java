package dev.tideline.gateway.snapshot;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The chunk readers' connections, kept open from one chunk read to the next: opening a connection
 * (a new backend, and SCRAM authentication) cost 5–40 ms per chunk, a tenth of a 100,000-row read
 * here. At most as many stay open as reads ran at once. A connection whose read failed is closed,
 * never reused. Thread-safe.
 */
final class ReaderConnections implements AutoCloseable {

    private final SqlConnector pg;
    private final ConcurrentLinkedQueue<Connection> idle = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    ReaderConnections(SqlConnector pg) {
        this.pg = pg;
    }

    /** An open connection in autocommit mode, reused or new. */
    Connection take() throws SQLException {
        Connection c;
        while ((c = idle.poll()) != null) {
            if (!c.isClosed()) {
                return c;
            }
        }
        return pg.connect();
    }

    /**
     * Gives a connection back after a read that ended its transaction; one whose read failed is
     * closed instead ({@code healthy = false}), as is any given back after {@link #close}.
     */
    void giveBack(Connection c, boolean healthy) {
        if (healthy && !closed) {
            try {
                if (!c.isClosed() && c.getAutoCommit()) {
                    idle.add(c);
                    if (!closed) {
                        return;
                    }
                    idle.remove(c);
                }
            } catch (SQLException e) {
                // unusable: closed below
            }
        }
        closeQuietly(c);
    }

    @Override
    public void close() {
        closed = true;
        Connection c;
        while ((c = idle.poll()) != null) {
            closeQuietly(c);
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // the connection held no transaction: nothing is lost
        }
    }
}
