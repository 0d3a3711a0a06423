package dev.tideline.gateway.snapshot;

import java.sql.Connection;
import java.sql.SQLException;

/** Opens an ordinary (non-replication) JDBC connection to the source database. */
@FunctionalInterface
public interface SqlConnector {
    Connection connect() throws SQLException;
}
