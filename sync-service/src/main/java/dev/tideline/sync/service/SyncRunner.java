package dev.tideline.sync.service;

import dev.tideline.control.message.RefreshRequest;
import dev.tideline.control.message.TableCommitted;
import dev.tideline.control.status.SyncedTableState;
import dev.tideline.core.TidelineException;
import dev.tideline.sync.delta.DeltaSource;
import dev.tideline.sync.engine.SyncOutcome;
import dev.tideline.sync.engine.SyncedTableSyncer;
import dev.tideline.sync.model.SchedulingPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Runs the syncs of one synced table, one at a time on its own thread: the initial snapshot at start
 * (every mode begins with one), a refresh per {@link RefreshRequest}, and — in CONTINUOUS mode — a
 * refresh as soon as a {@link TableCommitted} event or the polling fallback sees a newer Delta
 * version. Requests that arrive while a sync runs are coalesced into one follow-up sync (a full
 * refresh wins). Retryable failures are retried with exponential backoff (1 s … maxBackoff); others
 * leave the table in a failed state until the next request, spec change or new Delta version.
 * Thread-safe.
 */
final class SyncRunner implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(SyncRunner.class);

    private final ResolvedSyncedTable table;
    private final SyncedTableSyncer syncer;
    private final DeltaSource source;
    private final SyncStatusReporter status;
    private final SyncMetrics metrics;
    private final ScheduledExecutorService timer;
    private final Duration pollInterval;
    private final Duration maxBackoff;
    /** This table's syncs, one at a time, on the supervisor's shared workers. */
    private final SerialExecutor worker;
    private final AtomicBoolean queued = new AtomicBoolean();
    private final Queue<String> requestIds = new ConcurrentLinkedQueue<>();
    private volatile boolean fullRefreshPending;
    private volatile boolean closed;
    private volatile long syncedVersion = -1;
    /** After a failure that needs an operator: new Delta versions above this one retry automatically. */
    private volatile long failedAtVersion = -1;
    private volatile boolean online;
    private ScheduledFuture<?> poller;
    /** The pending retry after a retryable failure; while it waits, events and polls do not start extra runs. */
    private volatile ScheduledFuture<?> retry;
    private int failures;
    private long totalRows;

    SyncRunner(ResolvedSyncedTable table, SyncedTableSyncer syncer, DeltaSource source, SyncStatusReporter status, SyncMetrics metrics,
            ScheduledExecutorService timer, Executor workers, Duration pollInterval, Duration maxBackoff) {
        this.table = table;
        this.syncer = syncer;
        this.source = source;
        this.status = status;
        this.metrics = metrics;
        this.timer = timer;
        this.pollInterval = pollInterval;
        this.maxBackoff = maxBackoff;
        this.worker = new SerialExecutor(workers);
        this.totalRows = status.totalRowsApplied();
    }

    String name() {
        return table.definition().name();
    }

    ResolvedSyncedTable table() {
        return table;
    }

    SchedulingPolicy policy() {
        return table.definition().policy();
    }

    /** Starts: the first sync now; CONTINUOUS also polls for new versions. */
    void start() {
        status.report(SyncedTableState.PROVISIONING, "starting", null, null, null, 0, totalRows, true);
        trigger(false, null);
        if (policy() == SchedulingPolicy.CONTINUOUS) {
            long ms = pollInterval.toMillis();
            poller = timer.scheduleWithFixedDelay(this::poll, ms, ms, TimeUnit.MILLISECONDS);
        }
    }

    void refresh(RefreshRequest request) {
        trigger(request.fullRefresh(), request.requestId() == null ? UUID.randomUUID().toString() : request.requestId());
    }

    /** A new Delta version of the source table was committed. */
    void committed(TableCommitted event) {
        if (policy() == SchedulingPolicy.CONTINUOUS && !retryPending() && event.deltaVersion() > Math.max(syncedVersion, failedAtVersion)) {
            trigger(false, null);
        }
    }

    /** The fallback for tables written by others (Spark, Databricks): no event, so look. */
    private void poll() {
        if (closed || queued.get() || retryPending()) {
            return;
        }
        try {
            long latest = source.latest().getVersion();
            if (latest > Math.max(syncedVersion, failedAtVersion)) {
                trigger(false, null);
            }
        } catch (RuntimeException e) {
            LOG.debugf("synced table %s: polling %s failed: %s", name(), table.definition().sourceTableName(), e.getMessage());
        }
    }

    private void trigger(boolean fullRefresh, String requestId) {
        if (closed) {
            return;
        }
        if (fullRefresh) {
            fullRefreshPending = true;
        }
        if (requestId != null) {
            requestIds.add(requestId);
        }
        if (queued.compareAndSet(false, true)) {
            worker.execute(this::runOnce);
        }
    }

    private void runOnce() {
        queued.set(false); // anything arriving from now on gets its own follow-up run
        if (closed) {
            return;
        }
        boolean full = fullRefreshPending;
        fullRefreshPending = false;
        List<String> ids = new ArrayList<>();
        for (String id; (id = requestIds.poll()) != null; ) {
            ids.add(id);
        }
        try {
            if (!online && syncedVersion < 0) {
                online = syncer.syncedState().isPresent();
            }
            if (failures == 0) {
                // While the last run failed, its FAILED status stands until a run succeeds: a "running" state
                // in between would show the table healthy for as long as the next attempt takes.
                status.report(runningState(), full ? "full refresh running" : "refresh running", null, null, null, 0, totalRows, true);
            }
            SyncOutcome outcome = syncer.sync(full);
            failures = 0;
            failedAtVersion = -1;
            syncedVersion = outcome.toVersion();
            online = true;
            totalRows += outcome.rowsApplied();
            metrics.synced(name(), outcome);
            String message = outcome.mode() == SyncOutcome.Mode.NONE ? "up to date with Delta version " + outcome.toVersion()
                    : String.format("synced Delta version %d: %s of %d rows in %d ms (%s)", outcome.toVersion(),
                            outcome.mode() == SyncOutcome.Mode.SNAPSHOT ? "snapshot" : "incremental refresh", outcome.rowsApplied(),
                            outcome.duration().toMillis(), outcome.reason());
            status.report(idleState(), message, outcome.toVersion(), System.currentTimeMillis(),
                    outcome.sourceCommitAtMillis() < 0 ? null : outcome.sourceCommitAtMillis(), outcome.rowsApplied(), totalRows, false);
            if (outcome.mode() != SyncOutcome.Mode.NONE || !ids.isEmpty()) {
                String id = ids.isEmpty() ? null : ids.get(ids.size() - 1);
                status.refreshed(id, outcome.toVersion(), outcome.rowsApplied(), outcome.mode() == SyncOutcome.Mode.SNAPSHOT);
            }
        } catch (RuntimeException e) {
            fail(e, full, ids);
        }
    }

    private void fail(RuntimeException e, boolean full, List<String> ids) {
        failures++;
        boolean retryable = !(e instanceof TidelineException t) || t.isRetryable();
        String hint = e instanceof TidelineException t && t.hint() != null ? " Fix: " + t.hint() : "";
        metrics.failed(name(), retryable);
        SyncedTableState state = online ? SyncedTableState.ONLINE_PIPELINE_FAILED : SyncedTableState.OFFLINE_FAILED;
        if (retryable && !closed) {
            long delayMs = Math.min(maxBackoff.toMillis(), 1000L << Math.min(failures - 1, 16));
            LOG.warnf("synced table %s: sync failed (attempt %d), retrying in %d ms: %s", name(), failures, delayMs, e.getMessage());
            status.report(state, e.getMessage() + " (retrying in " + delayMs / 1000 + " s)." + hint, null, null, null, 0, totalRows, false);
            requestIds.addAll(ids);
            if (full) {
                fullRefreshPending = true;
            }
            if (!retryPending()) {
                this.retry = timer.schedule(() -> trigger(false, null), delayMs, TimeUnit.MILLISECONDS);
            }
        } else {
            LOG.errorf("synced table %s: sync failed and needs an operator: %s", name(), e.getMessage());
            try {
                failedAtVersion = source.latest().getVersion();
            } catch (RuntimeException unreadable) {
                // No source table (yet): CONTINUOUS polling retries as soon as any version of it exists.
                failedAtVersion = -1;
            }
            status.report(state, e.getMessage() + "." + hint, null, null, null, 0, totalRows, false);
        }
    }

    private boolean retryPending() {
        ScheduledFuture<?> r = retry;
        return r != null && !r.isDone();
    }

    private SyncedTableState runningState() {
        if (!online) {
            return SyncedTableState.PROVISIONING_INITIAL_SNAPSHOT;
        }
        return policy() == SchedulingPolicy.CONTINUOUS ? SyncedTableState.ONLINE_CONTINUOUS_UPDATE : SyncedTableState.ONLINE_TRIGGERED_UPDATE;
    }

    private SyncedTableState idleState() {
        return policy() == SchedulingPolicy.CONTINUOUS ? SyncedTableState.ONLINE_CONTINUOUS_UPDATE : SyncedTableState.ONLINE_NO_PENDING_UPDATE;
    }

    /** The Delta version Postgres reflects as far as this runner knows, or -1. */
    long syncedVersion() {
        return syncedVersion;
    }

    /** Stops: no new syncs; a sync in progress finishes (or is abandoned by its transaction when the JVM exits). */
    @Override
    public void close() {
        closed = true;
        if (poller != null) {
            poller.cancel(false);
        }
        worker.shutdown();
        try {
            if (!worker.awaitIdle(30_000)) {
                LOG.warnf("synced table %s: a sync still runs 30 s after the stop; it ends with its transaction", name());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
