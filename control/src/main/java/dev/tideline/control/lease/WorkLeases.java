package dev.tideline.control.lease;

import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.kv.JsonKv;
import dev.tideline.control.kv.Versioned;
import dev.tideline.control.status.LeaseHolder;
import dev.tideline.core.naming.IdentifierTokens;
import dev.tideline.core.naming.ResourceIds;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Splits one service's units of work (gateway ids, pipeline ids, synced table names) between its replicas
 * with leases in the {@code tideline-leases} bucket, so that a unit is worked on by one replica at a time
 * and by some replica whenever one lives.
 *
 * <p><b>How.</b> Every replica keeps a presence key {@code <service>.member.<member>} and, per unit it works
 * on, a lease key {@code <service>.lease.<unit>}, and rewrites them every third of the bucket's max age
 * (the ttl). The server removes keys nobody rewrites within the ttl, so a crashed replica's units free up
 * after at most the ttl, and a restarted replica with the same member id takes its own leases back at
 * once. A replica takes free units until it holds its fair share, ceil(units / replicas), trying units in
 * rendezvous-hash order so replicas seldom race for the same one, and gives back units above its share so
 * a replica that joins gets work.
 *
 * <p><b>Safety.</b> A replica that could not renew a lease for half the ttl gives it up locally
 * ({@link Listener#released}) before the server can let another replica take it at the full ttl; this
 * relies on the server's clock and each replica's monotonic clock, not on wall clocks agreeing. A replica
 * that is paused for longer (a long GC, a suspended VM) can still finish one step after losing its lease;
 * the services' writes are idempotent for exactly that case (Delta transaction ids, the synced version in
 * the same Postgres transaction, a replication slot serves one connection), so the overlap costs a retry
 * and never a double apply.
 *
 * <p>All lease work, including the listener calls, runs on one thread per instance.
 */
public final class WorkLeases implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(WorkLeases.class);

    /** What the owning service does when this replica gains or loses a unit. */
    public interface Listener {

        /** This replica now holds {@code unit}: start working on it. Return soon (start a thread if needed). */
        void acquired(String unit);

        /**
         * This replica no longer holds {@code unit} (lost, given back, the unit is gone, or close): stop working on
         * it. The lease key is deleted after this returns, so block until the work has stopped.
         */
        void released(String unit);

        /**
         * The usual listener: {@code start} and {@code stop} run on {@code thread}, the owner's single thread that
         * also handles its specs, so lease changes and spec changes never interleave. Starting is handed over
         * without waiting; stopping waits until {@code stop} returned, as {@link #released} requires.
         */
        static Listener on(ExecutorService thread, Consumer<String> start, Consumer<String> stop) {
            return new Listener() {
                @Override
                public void acquired(String unit) {
                    thread.execute(() -> start.accept(unit));
                }

                @Override
                public void released(String unit) {
                    try {
                        thread.submit(() -> stop.accept(unit)).get();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (ExecutionException | RejectedExecutionException e) {
                        LOG.errorf(e, "stopping %s failed", unit);
                    }
                }
            };
        }
    }

    private record Held(long revision, long renewedNanos, long sinceMillis) {
    }

    private final JsonKv kv;
    private final String service;
    private final String member;
    private final Duration ttl;
    private final Listener listener;
    private final long memberSinceMillis = System.currentTimeMillis();
    private final ScheduledExecutorService thread;
    /** Leases this replica renews: the units it works on, and those it is still stopping. */
    private final Map<String, Held> held = new ConcurrentHashMap<>();
    /** Units whose work is being stopped ({@link Listener#released} running); their leases are renewed until it returns. */
    private final Set<String> stopping = ConcurrentHashMap.newKeySet();
    /** Runs {@link Listener#released}, which may block, so the lease thread keeps renewing meanwhile. */
    private final ExecutorService stopper;
    /**
     * Runs {@link #dropOverdue} on its own clock: the lease thread can sit in a KV call for the client's request
     * timeout when NATS is unreachable, longer than the margin between ttl/2 and the ttl.
     */
    private final ScheduledExecutorService watchdog;
    private volatile Set<String> offered = Set.of();
    private long presenceRevision;
    private final AtomicBoolean tickQueued = new AtomicBoolean();

    private WorkLeases(JsonKv kv, String service, String member, Duration ttl, Listener listener) {
        this.kv = kv;
        this.service = service;
        this.member = member;
        this.ttl = ttl;
        this.listener = listener;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tideline-leases-" + service);
            t.setDaemon(true);
            return t;
        });
        this.stopper = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "tideline-leases-stop-" + service);
            t.setDaemon(true);
            return t;
        });
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tideline-leases-watch-" + service);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Joins the replicas of {@code service} and starts renewing; call {@link #offer} with the units that exist.
     *
     * @param service {@code gateway}, {@code apply} or {@code sync}
     * @throws dev.tideline.core.TidelineException RETRYABLE when NATS is unreachable
     */
    public static WorkLeases start(ControlPlane control, String service, LeaseSettings settings, Listener listener) {
        JsonKv kv = control.leases(settings.ttl());
        Duration maxAge = kv.maxAge();
        // The bucket decides: every replica must agree on when a silent holder's lease ends.
        Duration ttl = maxAge.isZero() ? settings.ttl() : maxAge;
        if (maxAge.isZero()) {
            LOG.warnf("bucket %s has no max age, so a crashed replica's leases never expire; recreate it with a max age", kv.bucket());
        }
        WorkLeases leases = new WorkLeases(kv, ResourceIds.requireValid("service", service), settings.memberId(), ttl, listener);
        long period = Math.max(100, ttl.toMillis() / 3);
        leases.thread.scheduleWithFixedDelay(leases::tick, 0, period, TimeUnit.MILLISECONDS);
        long watch = Math.max(20, ttl.toMillis() / 20);
        leases.watchdog.scheduleWithFixedDelay(leases::dropOverdue, watch, watch, TimeUnit.MILLISECONDS);
        return leases;
    }

    /** The units that exist now (all of them, not only this replica's); work is re-split at once. */
    public void offer(Collection<String> units) {
        offered = Set.copyOf(units);
        if (!tickQueued.compareAndSet(false, true)) {
            return; // a burst of spec changes (a watch starting) is one re-split
        }
        try {
            thread.execute(this::tick);
        } catch (RejectedExecutionException closed) {
            // closed meanwhile: nothing to split any more
        }
    }

    /** Whether this replica holds {@code unit} now (and is not giving it up). */
    public boolean holds(String unit) {
        return held.containsKey(unit) && !stopping.contains(unit);
    }

    /** The units this replica holds now (and is not giving up). */
    public Set<String> held() {
        Set<String> units = new java.util.HashSet<>(held.keySet());
        units.removeAll(stopping);
        return Set.copyOf(units);
    }

    public String memberId() {
        return member;
    }

    public Duration ttl() {
        return ttl;
    }

    /** Stops renewing, stops the work of every held unit ({@link Listener#released}) and frees its leases. */
    @Override
    public void close() {
        watchdog.shutdownNow();
        thread.shutdownNow();
        try {
            if (!thread.awaitTermination(ttl.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warnf("lease thread of %s did not stop within %s", service, ttl);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (String unit : List.copyOf(held.keySet())) {
            if (stopping.add(unit)) {
                notifyReleased(unit);
            }
        }
        stopper.shutdown();
        try {
            stopper.awaitTermination(ttl.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Map.Entry<String, Held> entry : List.copyOf(held.entrySet())) {
            free(entry.getKey(), entry.getValue());
        }
        held.clear();
        stopping.clear();
        try {
            kv.delete(memberKey());
        } catch (RuntimeException e) {
            LOG.debugf("could not delete %s (it expires by itself): %s", memberKey(), e.getMessage());
        }
    }

    private void tick() {
        tickQueued.set(false);
        dropOverdue();
        renewPresence();
        Set<String> units = offered;
        renewOrDrop(units);
        int members;
        try {
            members = Math.max(1, kv.keys(service + ".member.*").size());
        } catch (RuntimeException e) {
            LOG.debugf("cannot count %s replicas: %s", service, e.getMessage());
            return;
        }
        int share = (units.size() + members - 1) / members;
        List<String> preferred = new ArrayList<>(units);
        preferred.sort(Comparator.comparingLong(this::preference).reversed());
        for (int i = preferred.size() - 1; i >= 0 && working() > share; i--) {
            if (holds(preferred.get(i))) {
                LOG.infof("%s gives %s back: it holds more than its share of %d", member, preferred.get(i), share);
                giveBack(preferred.get(i));
            }
        }
        for (String unit : preferred) {
            if (working() >= share || Thread.currentThread().isInterrupted()) {
                break;
            }
            if (!held.containsKey(unit) && !stopping.contains(unit)) { // a unit still stopping here is not free yet
                tryAcquire(unit);
            }
        }
    }

    private int working() {
        return held.size() - stopping.size();
    }

    /**
     * Rewrites this replica's presence key. Two live replicas with one member id would each take the other's
     * leases for their own; the key's revision moving under us is how that shows, and it is logged loudly.
     */
    private void renewPresence() {
        LeaseHolder me = new LeaseHolder(member, service, null, memberSinceMillis);
        try {
            Optional<Long> renewed = presenceRevision == 0 ? Optional.empty() : kv.update(memberKey(), me, presenceRevision);
            if (renewed.isPresent()) {
                presenceRevision = renewed.get();
                return;
            }
            // First tick, expired while we could not reach NATS, or written by someone else: look before taking it.
            Optional<Versioned<LeaseHolder>> current = kv.get(memberKey(), LeaseHolder.class);
            if (current.isPresent() && presenceRevision != 0 && current.get().value().sinceMillis() != memberSinceMillis) {
                LOG.errorf("another %s replica uses the member id %s: both will work on the same units; give each replica its own"
                        + " tideline.lease.member-id", service, member);
            }
            presenceRevision = kv.put(memberKey(), me);
        } catch (RuntimeException e) {
            LOG.debugf("could not renew presence %s: %s", memberKey(), e.getMessage());
        }
    }

    private void renewOrDrop(Set<String> units) {
        dropOverdue();
        for (Map.Entry<String, Held> entry : List.copyOf(held.entrySet())) {
            String unit = entry.getKey();
            Held h = entry.getValue();
            if (!units.contains(unit)) {
                giveBack(unit);
                continue;
            }
            // Taken before the call: the server sees the renewal after this instant, so its expiry is later.
            long now = System.nanoTime();
            try {
                Optional<Long> revision = kv.update(leaseKey(unit), new LeaseHolder(member, service, unit, h.sinceMillis()), h.revision());
                if (revision.isPresent()) {
                    // Only if still held: the watchdog may have given it up during the call, and its work is stopping.
                    held.replace(unit, h, new Held(revision.get(), now, h.sinceMillis()));
                } else {
                    lose(unit, "its lease expired or was taken over");
                }
            } catch (RuntimeException e) {
                LOG.debugf("could not renew the lease of %s: %s", unit, e.getMessage());
                dropOverdue(); // a slow failure (NATS unreachable) must not let a lease outlive its deadline
            }
        }
    }

    /**
     * Gives up, locally, every unit whose lease was last renewed more than half the ttl ago: the server frees
     * it at the full ttl at the earliest, so this replica has stopped before another can start.
     */
    private void dropOverdue() {
        long now = System.nanoTime();
        for (Map.Entry<String, Held> entry : List.copyOf(held.entrySet())) {
            long silentNanos = now - entry.getValue().renewedNanos();
            if (silentNanos > ttl.toNanos() / 2) {
                lose(entry.getKey(), "its lease could not be renewed for " + Duration.ofNanos(silentNanos).toMillis() + " ms");
            }
        }
    }

    private void tryAcquire(String unit) {
        String key = leaseKey(unit);
        long now = System.nanoTime();
        long since = System.currentTimeMillis();
        LeaseHolder mine = new LeaseHolder(member, service, unit, since);
        Optional<Long> revision;
        try {
            Optional<Versioned<LeaseHolder>> current = kv.get(key, LeaseHolder.class);
            if (current.isEmpty()) {
                revision = kv.create(key, mine);
            } else if (member.equals(current.get().value().member())) {
                // Our own lease from before a restart: nobody else can hold it, take it back without waiting.
                revision = kv.update(key, mine, current.get().revision());
            } else {
                return;
            }
        } catch (RuntimeException e) {
            LOG.debugf("cannot take %s: %s", key, e.getMessage());
            return;
        }
        if (revision.isEmpty()) {
            return; // another replica was quicker
        }
        held.put(unit, new Held(revision.get(), now, since));
        LOG.infof("%s took %s %s", member, service, unit);
        try {
            listener.acquired(unit);
        } catch (RuntimeException e) {
            LOG.errorf(e, "starting %s %s failed; giving its lease back", service, unit);
            giveBack(unit);
        }
    }

    /**
     * Stops the unit's work on the stopper thread, renewing its lease meanwhile, and frees the lease for another
     * replica once the work has stopped.
     */
    private void giveBack(String unit) {
        if (!held.containsKey(unit) || !stopping.add(unit)) {
            return;
        }
        stopper.execute(() -> {
            notifyReleased(unit);
            try {
                thread.execute(() -> {
                    Held h = held.remove(unit);
                    stopping.remove(unit);
                    if (h != null) {
                        free(unit, h);
                    }
                });
            } catch (RejectedExecutionException closed) {
                // close() frees what is left
            }
        });
    }

    /** Deletes the lease key if it is still this replica's. */
    private void free(String unit, Held h) {
        try {
            kv.delete(leaseKey(unit), h.revision());
        } catch (RuntimeException e) {
            LOG.debugf("could not free the lease of %s (it expires by itself): %s", unit, e.getMessage());
        }
    }

    /** The lease is gone already (expired or taken over): stop the unit's work without waiting. */
    private void lose(String unit, String why) {
        if (held.remove(unit) != null && stopping.add(unit)) {
            LOG.warnf("%s stops %s %s: %s", member, service, unit, why);
            stopper.execute(() -> {
                notifyReleased(unit);
                stopping.remove(unit);
            });
        } else {
            LOG.warnf("%s lost %s %s while stopping it: %s", member, service, unit, why);
        }
    }

    private void notifyReleased(String unit) {
        try {
            listener.released(unit);
        } catch (RuntimeException e) {
            LOG.errorf(e, "stopping %s %s failed", service, unit);
        }
    }

    /** Rendezvous (highest random weight) score: each replica ranks the units differently but deterministically. */
    private long preference(String unit) {
        long h = unit.hashCode() * 0x9E3779B97F4A7C15L ^ member.hashCode();
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return h;
    }

    private String memberKey() {
        return service + ".member." + member;
    }

    private String leaseKey(String unit) {
        return service + ".lease." + IdentifierTokens.encode(unit);
    }
}
