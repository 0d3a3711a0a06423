package dev.tideline.sync.service;

import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.lease.LeaseSettings;
import dev.tideline.control.lease.WorkLeases;
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
 * Keeps one {@link SyncRunner} per synced table spec in KV ({@code synced.>} in {@code tideline-specs}) that
 * this replica holds the lease of ({@link WorkLeases}: replicas of sync-service split the synced tables, and
 * one table is synced by one replica at a time). Starts runners for new specs it gets, replaces them when a
 * spec changes, and stops them when a spec is deleted (the Postgres table stays, as seed 003 describes) or
 * the lease moves to another replica. A held table's {@link RefreshRequest}s arrive through the table's own
 * durable consumer, so a request waits for whichever replica holds the table; {@link TableCommitted} events
 * from apply-service are notifications every replica sees and filters. Specs and lease changes are handled
 * on one thread of its own, never on the NATS dispatcher. Thread-safe.
 */
public final class SyncSupervisor implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(SyncSupervisor.class);
    /** The lease service name: keys {@code sync.lease.<synced table>} in {@code tideline-leases}. */
    static final String LEASE_SERVICE = "sync";

    private final ControlPlane control;
    private final SyncedTableResolver resolver;
    private final Engine engine;
    private final SyncOptions options;
    private final Duration pollInterval;
    private final Duration maxBackoff;
    private final SyncFaults faults;
    private final SyncMetrics metrics;
    private final LeaseSettings leaseSettings;
    /** Every synced table spec in KV, held or not, by synced table name; written on the spec thread only. */
    private final Map<String, SyncedTableSpec> specs = new ConcurrentHashMap<>();
    private final Map<String, SyncRunner> runners = new ConcurrentHashMap<>();
    private final Map<String, AutoCloseable> refreshConsumers = new ConcurrentHashMap<>();
    /** The last seen value of each connection (as JSON), to tell a change from a repeat; spec thread only. */
    private final Map<String, Object> connections = new ConcurrentHashMap<>();
    private final ExecutorService specThread = Executors.newSingleThreadExecutor(r -> daemon(r, "tideline-sync-specs"));
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(1, r -> daemon(r, "tideline-sync-timer"));
    /**
     * The threads every synced table's syncs run on, each table's one at a time ({@link SerialExecutor}):
     * a thread per table cost 50 threads for 50 tables (issue 17). Four: a refresh mostly waits for
     * Postgres, and a long snapshot of one table leaves three for the others.
     */
    private final ExecutorService workers = Executors.newFixedThreadPool(WORKERS, r -> daemon(r, "tideline-sync-worker"));
    static final int WORKERS = 4;
    private final List<AutoCloseable> subscriptions = new ArrayList<>();
    private volatile WorkLeases leases;

    public SyncSupervisor(ControlPlane control, SecretBox secrets, String warehouse, Engine engine, SyncOptions options,
            Duration pollInterval, Duration maxBackoff, SyncFaults faults) {
        this(control, secrets, warehouse, engine, options, pollInterval, maxBackoff, faults, SyncMetrics.NONE, LeaseSettings.of(null, null));
    }

    public SyncSupervisor(ControlPlane control, SecretBox secrets, String warehouse, Engine engine, SyncOptions options,
            Duration pollInterval, Duration maxBackoff, SyncFaults faults, SyncMetrics metrics, LeaseSettings leaseSettings) {
        this.control = control;
        this.resolver = new SyncedTableResolver(control.specs(), secrets, warehouse);
        this.engine = engine;
        this.options = options;
        this.pollInterval = pollInterval;
        this.maxBackoff = maxBackoff;
        this.faults = faults;
        this.metrics = metrics;
        this.leaseSettings = leaseSettings;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Joins the other replicas, watches the specs and subscribes to commit events. */
    public void start() {
        leases = WorkLeases.start(control, LEASE_SERVICE, leaseSettings, WorkLeases.Listener.on(specThread, this::startRunner, this::stopRunner));
        subscriptions.add(control.specs().watch("synced.>", SyncedTableSpec.class,
                (key, spec) -> specThread.execute(() -> onSpec(key, spec)),
                (key, error) -> LOG.errorf("synced table spec %s is unreadable: %s", key, error.getMessage())));
        subscriptions.add(control.specs().watch("connection.>", Object.class,
                (key, connection) -> specThread.execute(() -> onConnection(key, connection)),
                (key, error) -> LOG.errorf("connection spec %s is unreadable: %s", key, error.getMessage())));
        subscriptions.add(control.subscribe(Subjects.EVENTS_ROOT + ".table.*.*.*.committed", TableCommitted.class, this::onCommitted));
        LOG.infof("sync-service watching synced table specs as replica %s", leases.memberId());
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
        if (spec == null) {
            specs.remove(name);
            SyncRunner existing = runners.get(name);
            if (existing != null) {
                stopRunner(name);
                syncerFor(existing.table()).release();
                new SyncStatusReporter(control, name, existing.table().spec().pipelineId()).remove();
                LOG.infof("synced table %s deleted: syncing stopped; Postgres table %s left in place", name,
                        existing.table().definition().target());
            }
            control.forget(Streams.CONTROL, refreshConsumer(name));
        } else {
            specs.put(name, spec);
            SyncRunner existing = runners.get(name);
            if (existing != null && Objects.equals(existing.table().spec(), spec)) {
                return; // the watch repeats a value we already run
            }
            if (existing != null) {
                stopRunner(name);
            }
            startRunner(name); // when this replica holds the table; the lease may also come later
        }
        leases.offer(specs.keySet());
    }

    /**
     * A connection changed (PATCH, e.g. a rotated password): the synced tables writing through it restart with
     * the new options. The first value seen of each connection is only remembered.
     */
    private void onConnection(String key, Object connection) {
        String name = IdentifierTokens.decode(key.substring("connection.".length()));
        Object previous = connection == null ? connections.remove(name) : connections.put(name, connection);
        if (connection == null || previous == null || previous.equals(connection)) {
            return;
        }
        for (Map.Entry<String, SyncRunner> running : List.copyOf(runners.entrySet())) {
            if (name.equals(running.getValue().table().spec().target().connectionName())) {
                LOG.infof("connection %s changed: synced table %s reconnects with it", name, running.getKey());
                stopRunner(running.getKey());
                startRunner(running.getKey());
            }
        }
    }

    /** Starts syncing a held synced table from its spec (if the spec is known yet; else when it arrives). */
    private void startRunner(String name) {
        SyncedTableSpec spec = specs.get(name);
        if (spec == null || runners.containsKey(name) || !leases.holds(name)) {
            return;
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
        SyncRunner runner = new SyncRunner(resolved, syncerFor(resolved), sourceFor(resolved), status, metrics, timer, workers, pollInterval,
                maxBackoff);
        runners.put(name, runner);
        runner.start();
        refreshConsumers.put(name, control.listenFor(Streams.CONTROL, refreshConsumer(name), Subjects.syncedTableRefresh(name),
                RefreshRequest.class, (subject, request) -> runner.refresh(request)));
        LOG.infof("synced table %s: %s sync of %s into %s started", name, resolved.definition().policy(),
                resolved.definition().sourceTableName(), resolved.definition().target());
    }

    private void stopRunner(String name) {
        AutoCloseable consumer = refreshConsumers.remove(name);
        if (consumer != null) {
            try {
                consumer.close();
            } catch (Exception e) {
                LOG.debugf("closing the refresh consumer of %s: %s", name, e.getMessage());
            }
        }
        SyncRunner runner = runners.remove(name);
        if (runner != null) {
            runner.close();
        }
    }

    /** The synced table's own refresh-request consumer (a name NATS accepts: the name's identifier token). */
    private static String refreshConsumer(String name) {
        return "sync-refresh-" + IdentifierTokens.encode(name);
    }

    private DeltaSource sourceFor(ResolvedSyncedTable t) {
        return new DeltaSource(engine, t.definition().sourceTablePath(), t.definition().sourceTableName());
    }

    private SyncedTableSyncer syncerFor(ResolvedSyncedTable t) {
        return new SyncedTableSyncer(t.definition(), t.target(), sourceFor(t), options, faults);
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
        if (leases != null) {
            leases.close(); // stops every held runner (on the spec thread) and frees the leases
        }
        specThread.shutdown();
        try {
            specThread.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List.copyOf(runners.keySet()).forEach(this::stopRunner);
        timer.shutdownNow();
        workers.shutdown();
    }
}
