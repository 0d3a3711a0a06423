package dev.tideline.gateway.source.postgres;

import dev.tideline.core.postgres.SqlStates;
import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.ChangeEvent;
import dev.tideline.core.pgoutput.PgOutputDecoder;
import dev.tideline.core.pgoutput.StreamedTransactions;
import dev.tideline.core.spill.SpillDirectory;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;

/**
 * One logical replication session on a pgoutput slot: reads the stream, decodes it, and hands out
 * the events of <em>committed</em> transactions only, in commit order.
 *
 * <p><b>Position.</b> The stream starts at the slot's {@code confirmed_flush_lsn}; Postgres then
 * sends every transaction that committed after it, so after a crash the caller sees again what it
 * had not confirmed (at-least-once). {@link #confirm(Lsn)} is the only thing that moves the slot.
 *
 * <p><b>Protocol 2.</b> With {@code proto_version 2} and streaming on (Postgres 14 or later),
 * large transactions arrive while still in progress; they are spilled to disk per transaction
 * ({@link StreamedTransactions}: the heap holds one event of them at a time) and released at their
 * StreamCommit as Begin … Commit, or dropped at StreamAbort (subtransaction aborts drop only that
 * subtransaction's changes). Callers therefore never see uncommitted data, whatever the protocol.
 *
 * <p><b>Errors</b> are {@link TidelineException}s naming the operation, the slot and the last
 * received LSN: {@code RETRYABLE} when the connection is lost or the slot is still held by a
 * dying session, {@code NEEDS_OPERATOR} when the slot or publication is missing, invalidated or
 * not permitted. After any error the session is unusable: close it and open a new one.
 *
 * <p>Not thread-safe: one thread reads, confirms and closes.
 */
