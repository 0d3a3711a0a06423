package dev.tideline.apply.runner;

import dev.tideline.apply.delta.WriterSettings;
import dev.tideline.apply.stream.ApplySettings;
import dev.tideline.apply.stream.PipelineApplier;
import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.message.UpdateRequest;
import dev.tideline.control.spec.PipelineSpec;
import dev.tideline.control.status.PipelineState;
import dev.tideline.control.status.PipelineStatus;
import dev.tideline.control.status.UpdateState;
import dev.tideline.core.TidelineException;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.core.naming.Subjects;
import io.delta.kernel.engine.Engine;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jboss.logging.Logger;

/**
 * Runs one ingestion pipeline on its own thread: continuously (poll, commit, repeat) when the spec
 * says {@code continuous}, else one update per {@link UpdateRequest} ("apply what is staged, then
 * stop", as a triggered Lakeflow pipeline). Retryable failures (NATS or storage down) back off up
 * to 30 s and retry, reported as RECOVERING — except a gateway stream that does not exist yet at
 * start, which is reported as STARTING (updates WAITING_FOR_RESOURCES); anything else stops the
 * runner as FAILED with the remedy. The pipeline's status goes to {@code tideline-status} and {@code tideline.events}.
 */
public final class ApplyRunner implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ApplyRunner.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final PipelineSpec spec;
    private final ControlPlane control;
    private final NatsConnector connector;
    private Connection connection;
    private final Engine engine;
    private final String warehouse;
    private final ApplySettings settings;
    private final WriterSettings writerSettings;
    private final ApplyMetrics metrics;
    private final BooleanSupplier leased;
    private final LinkedBlockingQueue<UpdateRequest> updates = new LinkedBlockingQueue<>();
    private final List<PipelineStatus.UpdateStatus> history = new ArrayList<>();
    private final Thread thread;
    private volatile boolean stopping;
    private volatile PipelineState state = PipelineState.STARTING;

    /** Opens the runner's own NATS connection for the change stream. */
    public interface NatsConnector {
        Connection connect() throws Exception;
    }

    /**
     * @param leased whether this replica still holds the pipeline's lease; checked before every round, so a replica
     *               that lost the lease stops applying by itself, without waiting for {@link #close} (which the
     *               service calls for one pipeline at a time)
     */
    public ApplyRunner(PipelineSpec spec, ControlPlane control, NatsConnector connector, Engine engine, String warehouse,
                       ApplySettings settings, WriterSettings writerSettings, ApplyMetrics metrics, BooleanSupplier leased) {
        this.spec = spec;
        this.control = control;
        this.connector = connector;
        this.engine = engine;
        this.warehouse = warehouse;
        this.settings = settings;
        this.writerSettings = writerSettings;
        this.metrics = metrics;
        this.leased = leased;
        this.thread = new Thread(this::run, "apply-" + spec.id());
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    public PipelineSpec spec() {
        return spec;
    }

    public PipelineState state() {
        return state;
    }

    /** The triggered update being run, until it completes (only touched by the runner thread). */
    private UpdateRequest inFlight;

    /** Queues an update (a triggered run); a continuous pipeline is always updating and only records it. */
    public void requestUpdate(UpdateRequest request) {
        updates.add(request);
    }

    private void run() {
        long backoffMillis = 250;
        int failures = 0;
        PipelineApplier applier = null;
        while (!stopping) {
            if (!leased.getAsBoolean()) {
                LOG.infof("pipeline %s: this replica no longer holds its lease; stopping", spec.id());
                break;
            }
            try {
                if (connection == null) {
                    connection = connector.connect();
                }
                if (applier == null) {
                    applier = new PipelineApplier(connection, spec.ingestionDefinition().ingestionGatewayId(), spec.id(),
                            SpecTableRouter.of(spec.ingestionDefinition()), engine, warehouse, settings, writerSettings,
                            new ControlPlaneListener(spec.id(), control, metrics));
                    applier.start();
                }
                if (spec.continuous()) {
                    setState(PipelineState.RUNNING, null);
                    UpdateRequest request = updates.poll();
                    if (request != null) {
                        record(request, UpdateState.RUNNING, null);
                    }
                    applier.pollOnce();
                    metrics.lag(spec.id(), applier.pending());
                } else {
                    setState(PipelineState.IDLE, null);
                    UpdateRequest request = inFlight != null ? inFlight : updates.poll(1, TimeUnit.SECONDS);
                    if (request == null) {
                        continue;
                    }
                    // Kept until it completes: a retryable failure mid-update retries the same update.
                    inFlight = request;
                    setState(PipelineState.RUNNING, null);
                    record(request, UpdateState.RUNNING, null);
                    applier.runUntilCaughtUp(Duration.ofHours(6));
                    metrics.lag(spec.id(), applier.pending());
                    inFlight = null;
                    record(request, UpdateState.COMPLETED, null);
                }
                backoffMillis = 250;
                failures = 0;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (TidelineException e) {
                if (e.isRetryable() && state == PipelineState.STARTING && streamNotCreatedYet(e)) {
                    // Right after creation the gateway may not have created its stream yet: that is start-up, not
                    // a failure, so the pipeline stays STARTING and its requested updates wait for resources.
                    for (UpdateRequest waiting : updates) {
                        record(waiting, UpdateState.WAITING_FOR_RESOURCES, null);
                    }
                    setState(PipelineState.STARTING, "waiting for ingestion gateway " + spec.ingestionDefinition().ingestionGatewayId()
                            + " to create its change stream (it does on its first start)");
                    LOG.infof("pipeline %s: %s; retrying in %d ms", spec.id(), e.getMessage(), backoffMillis);
                    if (applier != null) {
                        applier.close();
                        applier = null;
                    }
                    sleep(backoffMillis);
                    backoffMillis = Math.min(MAX_BACKOFF.toMillis(), backoffMillis * 2);
                } else if (e.isRetryable()) {
                    setState(PipelineState.RECOVERING, e.getMessage() + (e.hint() == null ? "" : " Remedy: " + e.hint()));
                    LOG.warnf("pipeline %s: %s; retrying in %d ms", spec.id(), e.getMessage(), backoffMillis);
                    if (applier != null) {
                        applier.close();
                        applier = null; // re-bind: the consumer or connection may have changed
                    }
                    if (++failures % 3 == 0) {
                        // A reconnected client that still gets no JetStream answers is not trusted to heal
                        // (jnats 2.25.1 had such a reconnect race, nats-io/nats.java#1522): start on a fresh connection.
                        closeConnection();
                    }
                    sleep(backoffMillis);
                    backoffMillis = Math.min(MAX_BACKOFF.toMillis(), backoffMillis * 2);
                } else {
                    String message = e.getMessage() + (e.hint() == null ? "" : " Remedy: " + e.hint());
                    failInFlight(message);
                    setState(PipelineState.FAILED, message);
                    LOG.errorf("pipeline %s FAILED: %s", spec.id(), e.toString());
                    break;
                }
            } catch (Exception e) {
                if (e instanceof java.io.IOException && !stopping) {
                    setState(PipelineState.RECOVERING, "cannot connect to NATS: " + e.getMessage());
                    sleep(backoffMillis);
                    backoffMillis = Math.min(MAX_BACKOFF.toMillis(), backoffMillis * 2);
                    continue;
                }
                failInFlight("unexpected error: " + e);
                setState(PipelineState.FAILED, "unexpected error: " + e);
                LOG.errorf(e, "pipeline %s FAILED", spec.id());
                break;
            }
        }
        if (applier != null) {
            applier.close();
        }
        closeConnection();
    }

    /** JetStream's "stream not found" (API error 10059) anywhere in the cause chain. */
    private static boolean streamNotCreatedYet(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof JetStreamApiException api && api.getApiErrorCode() == 10059) {
                return true;
            }
        }
        return false;
    }

    private void failInFlight(String message) {
        if (inFlight != null) {
            record(inFlight, UpdateState.FAILED, message);
            inFlight = null;
        }
    }

    private void closeConnection() {
        close(connection);
        connection = null;
    }

    /** Closes a NATS connection (null: nothing), keeping the thread's interrupt; shared with {@link ApplyService}. */
    static void close(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void record(UpdateRequest request, UpdateState updateState, String message) {
        String id = request.updateId() == null ? UUID.randomUUID().toString() : request.updateId();
        history.removeIf(u -> u.updateId().equals(id));
        history.add(0, new PipelineStatus.UpdateStatus(id, updateState, request.refreshesTables(), request.requestedAtMillis(), message));
        while (history.size() > 5) {
            history.remove(history.size() - 1);
        }
        writeStatus(state, null);
    }

    private void setState(PipelineState newState, String message) {
        if (newState == state && message == null) {
            return;
        }
        state = newState;
        writeStatus(newState, message);
    }

    private void writeStatus(PipelineState s, String message) {
        try {
            PipelineStatus status = new PipelineStatus(spec.id(), s, message, history, System.currentTimeMillis());
            control.status().put(KvKeys.pipeline(spec.id()), status);
            control.publish(Subjects.pipelineState(spec.id()), status);
        } catch (RuntimeException e) {
            LOG.debugf("pipeline %s: status not written: %s", spec.id(), e.toString());
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Asks the runner to stop after its current round, without waiting. */
    public void stop() {
        stopping = true;
    }

    /** {@link #stop()}, then waits up to 10 s for the current round to end. */
    @Override
    public void close() {
        // No interrupt: the loop checks the flag at least every second, and an interrupted NIO
        // write would abort a Delta commit in flight (harmless, but noisy).
        stop();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
