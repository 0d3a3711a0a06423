package dev.tideline.api.console;

import dev.tideline.api.ApiConfig;
import dev.tideline.api.connection.ConnectionSecrets;
import dev.tideline.api.nats.SpecStore;
import dev.tideline.control.spec.CapturePlan;
import dev.tideline.control.spec.ConnectionSpec;
import dev.tideline.control.spec.PipelineSpec;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads the health of a gateway's replication slot from the source Postgres ({@code pg_replication_slots}): WAL
 * retained (current WAL position − {@code restart_lsn}), {@code wal_status}, {@code safe_wal_size}, and how far the
 * slot's confirmed position trails the source. One short-lived pgjdbc connection per read, through the gateway's
 * connection; results are cached for a few seconds (a failure for 30 s) so that page loads and the lag sampler do not
 * multiply queries on the source or wait on one that does not answer. Thread-safe.
 */
@ApplicationScoped
public class SlotProbe {

    private static final Logger LOG = Logger.getLogger(SlotProbe.class);
    private static final long CACHE_MILLIS = 3_000;
    /** A source that did not answer is asked again only after this long, so pages do not wait on it at every load. */
    private static final long FAILED_CACHE_MILLIS = 30_000;
    private static final String QUERY = """
            SELECT pg_current_wal_lsn()::text,
                   s.slot_name IS NOT NULL,
                   s.wal_status,
                   pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint,
                   pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn)::bigint,
                   s.safe_wal_size,
                   s.active
            FROM (SELECT 1) AS one LEFT JOIN pg_replication_slots s ON s.slot_name = ?""";

    /**
     * A slot as read from the source.
     *
     * @param plan          what the gateway captures (database, slot, publication)
     * @param error         why the slot could not be read, or null
     * @param currentLsn    the source's current WAL position (text), or null
     * @param exists        whether the slot exists
     * @param walStatus     {@code reserved}, {@code extended}, {@code unreserved} or {@code lost}; null when unknown
     * @param retainedBytes WAL the slot keeps on the source, or null
     * @param lagBytes      WAL written since the slot's confirmed position (not yet captured), or null
     * @param safeWalSize   bytes that can still be written before the slot is in danger of {@code lost}, or null (no limit)
     * @param active        whether a walsender (the gateway) is reading it
     */
    public record SlotHealth(CapturePlan plan, String error, String currentLsn, boolean exists, String walStatus, Long retainedBytes,
                             Long lagBytes, Long safeWalSize, boolean active, long readAtMillis) {
    }

    private final SpecStore store;
    private final ConnectionSecrets secrets;
    private final int timeoutSeconds;
    private final Map<String, SlotHealth> cache = new ConcurrentHashMap<>();

    SlotProbe(SpecStore store, ConnectionSecrets secrets, ApiConfig config) {
        this.store = store;
        this.secrets = secrets;
        this.timeoutSeconds = Math.min(5, config.api().postgresTimeoutSeconds());
    }

    /**
     * The slot of {@code gateway}, read at most a few seconds ago; null when the gateway captures nothing yet (no
     * ingestion pipeline names it) or its pipelines disagree on the slot.
     */
    public SlotHealth slot(PipelineSpec gateway, List<PipelineSpec> pipelines) {
        CapturePlan plan;
        try {
            plan = CapturePlan.of(gateway, pipelines);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (plan == null) {
            return null;
        }
        SlotHealth cached = cache.get(gateway.id());
        long now = System.currentTimeMillis();
        if (cached != null && now - cached.readAtMillis() < (cached.error() == null ? CACHE_MILLIS : FAILED_CACHE_MILLIS)
                && cached.plan().equals(plan)) {
            return cached;
        }
        SlotHealth read = read(plan, now);
        cache.put(gateway.id(), read);
        return read;
    }

    private SlotHealth read(CapturePlan plan, long now) {
        ConnectionSpec connection = store.connection(plan.connection()).orElse(null);
        if (connection == null) {
            return failed(plan, "connection '" + plan.connection() + "' of the gateway does not exist", now);
        }
        Properties properties = new Properties();
        properties.setProperty("user", connection.user() == null ? "" : connection.user());
        String password = secrets.password(connection);
        if (password != null) {
            properties.setProperty("password", password);
        }
        properties.setProperty("connectTimeout", Integer.toString(timeoutSeconds));
        properties.setProperty("socketTimeout", Integer.toString(timeoutSeconds));
        properties.setProperty("loginTimeout", Integer.toString(timeoutSeconds));
        properties.setProperty("ApplicationName", "tideline-api-console");
        try (Connection sql = DriverManager.getConnection(connection.jdbcUrl(plan.database()), properties);
             PreparedStatement statement = sql.prepareStatement(QUERY)) {
            statement.setString(1, plan.slot().slotName());
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return new SlotHealth(plan, null, row.getString(1), row.getBoolean(2), row.getString(3), longOrNull(row, 4),
                        longOrNull(row, 5), longOrNull(row, 6), row.getBoolean(7), now);
            }
        } catch (SQLException e) {
            LOG.debugf("slot %s on %s:%d/%s not readable: %s", plan.slot().slotName(), connection.host(), connection.port(), plan.database(),
                    e.getMessage());
            return failed(plan, "cannot read slot '" + plan.slot().slotName() + "' on " + connection.host() + ":" + connection.port() + "/"
                    + plan.database() + ": " + e.getMessage(), now);
        }
    }

    private static SlotHealth failed(CapturePlan plan, String error, long now) {
        return new SlotHealth(plan, error, null, false, null, null, null, null, false, now);
    }

    private static Long longOrNull(ResultSet row, int column) throws SQLException {
        long value = row.getLong(column);
        return row.wasNull() ? null : value;
    }
}