public final class PostgresReplicationSource implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PostgresReplicationSource.class);
    private static final int MAX_MESSAGES_PER_POLL = 65_536;

    /** Opens a JDBC connection with {@code replication=database} (see {@link #jdbc}). */
    @FunctionalInterface
    public interface Connector {
        Connection connect() throws SQLException;
    }

    /**
     * What to stream.
     *
     * @param slotName        an existing logical slot using the {@code pgoutput} plugin
     * @param publicationName the publication whose tables are streamed
     * @param protocolVersion 1, or 2 to let Postgres stream large in-progress transactions (needs
     *                        Postgres 14; on older servers version 1 is used)
     * @param statusInterval  how often a standby status update is sent even when nothing changes
     * @param spillDirectory  where streamed in-progress transactions wait for their commit, in a
     *                        subdirectory per session ({@link SpillDirectory}); needs room for the
     *                        largest open transaction
     */
    public record Settings(String slotName, String publicationName, int protocolVersion, Duration statusInterval,
                           Path spillDirectory) {

        /** Where streamed transactions are spilled unless configured: {@code <java.io.tmpdir>/tideline-spill}. */
        public static final Path DEFAULT_SPILL_DIRECTORY = Path.of(System.getProperty("java.io.tmpdir"), "tideline-spill");

        public Settings(String slotName, String publicationName, int protocolVersion, Duration statusInterval) {
            this(slotName, publicationName, protocolVersion, statusInterval, DEFAULT_SPILL_DIRECTORY);
        }

        public Settings {
            Objects.requireNonNull(spillDirectory, "spillDirectory");
            requireName(slotName, "slot name");
            requireName(publicationName, "publication name");
            if (protocolVersion != 1 && protocolVersion != 2) {
                throw new IllegalArgumentException("pgoutput protocol version must be 1 or 2, was " + protocolVersion);
            }
            Objects.requireNonNull(statusInterval, "statusInterval");
            if (statusInterval.toMillis() < 10) {
                throw new IllegalArgumentException("statusInterval must be at least 10 ms, was " + statusInterval);
            }
        }

        private static void requireName(String name, String what) {
            if (name == null || name.isEmpty() || name.indexOf('\'') >= 0 || name.indexOf('\0') >= 0) {
                throw new IllegalArgumentException(what + " must be non-empty and contain no single quote or NUL, was '" + name + "'");
            }
        }
    }

    private final Connector connector;
    private final Settings settings;
    private SpillDirectory spill;
    private StreamedTransactions transactions;
    private Connection connection;
    private PGReplicationStream stream;
    private Lsn startLsn = Lsn.INVALID;
    private long lastContactNanos = System.nanoTime();
    private int protocolInUse;

    public PostgresReplicationSource(Connector connector, Settings settings) {
        this.connector = Objects.requireNonNull(connector, "connector");
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /** A connector for {@code jdbcUrl} with the replication properties pgjdbc needs added to {@code properties}. */
    public static Connector jdbc(String jdbcUrl, Properties properties) {
        Properties props = new Properties();
        props.putAll(properties);
        props.setProperty("replication", "database");
        props.setProperty("preferQueryMode", "simple");
        props.setProperty("assumeMinServerVersion", "10");
        return () -> DriverManager.getConnection(jdbcUrl, props);
    }

    /**
     * Connects and starts streaming from the slot's {@code confirmed_flush_lsn}.
     *
     * @throws TidelineException RETRYABLE when Postgres cannot be reached; NEEDS_OPERATOR when the
     *                           slot is missing, not a pgoutput slot, or the publication is missing
     */
    public void start() {
        if (stream != null) {
            throw new IllegalStateException("already started");
        }
        if (transactions == null) {
            spill = SpillDirectory.claim(settings.spillDirectory(), settings.slotName() + "-", "tideline.gateway.spill-directory");
            transactions = new StreamedTransactions(new PgOutputDecoder(), spill.path());
        }
        try {
            connection = connector.connect();
        } catch (SQLException e) {
            throw wrap("connect for replication", e);
        }
        try {
            int serverVersion;
            try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SHOW server_version_num")) {
                rs.next();
                serverVersion = Integer.parseInt(rs.getString(1));
            }
            checkSlotAndPublication();
            protocolInUse = settings.protocolVersion() == 2 && serverVersion >= 140000 ? 2 : 1;
            var builder = connection.unwrap(PGConnection.class).getReplicationAPI().replicationStream().logical()
                    .withSlotName(settings.slotName())
                    .withStartPosition(LogSequenceNumber.INVALID_LSN) // 0/0: the slot's confirmed_flush_lsn
                    .withSlotOption("proto_version", Integer.toString(protocolInUse))
                    .withSlotOption("publication_names", TableId.quoteIdentifier(settings.publicationName()))
                    .withSlotOption("messages", "true")
                    .withStatusInterval((int) settings.statusInterval().toMillis(), TimeUnit.MILLISECONDS);
            if (protocolInUse == 2) {
                builder.withSlotOption("streaming", "on");
            }
            stream = builder.start();
            LOG.infof("replication from slot %s (publication %s, pgoutput protocol %d) starts at %s", settings.slotName(),
                    settings.publicationName(), protocolInUse, startLsn);
        } catch (SQLException e) {
            closeQuietly();
            throw wrap("start replication", e);
        } catch (TidelineException e) {
            closeQuietly();
            throw e;
        }
    }

    private void checkSlotAndPublication() throws SQLException {
        // Checked here rather than left to START_REPLICATION so the operator gets a precise fix.
        try (PreparedStatement s = connection.prepareStatement(
                "SELECT plugin, confirmed_flush_lsn::text, "
                        + "(SELECT count(*) FROM pg_publication WHERE pubname = ?) FROM pg_replication_slots WHERE slot_name = ?")) {
            s.setString(1, settings.publicationName());
            s.setString(2, settings.slotName());
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                            "replication slot '" + settings.slotName() + "' does not exist",
                            "create it: SELECT pg_create_logical_replication_slot('" + settings.slotName()
                                    + "', 'pgoutput'); then run the initial snapshot (a new slot does not hold older changes)");
                }
                if (!"pgoutput".equals(rs.getString(1))) {
                    throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                            "replication slot '" + settings.slotName() + "' uses plugin '" + rs.getString(1) + "', not pgoutput",
                            "drop it and create a pgoutput slot, or configure another slot name");
                }
                startLsn = rs.getString(2) == null ? Lsn.INVALID : Lsn.parse(rs.getString(2));
                if (rs.getLong(3) == 0) {
                    throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                            "publication '" + settings.publicationName() + "' does not exist",
                            "create it: CREATE PUBLICATION " + TableId.quoteIdentifier(settings.publicationName()) + " FOR TABLE ...;");
                }
            }
        }
    }

    /** The slot's {@code confirmed_flush_lsn} when the session started. */
    public Lsn startLsn() {
        return startLsn;
    }

    /** The pgoutput protocol version in use (2 only when asked for and the server supports it). */
    public int protocolVersion() {
        return protocolInUse;
    }

    /**
     * The next event of a committed transaction, or {@code null} when none has arrived yet (or only
     * messages of a streamed transaction, which wait on disk for its commit). Never blocks on the
     * network; sends status updates when due. Relation, Type and Origin events are passed through;
     * stream-control events (protocol 2) never are.
     */
    public ChangeEvent poll() {
        requireStarted();
        ChangeEvent ready = transactions.next();
        if (ready != null) {
            keepAlive();
            return ready;
        }
        // A streamed transaction's messages go to disk and yield no event; returning now and then
        // keeps the caller's loop (stop requests, metrics) responsive during a long one.
        for (int spilled = 0; ready == null && spilled < MAX_MESSAGES_PER_POLL; spilled++) {
            ByteBuffer message;
            try {
                message = stream.readPending(); // sends a status update itself when one is due
            } catch (SQLException e) {
                throw wrap("read the replication stream", e);
            }
            lastContactNanos = System.nanoTime();
            if (message == null) {
                return null;
            }
            transactions.accept(message);
            ready = transactions.next();
        }
        return ready;
    }

    /**
     * Sends a status update when none went out for a status interval. While a committed streamed
     * transaction is released from its spill file nothing is read from the server — for minutes,
     * for a large one — and a walsender that hears nothing for {@code wal_sender_timeout} (60 s by
     * default) drops the connection; the next session would receive the transaction again from its
     * start and never get past it.
     */
    private void keepAlive() {
        long now = System.nanoTime();
        if (now - lastContactNanos < settings.statusInterval().toNanos()) {
            return;
        }
        lastContactNanos = now;
        try {
            stream.forceUpdateStatus();
        } catch (SQLException e) {
            throw wrap("send a status update", e);
        }
    }

    /**
     * The last position received from the server: the WAL position of the last data message, or the
     * server's write position from a keepalive, whichever is later.
     */
    public Lsn receivedLsn() {
        requireStarted();
        return Lsn.of(stream.getLastReceiveLSN().asLong());
    }

    /** Bytes of in-progress transactions (protocol 2) waiting on disk for their commit or abort. */
    public long spilledBytes() {
        return transactions == null ? 0 : transactions.spilledBytes();
    }

    /**
     * Tells the server that everything committed at or below {@code lsn} is safely stored, so the
     * slot's {@code confirmed_flush_lsn} may move there and WAL before it may be recycled. Sends
     * the status update at once. Also what pgjdbc answers to later keepalive requests.
     *
     * @throws TidelineException RETRYABLE when the connection is lost
     */
    public void confirm(Lsn lsn) {
        requireStarted();
        LogSequenceNumber position = LogSequenceNumber.valueOf(lsn.value());
        stream.setAppliedLSN(position);
        stream.setFlushedLSN(position);
        try {
            stream.forceUpdateStatus();
        } catch (SQLException e) {
            throw wrap("confirm " + lsn, e);
        }
    }

    /**
     * Closes the connection without confirming anything further: whatever was not confirmed is sent
     * again by the next session. Idempotent.
     */
    @Override
    public void close() {
        closeQuietly();
        if (transactions != null) {
            transactions.close();
            spill.close();
            transactions = null;
        }
    }

    private void closeQuietly() {
        // Closing the stream first would send CopyDone and wait for the server; closing the socket
        // is what a crash does, and the server handles it the same way.
        try {
            if (connection != null) {
                connection.close();
            }
        } catch (SQLException | RuntimeException ignored) {
            // the session is over either way
        }
        connection = null;
        stream = null;
    }

    private void requireStarted() {
        if (stream == null) {
            throw new IllegalStateException("the replication session is not started (or was closed)");
        }
    }

    private TidelineException wrap(String operation, SQLException e) {
        String state = e.getSQLState();
        Lsn at = stream == null ? startLsn : Lsn.of(stream.getLastReceiveLSN().asLong());
        String what = operation + " on slot '" + settings.slotName() + "' at " + at + " failed: " + e.getMessage()
                + SqlStates.describe(state);
        SqlStates.Rule rule = SqlStates.rule(state);
        if (SqlStates.OBJECT_IN_USE.equals(state)) {
            // Usually our own previous session, whose walsender has not noticed the lost connection yet.
            return new TidelineException(TidelineException.Kind.RETRYABLE, what,
                    "if this persists, another process is consuming the slot: check pg_replication_slots.active_pid", e);
        }
        if (rule.kind() == TidelineException.Kind.RETRYABLE) {
            return new TidelineException(TidelineException.Kind.RETRYABLE, what, "check that Postgres is reachable; the gateway retries", e);
        }
        String sqlClass = state == null || state.length() < 2 ? "" : state.substring(0, 2);
        String hint = sqlClass.equals("42") || sqlClass.equals("28") || SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE.equals(state)
                ? "check that slot '" + settings.slotName() + "' and publication '" + settings.publicationName()
                        + "' exist, the slot is not invalidated, and the user has the REPLICATION attribute"
                : rule.remedy();
        return new TidelineException(rule.kind(), what, hint, e);
    }
}
