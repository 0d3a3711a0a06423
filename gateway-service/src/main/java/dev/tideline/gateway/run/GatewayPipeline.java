package dev.tideline.gateway.run;

import dev.tideline.core.postgres.SqlStates;
import dev.tideline.control.nats.Backoff;
import dev.tideline.control.nats.NatsConnect;
import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.status.PipelineState;
import dev.tideline.control.status.PipelineStatus;
import dev.tideline.control.status.TableStatus;
import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.checkpoint.ApplyStreamPosition;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.core.naming.Streams;
import dev.tideline.core.naming.Subjects;
import dev.tideline.core.wire.BatchLimits;
import dev.tideline.gateway.capture.ChangeCapture;
import dev.tideline.gateway.publish.JetStreamPublisher;
import dev.tideline.gateway.publish.NatsKvCheckpointStore;
import dev.tideline.gateway.publish.StagingPurge;
import dev.tideline.gateway.snapshot.ExportedSnapshotLoad;
import dev.tideline.gateway.snapshot.SnapshotProgress;
import dev.tideline.gateway.snapshot.SnapshotProgressStore;
import dev.tideline.gateway.snapshot.SnapshotSettings;
import dev.tideline.gateway.snapshot.SnapshotWindows;
import dev.tideline.gateway.snapshot.SqlConnector;
import dev.tideline.gateway.snapshot.TableSnapshots;
import dev.tideline.gateway.source.postgres.PostgresReplicationSource;
import dev.tideline.gateway.source.postgres.PostgresSourceValidator;
import dev.tideline.gateway.source.postgres.SourceProblem;
import dev.tideline.gateway.source.postgres.SourceRequirements;
import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import java.util.OptionalLong;
import dev.tideline.core.naming.KvBuckets;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import java.io.IOException;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * One running gateway: validates the source, creates the slot with an exported snapshot when asked
 * to and allowed, starts the streaming capture and the snapshots of the tables that have none,
 * writes an optional heartbeat, and publishes its status (KV {@code tideline-status} and the
 * pipeline's state event) and metrics. Runs in the background and retries its start with backoff;
 * {@link #close()} stops everything abruptly (anything unconfirmed is read again by the next run).
 *
 * <p><b>Lost slot.</b> A slot that disappears or is invalidated after the gateway streamed is never
 * re-created silently (changes were lost with it): the pipeline goes FAILED, saying to run a full
 * refresh, which {@link #fullRefreshAll()} does: it forgets the gateway's checkpoint and snapshot
 * progress, creates the slot again and snapshots every table anew.
 */
public final class GatewayPipeline implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(GatewayPipeline.class);
    /** Prefix of the heartbeat messages; they move the slot on idle sources and are not published. */
    public static final String HEARTBEAT_PREFIX = "tideline.heartbeat";

    /**
     * Operational settings shared by all gateways of the process.
     *
     * @param natsUrl           NATS server(s)
     * @param snapshot          snapshot chunking and parallelism
     * @param heartbeatInterval how often to write a heartbeat message into the source's WAL; null for never
     * @param statusInterval    how often status and lag are refreshed
     * @param publisher         stream limits and in-flight window
     */
    public record Tuning(String natsUrl, SnapshotSettings snapshot, Duration heartbeatInterval, Duration statusInterval,
                         JetStreamPublisher.Settings publisher, Path spillDirectory) {

        /** Streamed transactions spill to {@link PostgresReplicationSource.Settings#DEFAULT_SPILL_DIRECTORY}. */
        public Tuning(String natsUrl, SnapshotSettings snapshot, Duration heartbeatInterval, Duration statusInterval,
                      JetStreamPublisher.Settings publisher) {
            this(natsUrl, snapshot, heartbeatInterval, statusInterval, publisher,
                    PostgresReplicationSource.Settings.DEFAULT_SPILL_DIRECTORY);
        }
    }

    private final GatewayPipelineSpec spec;
    private final Tuning tuning;
    private final MeterRegistry meters;
    private final ScheduledExecutorService scheduler;
    private final Properties credentials = new Properties();
    private volatile boolean closed;
    private volatile ChangeCapture capture;
    private volatile TableSnapshots snapshots;
    private volatile List<TableId> tables = List.of();
    private volatile String startError;
    private volatile PipelineState state = PipelineState.STARTING;
    private volatile long lagBytes;
    private Connection nats;
    private ControlPlane control;
    private GatewayMetrics metrics;

    public GatewayPipeline(GatewayPipelineSpec spec, Tuning tuning, MeterRegistry meters) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.tuning = Objects.requireNonNull(tuning, "tuning");
        this.meters = meters;
        this.scheduler = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "tideline-gateway-" + spec.gatewayId());
            t.setDaemon(true);
            return t;
        });
        if (spec.user() != null) {
            credentials.setProperty("user", spec.user());
        }
        if (spec.password() != null) {
            credentials.setProperty("password", spec.password());
        }
    }

    public GatewayPipelineSpec spec() {
        return spec;
    }

    /** Starts in the background. */
    public void start() {
        scheduler.execute(() -> startWithRetries(1));
    }

    private void startWithRetries(int attempt) {
        if (closed) {
            return;
        }
        try {
            startOnce();
            startError = null;
        } catch (TidelineException e) {
            startError = e.getMessage() + (e.hint() == null ? "" : " Fix: " + e.hint());
            state = e.kind() == TidelineException.Kind.RETRYABLE ? PipelineState.RECOVERING : PipelineState.FAILED;
            Duration backoff = Backoff.NATS.delay(attempt);
            LOG.warnf("%s cannot start on attempt %d (%s), retrying in %d ms: %s", spec, attempt, e.kind(), backoff.toMillis(), e.getMessage());
            publishStatusQuietly();
            scheduler.schedule(() -> startWithRetries(attempt + 1), backoff.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RuntimeException | InterruptedException e) {
            startError = "start failed: " + e;
            state = PipelineState.FAILED;
            LOG.errorf(e, "%s cannot start", spec);
            publishStatusQuietly();
        }
    }

    private SqlConnector sql() {
        return () -> DriverManager.getConnection(spec.jdbcUrl(), credentials);
    }

    private synchronized void startOnce() throws InterruptedException {
        if (closed || capture != null) {
            return;
        }
        if (nats == null) {
            try {
                nats = NatsConnect.connect(tuning.natsUrl(), "tideline-gateway-" + spec.gatewayId(), NatsConnect.Reconnect.FOREVER);
            } catch (java.io.IOException e) {
                throw new TidelineException(TidelineException.Kind.RETRYABLE, "connect to NATS at " + tuning.natsUrl() + " failed: "
                        + e.getMessage(), "check that the NATS server is reachable", e);
            }
            control = ControlPlane.open(nats);
        }
        SqlConnector pg = sql();
        boolean slotExists;
        List<TableId> resolved;
        try (java.sql.Connection c = pg.connect()) {
            resolved = resolveTables(c);
            slotExists = slotExists(c);
            boolean streamedBefore = new NatsKvCheckpointStore(nats).read(spec.gatewayId()).isPresent();
            if (!slotExists && streamedBefore) {
                throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, "replication slot '" + spec.slot()
                        + "' is gone although gateway " + spec.gatewayId() + " streamed from it: changes made since it was lost cannot be recovered",
                        "run a full refresh of the gateway's pipelines (POST /api/2.0/pipelines/{id}/updates with {\"full_refresh\": true}); "
                                + "it re-creates the slot and snapshots every table again");
            }
            List<SourceProblem> problems = new PostgresSourceValidator().validate(c,
                    new SourceRequirements(spec.publication(), spec.slot(), resolved, false, spec.createSlot()));
            if (!problems.isEmpty()) {
                throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, "the source is not ready: "
                        + problems.stream().map(SourceProblem::toString).collect(Collectors.joining(" | ")), "apply the fixes above");
            }
        } catch (SQLException e) {
            SqlStates.Rule rule = SqlStates.rule(e.getSQLState());
            throw new TidelineException(rule.kind(), "connect to the source " + spec.jdbcUrl() + " failed: " + e.getMessage()
                    + SqlStates.describe(e.getSQLState()), rule.remedy(), e);
        }
        tables = resolved;
        PostgresReplicationSource.Connector replication = PostgresReplicationSource.jdbc(spec.jdbcUrl(), credentials);
        // Message bodies as large as this server accepts: raising max_payload is all a larger row needs.
        BatchLimits limits = BatchLimits.forMaxPayload(nats.getServerInfo().getMaxPayload());
        SnapshotProgressStore progress = new SnapshotProgressStore(nats, spec.gatewayId());
        for (TableId gone : progress.forgetAllBut(resolved)) {
            LOG.infof("%s: table %s left the pipeline; its snapshot progress is forgotten (it is snapshotted again if it comes back)",
                    spec, gone);
        }
        if (!slotExists) {
            JetStreamPublisher publisher = new JetStreamPublisher(nats, spec.gatewayId(), tuning.publisher());
            publisher.ensureStream();
            new ExportedSnapshotLoad(spec.gatewayId(), pg, progress, publisher, limits, tuning.snapshot().withPublication(spec.publication()))
                    .createSlotAndLoad(replication, spec.slot(), resolved);
        }
        SnapshotWindows windows = new SnapshotWindows(spec.gatewayId(), limits);
        windows.watch(resolved); // before streaming: a resumed snapshot must learn of the rows moved in what the slot replays
        ChangeCapture.Settings defaults = ChangeCapture.Settings.defaults(spec.gatewayId(), spec.slot(), spec.publication());
        PostgresReplicationSource.Settings source = defaults.source();
        source = new PostgresReplicationSource.Settings(source.slotName(), source.publicationName(), source.protocolVersion(),
                source.statusInterval(), tuning.spillDirectory());
        ChangeCapture.Settings settings = new ChangeCapture.Settings(spec.gatewayId(), source, tuning.publisher(), limits,
                defaults.confirmInterval(), defaults.checkpointInterval(), defaults.minBackoff(), defaults.maxBackoff());
        ChangeCapture c = new ChangeCapture(settings, replication, ChangeCapture.NatsConnector.of(tuning.natsUrl()), windows,
                HEARTBEAT_PREFIX::equals);
        c.start();
        capture = c;
        snapshots = new TableSnapshots(spec.gatewayId(), pg, windows, progress, tuning.snapshot().withPublication(spec.publication()));
        snapshots.start(resolved);
        if (meters != null) {
            metrics = new GatewayMetrics(meters, spec.gatewayId());
            metrics.gauge(GatewayMetrics.RECEIVED_LSN, "last WAL position received from the source", c, x -> x.receivedLsn().value());
            metrics.gauge(GatewayMetrics.CONFIRMED_LSN, "position confirmed to the slot", c, x -> x.confirmedLsn().value());
            metrics.gauge(GatewayMetrics.SPILLED_BYTES, "bytes of open source transactions waiting on disk for their commit", c,
                    ChangeCapture::spilledBytes);
            metrics.gauge(GatewayMetrics.LAG_BYTES, "WAL bytes between the source's current position and the slot's confirmed position",
                    this, x -> x.lagBytes);
            metrics.counter(GatewayMetrics.PUBLISHED_MESSAGES, "messages acknowledged by JetStream", c, ChangeCapture::publishedMessages);
            metrics.counter(GatewayMetrics.DUPLICATES, "re-published messages JetStream dropped by Nats-Msg-Id", c,
                    ChangeCapture::duplicatesDropped);
        }
        if (tuning.heartbeatInterval() != null) {
            long every = tuning.heartbeatInterval().toMillis();
            scheduler.scheduleWithFixedDelay(this::heartbeat, every, every, TimeUnit.MILLISECONDS);
        }
        long statusEvery = tuning.statusInterval().toMillis();
        scheduler.scheduleWithFixedDelay(this::publishStatusQuietly, 0, statusEvery, TimeUnit.MILLISECONDS);
        LOG.infof("%s started: %d tables", spec, resolved.size());
    }

    private List<TableId> resolveTables(java.sql.Connection c) throws SQLException {
        LinkedHashSet<TableId> out = new LinkedHashSet<>(spec.tables());
        if (!spec.schemas().isEmpty() || spec.wholePublication()) {
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ? ORDER BY 1, 2")) {
                s.setString(1, spec.publication());
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        if (spec.wholePublication() || spec.schemas().contains(rs.getString(1))) {
                            out.add(TableId.of(rs.getString(1), rs.getString(2)));
                        }
                    }
                }
            }
        }
        return new ArrayList<>(out);
    }

    private boolean slotExists(java.sql.Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM pg_replication_slots WHERE slot_name = ?")) {
            s.setString(1, spec.slot());
            try (ResultSet rs = s.executeQuery()) {
                return rs.next();
            }
        }
    }

    private void heartbeat() {
        try (java.sql.Connection c = sql().connect(); Statement s = c.createStatement()) {
            s.execute("SELECT pg_logical_emit_message(false, '" + HEARTBEAT_PREFIX + "', '')");
        } catch (SQLException e) {
            LOG.debugf("heartbeat of gateway %s failed: %s", spec.gatewayId(), e.getMessage());
        }
    }

    /** Starts a new snapshot of these tables while streaming continues. */
    public void refresh(Collection<TableId> which) {
        TableSnapshots s = snapshots;
        if (s == null) {
            throw new TidelineException(TidelineException.Kind.RETRYABLE, "gateway " + spec.gatewayId() + " is not running yet",
                    "retry once the gateway pipeline is RUNNING");
        }
        for (TableId t : which) {
            s.refresh(t);
        }
    }

    /**
     * A full refresh of every table. When the slot was lost, forgets the gateway's checkpoint and
     * snapshot progress first so that the restart re-creates the slot; the caller restarts the pipeline.
     *
     * @return whether the pipeline must be restarted (the slot is gone)
     */
    public boolean fullRefreshAll() {
        boolean slotGone;
        try (java.sql.Connection c = sql().connect()) {
            slotGone = !slotExists(c);
        } catch (SQLException e) {
            throw new TidelineException(TidelineException.Kind.RETRYABLE, "full refresh of gateway " + spec.gatewayId()
                    + ": the source is unreachable: " + e.getMessage(), "retry when Postgres is reachable", e);
        }
        if (!slotGone) {
            refresh(tables);
            return false;
        }
        if (nats != null) {
            control.checkpoints().delete(KvKeys.gatewayCheckpoint(spec.gatewayId()));
            SnapshotProgressStore store = new SnapshotProgressStore(nats, spec.gatewayId());
            for (TableId t : tables) {
                store.delete(t);
            }
        }
        return true;
    }

    /** The pipeline's state now, with the reason when it is not RUNNING. */
    public PipelineStatus status() {
        ChangeCapture c = capture;
        String message = startError;
        PipelineState s = state;
        if (c != null) {
            TidelineException last = c.lastError();
            switch (c.state()) {
                case STREAMING -> {
                    s = PipelineState.RUNNING;
                    message = summary();
                }
                case FAILED -> {
                    s = PipelineState.FAILED;
                    message = describe(last);
                }
                case BACKING_OFF, CONNECTING -> {
                    boolean operator = last != null && last.kind() == TidelineException.Kind.NEEDS_OPERATOR;
                    s = last == null ? PipelineState.STARTING : operator ? PipelineState.FAILED : PipelineState.RECOVERING;
                    message = describe(last);
                }
                default -> s = closed ? PipelineState.STOPPING : PipelineState.STARTING;
            }
        }
        return new PipelineStatus(spec.gatewayId(), s, message, List.of(), System.currentTimeMillis());
    }

    private String summary() {
        TableSnapshots s = snapshots;
        if (s == null) {
            return null;
        }
        long running = s.states().values().stream().filter(t -> t.progress() != null && !SnapshotProgress.DONE.equals(t.progress().state()))
                .count();
        return running == 0 ? "streaming " + tables.size() + " tables" : "streaming; snapshotting " + running + " of " + tables.size() + " tables";
    }

    private String describe(TidelineException e) {
        if (e == null) {
            return null;
        }
        String text = e.getMessage() + (e.hint() == null ? "" : " Fix: " + e.hint());
        if (e.kind() == TidelineException.Kind.NEEDS_OPERATOR && e.getMessage().contains("slot")) {
            text += " If the slot was dropped or invalidated, its changes are lost: re-create it and run a full refresh.";
        }
        return text;
    }

    /** Per table: snapshot progress (or streaming). */
    public List<TableStatus> tableStatuses() {
        List<TableStatus> out = new ArrayList<>();
        TableSnapshots s = snapshots;
        Map<TableId, TableSnapshots.TableState> states = s == null ? Map.of() : s.states();
        long now = System.currentTimeMillis();
        for (TableId t : tables) {
            TableSnapshots.TableState st = states.get(t);
            SnapshotProgress p = st == null ? null : st.progress();
            String tableState = st != null && st.error() != null ? "FAILED"
                    : p == null || SnapshotProgress.DONE.equals(p.state()) ? "STREAMING" : "SNAPSHOTTING";
            out.add(new TableStatus(spec.gatewayId(), t.schema(), t.name(), tableState, st == null ? null : st.error(),
                    p == null ? null : p.rows(), null, capture == null ? null : capture.confirmedLsn().toString(), null, now));
            if (metrics != null && p != null) {
                metrics.table(t, () -> {
                    TableSnapshots.TableState now2 = snapshots.states().get(t);
                    SnapshotProgress q = now2 == null ? null : now2.progress();
                    return q == null ? new long[3] : new long[] {q.rows(), q.chunksDone(), q.chunks().size()};
                });
            }
        }
        return out;
    }

    private PipelineState lastPublished;

    /**
     * Frees the stream of what every ingestion pipeline recorded as applied ({@link StagingPurge}); only when
     * the gateway knows its ingestion pipelines (control-plane mode).
     */
    private void purgeAppliedQuietly() {
        Connection n = nats;
        if (n == null || spec.destinations().isEmpty()) {
            return;
        }
        try {
            KeyValue checkpoints = n.keyValue(KvBuckets.CHECKPOINTS);
            long purged = StagingPurge.purgeApplied(n.jetStreamManagement(), Streams.changes(spec.gatewayId()),
                    spec.destinations().keySet(), pipeline -> recordedPosition(checkpoints, pipeline));
            if (purged > 0) {
                LOG.debugf("gateway %s: purged %d messages every pipeline has applied", spec.gatewayId(), purged);
            }
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.debugf("gateway %s: applied messages not purged: %s", spec.gatewayId(), e.toString());
        }
    }

    /** What apply-service recorded as applied for {@code pipelineId}. */
    private static OptionalLong recordedPosition(KeyValue checkpoints, String pipelineId) {
        try {
            KeyValueEntry entry = checkpoints.get(KvKeys.applyStreamPosition(pipelineId));
            return ApplyStreamPosition.decode(entry == null ? null : entry.getValue());
        } catch (IOException | JetStreamApiException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    private void publishStatusQuietly() {
        purgeAppliedQuietly();
        try {
            updateLag();
            if (control == null) {
                return;
            }
            PipelineStatus status = status();
            control.status().put(KvKeys.pipeline(spec.gatewayId()), status);
            for (TableStatus t : tableStatuses()) {
                control.status().put(KvKeys.tableStatus(spec.gatewayId(), TableId.of(t.sourceSchema(), t.sourceTable())), t);
            }
            if (status.state() != lastPublished) {
                control.publish(Subjects.pipelineState(spec.gatewayId()), status);
                lastPublished = status.state();
            }
        } catch (RuntimeException e) {
            LOG.debugf("status of gateway %s not published: %s", spec.gatewayId(), e.toString());
        }
    }

    private void updateLag() {
        ChangeCapture c = capture;
        if (c == null || !c.confirmedLsn().isValid()) {
            return;
        }
        try (java.sql.Connection conn = sql().connect(); Statement s = conn.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            lagBytes = Math.max(0, Lsn.parse(rs.getString(1)).bytesSince(c.confirmedLsn()));
        } catch (SQLException | RuntimeException e) {
            // reported through the capture's own state
        }
    }

    /** The capture, once started (for tests and status). */
    public ChangeCapture capture() {
        return capture;
    }

    /** The snapshots, once started. */
    public TableSnapshots snapshots() {
        return snapshots;
    }

    public List<TableId> tables() {
        return tables;
    }

    @Override
    public void close() {
        closed = true;
        scheduler.shutdownNow();
        synchronized (this) {
            if (snapshots != null) {
                snapshots.close();
            }
            if (capture != null) {
                capture.close();
            }
            if (metrics != null) {
                metrics.close();
            }
            if (control != null) {
                try {
                    control.status().put(KvKeys.pipeline(spec.gatewayId()), new PipelineStatus(spec.gatewayId(), PipelineState.IDLE,
                            "stopped", List.of(), System.currentTimeMillis()));
                } catch (RuntimeException ignored) {
                    // best effort
                }
            }
            if (nats != null) {
                try {
                    nats.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
