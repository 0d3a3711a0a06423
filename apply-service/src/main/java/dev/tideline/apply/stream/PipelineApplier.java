package dev.tideline.apply.stream;

import dev.tideline.apply.delta.DeltaTableSink;
import dev.tideline.apply.delta.DeltaTableWriter;
import dev.tideline.apply.delta.WriterSettings;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.naming.Streams;
import dev.tideline.core.naming.Subjects;
import dev.tideline.core.wire.Ack;
import dev.tideline.core.wire.ChangeBatch;
import dev.tideline.core.wire.WireCodec;
import dev.tideline.core.wire.WireHeaders;
import dev.tideline.delta.TableLocations;
import io.delta.kernel.engine.Engine;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.ServerInfo;
import io.nats.client.api.StreamInfo;
import io.nats.client.impl.Headers;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Applies one ingestion pipeline: a durable pull consumer ({@code tideline-apply-<pipeline>}) on its
 * gateway's staging stream, explicit acks, one {@link TableApplier} per source table.
 *
 * <p>Each {@link #pollOnce()} reads what the stream holds for the consumer (pull after pull, up to
 * {@link ApplySettings#fetchBytes()} per round), routes it to the tables, and commits the tables whose batch is
 * due ({@link FlushPolicy}). Messages of tables the pipeline does not ingest are acknowledged and dropped.
 *
 * <p><b>Staging gap.</b> If the stream no longer holds messages the consumer had not acknowledged
 * (expired by the stream's max age or size, or purged), changes were lost for this pipeline: every
 * table is FAILED with "run a full refresh" and nothing is skipped silently.
 *
 * <p>Not thread-safe: one thread drives an applier. The commits of the tables due in one round overlap on
 * the pipeline's {@link ApplySettings#commitThreads()} threads ({@link ParallelCommits}); each table is
 * still touched by one thread at a time.
 */
public final class PipelineApplier implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PipelineApplier.class);
    /** How often a triggered update that waits for an initial snapshot says so in the log. */
    private static final Duration WAITING_REPORT_INTERVAL = Duration.ofSeconds(30);
    /** How long past its expiry a pull waits for the server's closing status. */
    private static final Duration PULL_GRACE = Duration.ofMillis(100);

    private final Connection nats;
    private final String gatewayId;
    private final String pipelineId;
    private final TableRouter router;
    private final Engine engine;
    private final String warehouse;
    private final ApplySettings settings;
    private final WriterSettings writerSettings;
    private final ApplyListener listener;
    private final String streamName;
    private final String durable;
    private final ApplyFaults faults;
    private final ParallelCommits commits;

    private final Map<TableId, TableApplier> tables = new LinkedHashMap<>();
    private final Map<TableId, Boolean> ignored = new HashMap<>();
    private JetStreamSubscription subscription;
    private JetStreamManagement management;
    private boolean gapReported;
    private long lastGapCheckNanos;
    private StreamPosition position;

    public PipelineApplier(Connection nats, String gatewayId, String pipelineId, TableRouter router, Engine engine, String warehouse,
                           ApplySettings settings, WriterSettings writerSettings, ApplyListener listener) {
        this(nats, gatewayId, pipelineId, router, engine, warehouse, settings, writerSettings, listener, ApplyFaults.NONE);
    }

    /** An applier that calls {@code faults} at its {@link ApplyFaults} points (tests). */
    public PipelineApplier(Connection nats, String gatewayId, String pipelineId, TableRouter router, Engine engine, String warehouse,
                           ApplySettings settings, WriterSettings writerSettings, ApplyListener listener, ApplyFaults faults) {
        this.nats = Objects.requireNonNull(nats, "nats");
        this.gatewayId = gatewayId;
        this.pipelineId = pipelineId;
        this.router = router;
        this.engine = engine;
        this.warehouse = warehouse;
        this.settings = settings;
        this.writerSettings = writerSettings;
        this.listener = listener;
        this.streamName = Streams.changes(gatewayId);
        this.durable = "tideline-apply-" + pipelineId;
        this.faults = Objects.requireNonNull(faults, "faults");
        this.commits = new ParallelCommits(pipelineId, settings.commitThreads());
    }

    public String durableName() {
        return durable;
    }

    /**
     * Creates (or binds to) the durable consumer and checks for a staging gap.
     *
     * @throws TidelineException RETRYABLE when NATS or the stream is not there yet
     */
    public void start() {
        try {
            management = nats.jetStreamManagement();
            ConsumerConfiguration.Builder config = ConsumerConfiguration.builder()
                    .durable(durable)
                    .filterSubject(Subjects.allTables(gatewayId))
                    .ackPolicy(AckPolicy.Explicit)
                    .ackWait(settings.ackWait())
                    .maxAckPending(settings.maxAckPending())
                    .maxDeliver(-1);
            ConsumerInfo existing = null;
            try {
                existing = management.getConsumerInfo(streamName, durable);
            } catch (JetStreamApiException e) {
                if (e.getErrorCode() != 404) {
                    throw e;
                }
            }
            if (existing != null && existing.getNumAckPending() > 0) {
                // A previous applier died holding messages. JetStream would redeliver them only after
                // the ack wait, behind newer messages — and a table must see its transactions in
                // order. Restart the consumer right after the acknowledged floor instead; what was
                // acknowledged beyond it is skipped by LSN.
                long floor = existing.getAckFloor().getStreamSequence();
                LOG.infof("pipeline %s: %d messages were unacknowledged by the previous run; re-reading from stream sequence %d",
                        pipelineId, existing.getNumAckPending(), floor + 1);
                management.deleteConsumer(streamName, durable);
                config.deliverPolicy(DeliverPolicy.ByStartSequence).startSequence(floor + 1);
            } else if (existing != null) {
                config.deliverPolicy(existing.getConsumerConfiguration().getDeliverPolicy());
                if (existing.getConsumerConfiguration().getDeliverPolicy() == DeliverPolicy.ByStartSequence) {
                    config.startSequence(existing.getConsumerConfiguration().getStartSequence());
                }
            } else {
                config.deliverPolicy(DeliverPolicy.All);
            }
            management.addOrUpdateConsumer(streamName, config.build());
            JetStream js = nats.jetStream();
            subscription = js.subscribe(Subjects.allTables(gatewayId), PullSubscribeOptions.bind(streamName, durable));
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            throw new TidelineException(TidelineException.Kind.RETRYABLE, "pipeline " + pipelineId + ": cannot consume stream "
                    + streamName + ": " + e.getMessage(), "check that NATS is reachable and that gateway " + gatewayId
                    + " has created its stream (it does on its first start)", e);
        }
        for (TableTarget target : router.knownTargets()) {
            applier(target.source());
        }
        checkStagingGap();
    }

    /**
     * One round: read, then commit what is due. The round reads pull after pull until the stream has no more
     * for the consumer (a pull comes back short), until the pulls of the round hold {@link ApplySettings#fetchBytes()}
     * of payload or took {@link ApplySettings#maxBatchDelay()}, or until some table is due without waiting for the
     * round to end ({@link TableApplier#due}: its size cap, its oldest transaction's age cap, a staged
     * transaction). Then every table whose buffered
     * transactions the {@link FlushPolicy} lets go when nothing more is read for it commits.
     *
     * <p>Why the round reads on under a backlog: commits take the time, and a round that read one pull before
     * committing gave each table only what one pull brought it. At a thousand tables, each pull of 64 messages
     * touched dozens of tables, which then committed a transaction or two at their age cap while the applier,
     * busy committing, read ~300 messages a second of a 1,000 tx/s load, and the backlog grew without end
     * ({@code ManyTablesBenchmark}). Reading the backlog first gives each table all it has in one commit, so the
     * number of commits follows the number of tables touched, not the number of messages; memory stays within
     * one round's {@code fetchBytes} of payload (as one pull's before) plus the buffered changes each table caps.
     *
     * @return messages received
     * @throws TidelineException RETRYABLE on NATS or storage trouble (nothing committed is lost;
     *                           unacknowledged messages come back); FATAL for a message written by a
     *                           newer Tideline
     */
    public int pollOnce() {
        // Pulled messages are held whole, payloads included, until they are routed: a pull asks for no more than
        // fetchBytes / max_payload of them, and the round stops pulling once it has read fetchBytes.
        int requested = settings.fetchCount(maxPayload());
        int received = 0;
        long bytes = 0;
        long started = System.nanoTime();
        while (true) {
            List<Message> messages;
            try {
                messages = pull(requested);
            } catch (RuntimeException e) {
                throw new TidelineException(TidelineException.Kind.RETRYABLE, "pipeline " + pipelineId + ": fetch from " + streamName
                        + " failed: " + e, "check that NATS is reachable; the applier retries", e);
            }
            for (int i = 0; i < messages.size(); i++) {
                if (i == messages.size() / 2 && messages.size() > 1) {
                    faults.at(ApplyFaults.MID_FETCH);
                }
                Message m = messages.get(i);
                bytes += m.getData() == null ? 0 : m.getData().length;
                route(m);
            }
            received += messages.size();
            if (messages.size() < requested || bytes >= settings.fetchBytes() || anyDueNow()
                    || System.nanoTime() - started >= settings.maxBatchDelay().toNanos()) {
                break;
            }
        }
        // The round's reading is over: waiting now cannot add to any table's batch before the commits below.
        long now = System.nanoTime();
        List<Runnable> due = new ArrayList<>();
        for (TableApplier t : tables.values()) {
            t.keepAlive(now);
            if (t.due(now, true)) {
                due.add(t::flush);
            }
        }
        commits.run(due);
        if (now - lastGapCheckNanos > Duration.ofSeconds(10).toNanos()) {
            checkStagingGap();
        }
        return received;
    }

    /** Whether some table is due while more of the stream waits: its size or age cap, or a staged transaction. */
    private boolean anyDueNow() {
        long now = System.nanoTime();
        for (TableApplier t : tables.values()) {
            if (t.due(now, false)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Up to {@code count} messages: what the stream holds for the consumer now, at once — or, when it holds
     * none, the first that arrive within the fetch wait. JetStream's {@code no_wait} with {@code expires}
     * ends the request when no more messages are pending; nats.java's {@code fetch} would wait for a full
     * batch, and below {@code count} messages per wait every transaction would sit out the whole wait in
     * the stream (issue 17). The subscription stays, so a message delivered after this returns is read by
     * the next pull, in order.
     */
    private List<Message> pull(int count) {
        subscription.pullNoWait(count, settings.fetchWait());
        List<Message> messages = new ArrayList<>();
        // A little past the server's expiry, so that its closing status normally arrives first.
        long deadline = System.nanoTime() + settings.fetchWait().toNanos() + PULL_GRACE.toNanos();
        try {
            while (messages.size() < count) {
                long left = deadline - System.nanoTime();
                Message m = left > 0 ? subscription.nextMessage(Duration.ofNanos(left)) : null;
                if (m == null) {
                    break; // the request ended (404/408: nothing more pending, or expired) or timed out
                }
                messages.add(m);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while pulling", e);
        }
        return messages;
    }

    /** The largest message the server accepts (NATS's default, 1 MiB, while it is not known). */
    private long maxPayload() {
        ServerInfo info = nats.getServerInfo();
        return info == null || info.getMaxPayload() <= 0 ? 1024 * 1024 : info.getMaxPayload();
    }

    /** Commits every table's complete buffered transactions now, whatever their age. */
    public void flushAll() {
        List<Runnable> all = new ArrayList<>();
        for (TableApplier t : tables.values()) {
            all.add(t::flush);
        }
        commits.run(all);
    }

    /**
     * A triggered update: applies everything staged when called, then returns. Like the first run of a
     * Lakeflow pipeline, it also waits until every table the pipeline names explicitly has had its
     * initial load: an update started before the gateway staged a table's snapshot (or even created
     * its stream) would otherwise end at once with nothing applied.
     *
     * @param timeout gives up (RETRYABLE) when not caught up by then
     */
    public void runUntilCaughtUp(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long nextReport = System.nanoTime() + WAITING_REPORT_INTERVAL.toNanos();
        while (true) {
            int n = pollOnce();
            if (n == 0) {
                flushAll();
                if (unfinished() == 0 && tables.values().stream().noneMatch(TableApplier::holdsMessages)) {
                    List<TableId> waiting = tablesAwaitingInitialLoad();
                    if (waiting.isEmpty()) {
                        recordPosition();
                        return;
                    }
                    if (System.nanoTime() > nextReport) {
                        LOG.infof("pipeline %s: update waits for the gateway's initial snapshot of %s", pipelineId, waiting);
                        nextReport = System.nanoTime() + WAITING_REPORT_INTERVAL.toNanos();
                    }
                }
            }
            if (System.nanoTime() > deadline) {
                throw new TidelineException(TidelineException.Kind.RETRYABLE, "pipeline " + pipelineId
                        + ": not caught up with the stream within " + timeout, "the next update continues where this one stopped");
            }
        }
    }

    /** Explicitly named source tables whose Delta table was never loaded. */
    private List<TableId> tablesAwaitingInitialLoad() {
        List<TableId> waiting = new ArrayList<>();
        for (TableTarget target : router.knownTargets()) {
            TableApplier applier = applier(target.source());
            if (applier != null && !applier.loaded()) {
                waiting.add(target.source());
            }
        }
        return waiting;
    }

    /**
     * Messages not yet delivered plus delivered and not acknowledged: a fetch that timed out may
     * leave messages on their way to this client, and acknowledgements are asynchronous.
     */
    private long unfinished() {
        try {
            nats.flush(Duration.ofSeconds(5));
            ConsumerInfo info = management.getConsumerInfo(streamName, durable);
            return info.getNumPending() + info.getNumAckPending();
        } catch (Exception e) {
            throw new TidelineException(TidelineException.Kind.RETRYABLE, "pipeline " + pipelineId + ": consumer info failed: " + e,
                    "check that NATS is reachable", e);
        }
    }

    /** Messages the stream holds for this consumer that were not delivered yet. */
    public long pending() {
        try {
            return management.getConsumerInfo(streamName, durable).getNumPending();
        } catch (IOException | JetStreamApiException e) {
            throw new TidelineException(TidelineException.Kind.RETRYABLE, "pipeline " + pipelineId + ": consumer info failed: " + e,
                    "check that NATS is reachable", e);
        }
    }

    /** The table appliers, by source table. */
    public Collection<TableApplierView> tables() {
        return tables.values().stream().map(TableApplierView::new).toList();
    }

    /** A read-only view of one table's state. */
    public record TableApplierView(TableTarget target, String appliedLsn, boolean failed, String failure, long rowsApplied) {
        TableApplierView(TableApplier t) {
            this(t.target(), t.appliedLsn().toString(), t.isFailed(), t.failure(), t.rowsApplied());
        }
    }

    private void route(Message m) {
        ChangeBatch batch;
        try {
            batch = decode(m);
        } catch (TidelineException e) {
            throw e;
        }
        TableId table = batch.table();
        Ack ack = JetStreamAck.of(m);
        if (table == null) {
            ack.ack();
            return;
        }
        TableApplier applier = applier(table);
        if (applier == null) {
            ack.ack(); // not ingested by this pipeline
            return;
        }
        applier.accept(ack, batch);
    }

    private static ChangeBatch decode(Message m) {
        Map<String, String> headers = new HashMap<>();
        Headers h = m.getHeaders();
        if (h != null) {
            for (String key : h.keySet()) {
                headers.put(key, h.getFirst(key));
            }
        }
        try {
            return WireCodec.decode(headers, m.getData());
        } catch (TidelineException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new TidelineException(TidelineException.Kind.FATAL, "message " + headers.get(WireHeaders.NATS_MSG_ID)
                    + " on " + m.getSubject() + " cannot be decoded: " + e.getMessage(),
                    "upgrade apply-service to the gateway's version; the message stays in the stream", e);
        }
    }

    private TableApplier applier(TableId source) {
        TableApplier existing = tables.get(source);
        if (existing != null) {
            return existing;
        }
        if (ignored.containsKey(source)) {
            return null;
        }
        Optional<TableTarget> target = router.route(source);
        if (target.isEmpty()) {
            ignored.put(source, Boolean.TRUE);
            return null;
        }
        TableTarget t = target.get();
        String location = TableLocations.of(warehouse, t.catalog(), t.schema(), t.table());
        DeltaTableWriter writer = DeltaTableWriter.open(engine, location, t.appId(pipelineId), source, writerSettings);
        TableApplier applier = new TableApplier(pipelineId, t, new DeltaTableSink(writer, t.primaryKeys(), t.scdType(), t.fullName()),
                listener, settings, faults);
        tables.put(source, applier);
        LOG.infof("pipeline %s: table %s → %s (%s), applied up to %s%s", pipelineId, source, t.fullName(), location,
                applier.appliedLsn(), applier.isFailed() ? ", FAILED: " + applier.failure() : "");
        return applier;
    }

    /**
     * Detects a staging gap: the stream's first message is beyond the acknowledged position this
     * applier last recorded + 1, while it does not hold that next message itself — so messages the
     * pipeline never applied were removed. Then records the consumer's current floor.
     */
    void checkStagingGap() {
        lastGapCheckNanos = System.nanoTime();
        if (gapReported) {
            return;
        }
        try {
            if (position == null) {
                position = new StreamPosition(nats, pipelineId);
            }
            long recorded = position.read();
            StreamInfo stream = management.getStreamInfo(streamName);
            long first = stream.getStreamState().getFirstSequence();
            long minHeld = Long.MAX_VALUE;
            for (TableApplier t : tables.values()) {
                minHeld = Math.min(minHeld, t.minHeldStreamSequence());
            }
            if (recorded >= 0 && first > recorded + 1 && minHeld > recorded + 1 && stream.getStreamState().getMsgCount() >= 0) {
                gapReported = true;
                TidelineException gap = new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                        "pipeline " + pipelineId + ": the staging stream " + streamName + " dropped messages " + (recorded + 1) + ".."
                                + (first - 1) + " before they were applied (expired by the stream's max age or size, or purged)",
                        "run a full refresh of the pipeline's tables; raise the gateway stream's max age/bytes or run the "
                                + "pipeline more often so staged changes are applied before they expire");
                LOG.error(gap.getMessage());
                for (TableTarget target : router.knownTargets()) {
                    applier(target.source());
                }
                for (TableApplier t : tables.values()) {
                    t.failFromOutside(gap);
                }
            }
            ConsumerInfo consumer = management.getConsumerInfo(streamName, durable);
            long acknowledged = consumer.getAckFloor().getStreamSequence();
            // The record never moves back within one stream: a consumer re-created after a crash (see
            // start()) reports an ack floor of 0 until its first acknowledgement, and writing that would
            // make the stream, purged up to the old record, look like a gap at the next check (a kill -9
            // of apply-service failed every table this way). Only a new stream, whose last sequence is
            // below the record, starts the record again.
            long last = stream.getStreamState().getLastSequence();
            long floor = recorded > last ? acknowledged : Math.max(recorded, acknowledged);
            if (gapReported) {
                floor = Math.max(floor, first - 1);
            }
            if (floor != recorded) {
                position.write(floor);
            }
        } catch (IOException | JetStreamApiException e) {
            LOG.debugf("pipeline %s: staging gap check skipped: %s", pipelineId, e.toString());
        }
    }

    public boolean stagingGapDetected() {
        return gapReported;
    }

    /** Makes sure the acknowledgements reached the server, then records the consumer's floor (gap detection). */
    private void recordPosition() {
        try {
            nats.flush(Duration.ofSeconds(5));
        } catch (Exception e) {
            LOG.debugf("flush before recording the stream position failed: %s", e.toString());
            return;
        }
        checkStagingGap();
    }

    /** Unsubscribes; the durable consumer stays, so the next applier resumes where this one acknowledged. */
    @Override
    public void close() {
        commits.close();
        if (subscription != null) {
            try {
                subscription.unsubscribe();
            } catch (RuntimeException e) {
                LOG.debugf("unsubscribe failed: %s", e.toString());
            }
        }
    }
}
