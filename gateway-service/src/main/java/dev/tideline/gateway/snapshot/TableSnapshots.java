package dev.tideline.gateway.snapshot;

import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Runs the snapshots of one gateway's tables while its capture streams: one coordinator per table
 * (so one table's failure never stops another), at most {@link #coordinatorsFor} tables at a time and
 * the others queued in order, chunk reads on a shared pool of {@link SnapshotSettings#parallelism()}
 * threads. A table whose snapshot fails with a retryable
 * error starts again (resuming its chunks) after {@link SnapshotSettings#retryBackoff()}; one that
 * needs an operator stays FAILED until {@link #refresh} or a restart. Thread-safe.
 */
public final class TableSnapshots implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(TableSnapshots.class);

    /**
     * The latest known state of one table's snapshot.
     *
     * @param phases where the time of the run that finished it in this process went; null otherwise
     */
    public record TableState(SnapshotProgress progress, String error, SnapshotPhases phases) {
        public TableState(SnapshotProgress progress, String error) {
            this(progress, error, null);
        }
    }

    private final String gatewayId;
    private final SqlConnector pg;
    private final SnapshotWindows windows;
    private final SnapshotProgressStore store;
    private final SnapshotSettings settings;
    private final ExecutorService coordinators;
    private final ExecutorService readers;
    /** Holds tables waiting out their retry backoff, so that they do not hold a coordinator meanwhile. */
    private final ScheduledExecutorService retries;
    private final ReaderConnections connections;
    /** Chunks read and not yet acknowledged, over all tables: the snapshot's memory bound (see {@link #heldChunksFor}). */
    private final java.util.concurrent.Semaphore heldChunks;
    private final Map<TableId, Future<?>> running = new ConcurrentHashMap<>();
    private final Map<TableId, TableSnapshot> current = new ConcurrentHashMap<>();
    private final Map<TableId, TableState> states = new ConcurrentHashMap<>();

    public TableSnapshots(String gatewayId, SqlConnector pg, SnapshotWindows windows, SnapshotProgressStore store, SnapshotSettings settings) {
        this.gatewayId = gatewayId;
        this.pg = pg;
        this.windows = windows;
        this.store = store;
        this.settings = settings;
        AtomicInteger n = new AtomicInteger();
        this.coordinators = Executors.newFixedThreadPool(coordinatorsFor(settings),
                r -> daemon(r, "tideline-snapshot-" + gatewayId + "-" + n.incrementAndGet()));
        this.connections = new ReaderConnections(pg);
        this.readers = Executors.newFixedThreadPool(settings.parallelism(), r -> daemon(r, "tideline-chunk-" + gatewayId + "-" + n.incrementAndGet()));
        this.retries = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "tideline-snapshot-retry-" + gatewayId));
        this.heldChunks = new java.util.concurrent.Semaphore(heldChunksFor(settings));
    }

    /**
     * How many chunks the gateway holds in memory at most, from the start of their read until JetStream
     * acknowledged their rows: one per reader and one more, so that readers go on to their next chunk
     * while the capture publishes one. Shared by all tables of the gateway: with a count per table, a
     * reader that moved on to another table's chunk while the first one's waited for its watermark
     * held chunks of every table that was snapshotting (up to {@code 2 × parallelism} tables). The
     * snapshot's memory is therefore at most {@code (parallelism + 1) × 1.5 × chunk-bytes} of rows plus
     * the publisher's in-flight window, whatever the size or number of the tables (docs/gateway.md).
     */
    static int heldChunksFor(SnapshotSettings settings) {
        return settings.parallelism() + 1;
    }

    /**
     * How many tables snapshot at once: twice the chunk readers. A coordinator mostly waits (for its
     * watermarks to come back through the stream, for older transactions, for its chunks), so a few
     * more than the readers keep the readers busy; but each one holds a Postgres connection while it
     * waits, so a schema of a thousand tables started all at once would take a thousand threads and
     * run the source out of connections (measured by {@code ManyTablesBenchmark}).
     */
    static int coordinatorsFor(SnapshotSettings settings) {
        return Math.max(2, 2 * settings.parallelism());
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Snapshots every table that has no finished snapshot yet (resuming unfinished ones). */
    public void start(Collection<TableId> tables) {
        for (TableId table : tables) {
            submit(table, false);
        }
    }

    /** Starts a new snapshot of the table (a full refresh), replacing one that runs; streaming continues. */
    public void refresh(TableId table) {
        Future<?> previous = running.remove(table);
        TableSnapshot run = current.remove(table);
        if (run != null) {
            run.cancel();
        }
        if (previous != null) {
            previous.cancel(true);
        }
        submit(table, true);
    }

    private synchronized void submit(TableId table, boolean fullRefresh) {
        Future<?> current = running.get(table);
        if (current != null && !current.isDone()) {
            return;
        }
        running.put(table, coordinators.submit(() -> runOnce(table, fullRefresh)));
    }

    /**
     * After a failure worth retrying, the table waits out {@link SnapshotSettings#retryBackoff()} off the
     * coordinators (a table failing for hours must not hold one of the few coordinators the others queue
     * for), then queues again — unless a full refresh replaced its run meanwhile.
     */
    private synchronized void retryLater(TableId table, TableSnapshot failed, boolean fullRefresh) {
        if (current.get(table) == failed) {
            running.put(table, retries.schedule(() -> requeue(table, failed, fullRefresh), settings.retryBackoff().toMillis(),
                    TimeUnit.MILLISECONDS));
        }
    }

    private synchronized void requeue(TableId table, TableSnapshot failed, boolean fullRefresh) {
        if (current.get(table) == failed) {
            running.put(table, coordinators.submit(() -> runOnce(table, fullRefresh)));
        }
    }

    /** One run of the table's snapshot: to its end, or to a failure (retried later unless FATAL). */
    private void runOnce(TableId table, boolean fullRefresh) {
        TableSnapshot snapshot = new TableSnapshot(gatewayId, table, pg, connections, windows, store, readers, heldChunks, settings, fullRefresh,
                p -> states.put(table, new TableState(p, null)));
        current.put(table, snapshot);
        try {
            SnapshotProgress done = snapshot.run();
            states.put(table, new TableState(done, null, snapshot.phases()));
        } catch (InterruptedException | java.util.concurrent.CancellationException e) {
            // closed, or replaced by a full refresh
        } catch (TidelineException e) {
            if (current.get(table) != snapshot) {
                return; // replaced by a full refresh: the new run owns the table's progress
            }
            SnapshotProgress p = snapshot.progress();
            // NEEDS_OPERATOR is retried too (SqlStates makes every unclassified SQLSTATE one): once the cause is
            // fixed (a grant, a restored table), the snapshot resumes by itself, as the capture does. FATAL stops.
            boolean retry = e.kind() != TidelineException.Kind.FATAL;
            LOG.warnf("snapshot of %s failed (%s)%s: %s", table, e.kind(), retry ? ", resuming in " + settings.retryBackoff().toSeconds()
                    + " s" : "", e);
            if (p != null) {
                try {
                    store.write(p.withState(SnapshotProgress.FAILED, e.getMessage()));
                } catch (RuntimeException ignored) {
                    // NATS may be the cause; the state below still reports it
                }
            }
            states.put(table, new TableState(p == null ? null : p.withState(SnapshotProgress.FAILED, e.getMessage()),
                    e.getMessage() + (e.hint() == null ? "" : " — " + e.hint())));
            if (retry) {
                retryLater(table, snapshot, snapshot.planInvalid()); // resumes the run that failed, unless its plan no longer fits
            } else {
                windows.settle(table); // not resumed by itself: rows moved meanwhile must not hold the slot
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "snapshot of %s failed", table);
            windows.settle(table);
            states.put(table, new TableState(snapshot.progress(), "snapshot failed: " + e));
        }
    }

    /** The state of every table snapshotted by this process. */
    public Map<TableId, TableState> states() {
        return Map.copyOf(states);
    }

    /** Whether no snapshot is running or waiting to be retried. */
    public boolean idle() {
        return running.values().stream().allMatch(Future::isDone);
    }

    @Override
    public void close() {
        retries.shutdownNow();
        coordinators.shutdownNow();
        readers.shutdownNow();
        try {
            coordinators.awaitTermination(10, TimeUnit.SECONDS);
            readers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            connections.close();
        }
    }
}
