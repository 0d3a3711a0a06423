package dev.tideline.sync.service;

import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.message.RefreshRequest;
import dev.tideline.control.message.TableCommitted;
import dev.tideline.control.secret.SecretBox;
import dev.tideline.control.spec.SyncedTableSpec;
import dev.tideline.control.status.SyncedTableState;
import dev.tideline.core.naming.IdentifierTokens;
import dev.tideline.core.naming.Streams;
import dev.tideline.core.naming.Subjects;
import dev.tideline.sync.delta.DeltaSource;
import dev.tideline.sync.engine.SyncOptions;
import dev.tideline.sync.engine.SyncedTableSyncer;
import dev.tideline.sync.model.SyncFaults;
import io.delta.kernel.engine.Engine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Keeps one {@link SyncRunner} per synced table spec in KV ({@code synced.>} in {@code tideline-specs}):
 * starts runners for new specs, replaces them when a spec changes, and stops them when a spec is
 * deleted (the Postgres table stays, as seed 003 describes). Routes {@link RefreshRequest}s from the
 * control stream and {@link TableCommitted} events from apply-service to the runners. Spec changes
 * are handled on one thread of its own, never on the NATS dispatcher. Thread-safe.
 */
public final class SyncSupervisor implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(SyncSupervisor.class);
    static final String REFRESH_CONSUMER = "tideline-sync-refresh";
    static final String COMMITTED_CONSUMER = "tideline-sync-table-committed";

    private final ControlPlane control;
    private final SyncedTableResolver resolver;
    private final Engine engine;
    private final SyncOptions options;
    private final Duration pollInterval;
    private final Duration maxBackoff;
    private final SyncFaults faults;
    private final SyncMetrics metrics;
    private final Map<String, SyncRunner> runners = new ConcurrentHashMap<>();
    private final ExecutorService specThread = Executors.newSingleThreadExecutor(r -> daemon(r, "tideline-sync-specs"));
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(1, r -> daemon(r, "tideline-sync-timer"));
    private final List<AutoCloseable> subscriptions = new ArrayList<>();

    public SyncSupervisor(ControlPlane control, SecretBox secrets, String warehouse, Engine engine, SyncOptions options,
            Duration pollInterval, Duration maxBackoff, SyncFaults faults) {
        this(control, secrets, warehouse, engine, options, pollInterval, maxBackoff, faults, SyncMetrics.NONE);
    }

    public SyncSupervisor(ControlPlane control, SecretBox secrets, String warehouse, Engine engine, SyncOptions options,
            Duration pollInterval, Duration maxBackoff, SyncFaults faults, SyncMetrics metrics) {
        this.control = control;
        this.resolver = new SyncedTableResolver(control.specs(), secrets, warehouse);
        this.engine = engine;
        this.options = options;
        this.pollInterval = pollInterval;
        this.maxBackoff = maxBackoff;
        this.faults = faults;
        this.metrics = metrics;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Watches the specs and subscribes to refresh requests and commit events. */
    public void start() {
        subscriptions.add(control.specs().watch("synced.>", SyncedTableSpec.class,
                (key, spec) -> specThread.execute(() -> onSpec(key, spec)),
                (key, error) -> LOG.errorf("synced table spec %s is unreadable: %s", key, error.getMessage())));
        subscriptions.add(control.listen(Streams.CONTROL, REFRESH_CONSUMER, Subjects.CONTROL_ROOT + ".synced.*.refresh",
                RefreshRequest.class, this::onRefresh));
        subscriptions.add(control.listen(Streams.EVENTS, COMMITTED_CONSUMER, Subjects.EVENTS_ROOT + ".table.*.*.*.committed",
                TableCommitted.class, this::onCommitted));
        LOG.info("sync-service watching synced table specs");
    }

    /** The runners by synced table name (for tests and health). */
    Map<String, SyncRunner> runners() {
        return Map.copyOf(runners);
    }

    private void onSpec(String key, SyncedTableSpec spec) {
        String name;
        try {
            name = IdentifierTokens.decode(key.substring("synced.".length()));
        } catch (IllegalArgumentException e) {
            LOG.errorf("ignoring KV key %s: not a synced table key", key);
            return;
        }
        SyncRunner existing = runners.get(name);
        if (spec == null) {
            if (existing != null) {
                runners.remove(name);
                existing.close();
                syncerFor(existing.table()).release();
                new SyncStatusReporter(control, name, existing.table().spec().pipelineId()).remove();
                LOG.infof("synced table %s deleted: syncing stopped; Postgres table %s left in place", name,
                        existing.table().definition().target());
            }
            return;
        }
        if (existing != null && Objects.equals(existing.table().spec(), spec)) {
            return; // the watch repeats a value we already run
        }
        if (existing != null) {
            runners.remove(name);
            existing.close();
        }
        SyncStatusReporter status = new SyncStatusReporter(control, name, spec.pipelineId());
        ResolvedSyncedTable resolved;
        try {
            resolved = resolver.resolve(spec);
        } catch (RuntimeException e) {
            String hint = e instanceof dev.tideline.core.TidelineException t && t.hint() != null ? " Fix: " + t.hint() : "";
            LOG.errorf("synced table %s cannot start: %s", name, e.getMessage());
            status.report(SyncedTableState.OFFLINE_FAILED, e.getMessage() + "." + hint, null, null, null, 0, status.totalRowsApplied(), false);
            return;
        }
        SyncRunner runner = new SyncRunner(resolved, syncerFor(resolved), sourceFor(resolved), status, metrics, timer, pollInterval,
                maxBackoff);
        runners.put(name, runner);
        runner.start();
        LOG.infof("synced table %s: %s sync of %s into %s started", name, resolved.definition().policy(),
                resolved.definition().sourceTableName(), resolved.definition().target());
    }

    private DeltaSource sourceFor(ResolvedSyncedTable t) {
        return new DeltaSource(engine, t.definition().sourceTablePath(), t.definition().sourceTableName());
    }

    private SyncedTableSyncer syncerFor(ResolvedSyncedTable t) {
        return new SyncedTableSyncer(t.definition(), t.target(), sourceFor(t), options, faults);
    }

    private void onRefresh(String subject, RefreshRequest request) {
        String[] tokens = subject.split("\\.");
        String name = IdentifierTokens.decode(tokens[tokens.length - 2]);
        SyncRunner runner = runners.get(name);
        if (runner == null) {
            LOG.warnf("refresh request for unknown synced table %s dropped", name);
            return;
        }
        runner.refresh(request);
    }

    private void onCommitted(String subject, TableCommitted event) {
        for (SyncRunner runner : runners.values()) {
            if (runner.table().definition().sourceTableName().equals(event.fullName())) {
                runner.committed(event);
            }
        }
    }

    @Override
    public void close() {
        for (AutoCloseable s : subscriptions) {
            try {
                s.close();
            } catch (Exception e) {
                LOG.debugf("closing a subscription: %s", e.getMessage());
            }
        }
        specThread.shutdown();
        try {
            specThread.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        runners.values().forEach(SyncRunner::close);
        runners.clear();
        timer.shutdownNow();
    }
}
