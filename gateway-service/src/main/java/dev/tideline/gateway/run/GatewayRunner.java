package dev.tideline.gateway.run;

import dev.tideline.control.nats.Backoff;
import dev.tideline.control.nats.NatsConnect;
import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.lease.LeaseSettings;
import dev.tideline.control.lease.WorkLeases;
import dev.tideline.control.kv.Versioned;
import dev.tideline.control.message.UpdateRequest;
import dev.tideline.control.secret.SecretBox;
import dev.tideline.control.spec.CapturePlan;
import dev.tideline.control.spec.ConnectionSpec;
import dev.tideline.control.spec.IngestionDefinition;
import dev.tideline.control.spec.PipelineSpec;
import dev.tideline.control.status.PipelineState;
import dev.tideline.control.status.PipelineStatus;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.core.naming.Streams;
import dev.tideline.core.naming.Subjects;
import dev.tideline.gateway.GatewayConfig;
import dev.tideline.gateway.publish.JetStreamPublisher;
import dev.tideline.gateway.snapshot.SnapshotSettings;
import dev.tideline.gateway.source.postgres.PostgresReplicationSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Connection;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Runs the gateways of this process. In standalone mode ({@code tideline.gateway.standalone.jdbc-url}
 * set) exactly one, from configuration. Otherwise one per gateway pipeline found in the specs bucket
 * that at least one ingestion pipeline names ({@link CapturePlan}) and whose lease this replica holds
 * ({@link WorkLeases}: replicas split the gateways, one gateway runs in one replica at a time): the specs
 * are watched, and a gateway whose resolved spec changed is restarted (it resumes from its slot and
 * snapshot progress). Update requests with {@code full_refresh} / {@code full_refresh_selection} for a
 * gateway or for an ingestion pipeline of it re-snapshot the selected tables while streaming continues;
 * they arrive through one durable consumer per pipeline, bound by whichever replica runs its gateway.
 */
@ApplicationScoped
public class GatewayRunner {

    private static final Logger LOG = Logger.getLogger(GatewayRunner.class);
    /** The lease service name: keys {@code gateway.lease.<gateway>} in {@code tideline-leases}. */
    static final String LEASE_SERVICE = "gateway";

    @Inject
    GatewayConfig config;

    @Inject
    MeterRegistry meters;

    private final Map<String, GatewayPipeline> running = new ConcurrentHashMap<>();
    /** The update-request consumers of each running gateway: its own and its ingestion pipelines'. */
    private final Map<String, List<AutoCloseable>> updateConsumers = new ConcurrentHashMap<>();
    private volatile WorkLeases leases;
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tideline-gateway-runner");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean reconcileQueued;
    private Connection nats;
    private ControlPlane control;
    private SecretBox secrets;
    private final List<AutoCloseable> listeners = new ArrayList<>();

    void onStart(@Observes StartupEvent event) {
        if (!config.gateway().enabled()) {
            LOG.info("gateways are disabled (tideline.gateway.enabled=false)");
            return;
        }
        loop.execute(() -> boot(1));
    }

    void onStop(@Observes ShutdownEvent event) {
        for (AutoCloseable l : listeners) {
            try {
                l.close();
            } catch (Exception ignored) {
                // stopping
            }
        }
        if (leases != null) {
            leases.close(); // stops every held gateway (on the loop thread) and frees the leases
        }
        loop.shutdownNow();
        List.copyOf(running.keySet()).forEach(this::stop);
        if (nats != null) {
            try {
                nats.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The gateways running now, by id. */
    public Map<String, GatewayPipeline> running() {
        return Map.copyOf(running);
    }

    GatewayPipeline.Tuning tuning() {
        GatewayConfig.Gateway g = config.gateway();
        JetStreamPublisher.Settings d = JetStreamPublisher.Settings.DEFAULT;
        return new GatewayPipeline.Tuning(config.nats().url(),
                new SnapshotSettings(g.snapshot().rowsPerChunk(), g.snapshot().parallelism(), SnapshotSettings.DEFAULT.outcomeTimeout(),
                        SnapshotSettings.DEFAULT.maxReadsPerChunk(), SnapshotSettings.DEFAULT.retryBackoff())
                        .withChunkBytes(chunkBytesFor(g.snapshot().chunkBytes(), g.snapshot().parallelism(), Runtime.getRuntime().maxMemory())),
                g.heartbeatInterval().orElse(null), g.statusInterval(),
                new JetStreamPublisher.Settings(g.stream().duplicateWindow(), g.stream().maxBytes(), g.stream().maxAge(), d.maxInFlight(),
                        d.maxInFlightBytes(), d.ackTimeout()),
                g.spillDirectory().orElse(PostgresReplicationSource.Settings.DEFAULT_SPILL_DIRECTORY));
    }

    /**
     * The chunk size a heap of {@code maxHeap} bytes affords: a chunk's rows are held, encoded (up to 1.5× their
     * bytes), from their read until JetStream acknowledged them, {@code parallelism + 1} chunks at most, beside
     * the 64 MiB in-flight window; so at most {@code maxHeap / (8 × parallelism)} — 12 MiB each at a 384 MiB heap
     * (a 512 MiB container at 75 %), where 32 MiB chunks ran out of heap on a 2M-row table (when 2 × parallelism
     * chunks were held, each in a buffer grown by doubling). Larger heaps keep {@code configured}. Public for
     * the snapshot benchmarks, which size their gateway's chunks as the service does.
     */
    public static long chunkBytesFor(long configured, int parallelism, long maxHeap) {
        return Math.max(1L << 20, Math.min(configured, maxHeap / (8L * Math.max(1, parallelism))));
    }

    private void boot(int attempt) {
        try {
            GatewayConfig.Standalone standalone = config.gateway().standalone();
            if (standalone.jdbcUrl().isPresent()) {
                GatewayPipelineSpec spec = standaloneSpec(standalone);
                LOG.infof("standalone mode: %s", spec);
                start(spec);
                return;
            }
            nats = NatsConnect.connect(config.nats().url(), "tideline-gateway", NatsConnect.Reconnect.FOREVER);
            control = ControlPlane.open(nats);
            secrets = config.secrets().key().map(SecretBox::fromConfiguredKey).orElse(null);
            leases = WorkLeases.start(control, LEASE_SERVICE, LeaseSettings.of(config.lease().memberId().orElse(null),
                    config.lease().ttl()), WorkLeases.Listener.on(loop, gatewayId -> queueReconcile(), this::stop));
            listeners.add(control.specs().watch("pipeline.>", Object.class, (k, v) -> queueReconcile(), (k, e) -> queueReconcile()));
            listeners.add(control.specs().watch("connection.>", Object.class, (k, v) -> queueReconcile(), (k, e) -> queueReconcile()));
            queueReconcile();
            LOG.infof("watching gateway pipelines in KV at %s as replica %s", config.nats().url(), leases.memberId());
        } catch (IllegalArgumentException e) {
            LOG.errorf("gateway-service configuration is invalid: %s", e.getMessage());
        } catch (Exception e) {
            Duration backoff = Backoff.NATS.delay(attempt);
            LOG.warnf("cannot reach the control plane at %s on attempt %d (%s); retrying in %d ms", config.nats().url(), attempt, e.getMessage(),
                    backoff.toMillis());
            if (nats != null) {
                try {
                    nats.close();
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
                nats = null;
            }
            loop.schedule(() -> boot(attempt + 1), backoff.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    static GatewayPipelineSpec standaloneSpec(GatewayConfig.Standalone s) {
        String url = s.jdbcUrl().orElseThrow();
        StringBuilder full = new StringBuilder(url);
        s.sslMode().ifPresent(mode -> {
            if (!Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full").contains(mode)) {
                throw new IllegalArgumentException("tideline.gateway.standalone.ssl-mode must be disable, require, verify-ca or verify-full, was '"
                        + mode + "'");
            }
            full.append(url.contains("?") ? '&' : '?').append("sslmode=").append(mode);
        });
        s.sslRootCert().ifPresent(cert -> full.append(full.indexOf("?") >= 0 ? '&' : '?').append("sslrootcert=")
                .append(URLEncoder.encode(cert, StandardCharsets.UTF_8)));
        List<TableId> tables = new ArrayList<>();
        for (String t : s.tables().orElse(List.of())) {
            int dot = t.indexOf('.');
            if (dot <= 0 || dot == t.length() - 1) {
                throw new IllegalArgumentException("tideline.gateway.standalone.tables: '" + t + "' must be schema.table");
            }
            tables.add(TableId.of(t.substring(0, dot), t.substring(dot + 1)));
        }
        return new GatewayPipelineSpec(s.id(), full.toString(), s.user().orElse(null), s.password().orElse(null), s.slot(), s.publication(),
                tables, Set.of(), s.createSlot(), Map.of());
    }

    private void start(GatewayPipelineSpec spec) {
        GatewayPipeline pipeline = new GatewayPipeline(spec, tuning(), meters);
        running.put(spec.gatewayId(), pipeline);
        pipeline.start();
        if (control != null) {
            List<AutoCloseable> consumers = new ArrayList<>();
            Set<String> pipelineIds = new LinkedHashSet<>(spec.destinations().keySet());
            pipelineIds.add(spec.gatewayId());
            for (String pipelineId : pipelineIds) {
                consumers.add(control.listenFor(Streams.CONTROL, "gateway-update-" + pipelineId, Subjects.pipelineUpdate(pipelineId),
                        UpdateRequest.class, this::onUpdate));
            }
            updateConsumers.put(spec.gatewayId(), consumers);
        }
    }

    /** Stops a running gateway and its request consumers (it keeps its slot and snapshot progress). */
    private void stop(String gatewayId) {
        for (AutoCloseable consumer : updateConsumers.getOrDefault(gatewayId, List.of())) {
            try {
                consumer.close();
            } catch (Exception e) {
                LOG.debugf("closing an update consumer of %s: %s", gatewayId, e.getMessage());
            }
        }
        updateConsumers.remove(gatewayId);
        GatewayPipeline gateway = running.remove(gatewayId);
        if (gateway != null) {
            gateway.close();
        }
    }

    private void queueReconcile() {
        if (reconcileQueued) {
            return;
        }
        reconcileQueued = true;
        // Debounced: a burst of spec writes (a pipeline and its connection) is one reconcile.
        loop.schedule(() -> {
            reconcileQueued = false;
            try {
                reconcile();
            } catch (RuntimeException e) {
                LOG.warnf(e, "reconciling gateways failed; retrying");
                queueReconcile();
            }
        }, 200, TimeUnit.MILLISECONDS);
    }

    /** Brings the running gateways in line with the specs. */
    void reconcile() {
        List<PipelineSpec> pipelines = control.specs().list("pipeline.*", PipelineSpec.class).stream().map(Versioned::value).toList();
        Map<String, GatewayPipelineSpec> desired = new HashMap<>();
        for (PipelineSpec gateway : pipelines) {
            if (!gateway.isGateway()) {
                continue;
            }
            try {
                GatewayPipelineSpec spec = resolve(gateway, pipelines);
                if (spec != null) {
                    desired.put(gateway.id(), spec);
                }
            } catch (IllegalArgumentException | TidelineException e) {
                LOG.warnf("gateway pipeline %s cannot run: %s", gateway.id(), e.getMessage());
                stop(gateway.id());
                control.status().put(KvKeys.pipeline(gateway.id()), new PipelineStatus(gateway.id(), PipelineState.FAILED,
                        e.getMessage() + (e instanceof TidelineException t && t.hint() != null ? " Fix: " + t.hint() : ""), List.of(),
                        System.currentTimeMillis()));
            }
        }
        leases.offer(desired.keySet());
        for (String id : new HashSet<>(running.keySet())) {
            GatewayPipelineSpec want = desired.get(id);
            if (want == null || !want.equals(running.get(id).spec()) || !leases.holds(id)) {
                LOG.infof("gateway %s %s", id, want == null ? "is no longer specified: stopping"
                        : leases.holds(id) ? "changed: restarting" : "moved to another replica: stopping");
                stop(id);
            }
        }
        for (GatewayPipelineSpec spec : desired.values()) {
            if (!running.containsKey(spec.gatewayId()) && leases.holds(spec.gatewayId())) {
                start(spec);
            }
        }
    }

    private GatewayPipelineSpec resolve(PipelineSpec gateway, List<PipelineSpec> all) {
        CapturePlan plan = CapturePlan.of(gateway, all);
        if (plan == null) {
            return null; // no ingestion pipeline names it yet
        }
        ConnectionSpec connection = control.specs().value(KvKeys.connection(plan.connection()), ConnectionSpec.class)
                .orElseThrow(() -> new IllegalArgumentException("connection '" + plan.connection() + "' of gateway " + gateway.id()
                        + " does not exist; create it (POST /api/2.1/unity-catalog/connections)"));
        String password = null;
        if (connection.encryptedPassword() != null) {
            if (secrets == null) {
                throw new IllegalArgumentException("tideline.secrets.key is not set, so the password of connection '" + connection.name()
                        + "' cannot be decrypted; give gateway-service the same key as api-service");
            }
            password = secrets.open(connection.encryptedPassword(), connection.name());
        }
        List<TableId> tables = plan.tables().stream().map(t -> TableId.of(t.schema(), t.table())).toList();
        Map<String, Map<String, TableId>> destinations = new HashMap<>();
        for (PipelineSpec p : all) {
            IngestionDefinition d = p.ingestionDefinition();
            if (d == null || !gateway.id().equals(d.ingestionGatewayId())) {
                continue;
            }
            Map<String, TableId> names = new HashMap<>();
            for (IngestionDefinition.IngestionObject o : d.objects()) {
                if (o.table() != null) {
                    TableId source = TableId.of(o.table().sourceSchema(), o.table().sourceTable());
                    names.put(o.table().destinationTableOrSource(), source);
                    names.put(o.table().destinationSchema() + "." + o.table().destinationTableOrSource(), source);
                } else if (o.schema() != null) {
                    names.put("schema:" + o.schema().sourceSchema(), TableId.of(o.schema().sourceSchema(), "*"));
                }
            }
            destinations.put(p.id(), names);
        }
        return new GatewayPipelineSpec(gateway.id(), connection.jdbcUrl(plan.database()), connection.user(), password, plan.slot().slotName(),
                plan.slot().publicationName(), tables, plan.schemas(), plan.slot().createsMissing(), destinations);
    }

    /** {@code tideline.control.pipeline.<id>.update}: re-snapshot what the request selects. */
    void onUpdate(String subject, UpdateRequest request) {
        if (!request.refreshesTables()) {
            return; // a plain update: the gateway streams continuously anyway
        }
        String pipelineId = subject.split("\\.")[3];
        GatewayPipeline gateway = running.get(pipelineId);
        if (gateway != null) {
            if (gateway.fullRefreshAll()) {
                loop.execute(() -> restart(gateway)); // not on this consumer's own thread: restarting closes it
            }
            return;
        }
        for (GatewayPipeline g : running.values()) {
            Map<String, TableId> names = g.spec().destinations().get(pipelineId);
            if (names == null) {
                continue;
            }
            Set<TableId> selected = new LinkedHashSet<>();
            if (request.fullRefresh()) {
                for (TableId t : names.values()) {
                    if (t.name().equals("*")) {
                        g.tables().stream().filter(x -> x.schema().equals(t.schema())).forEach(selected::add);
                    } else {
                        selected.add(t);
                    }
                }
            } else {
                for (String name : request.fullRefreshSelection()) {
                    TableId t = names.get(name);
                    if (t == null) {
                        throw new IllegalArgumentException("full_refresh_selection names '" + name + "', which is not a table of pipeline "
                                + pipelineId);
                    }
                    selected.add(t);
                }
            }
            LOG.infof("update %s of pipeline %s: full refresh of %s on gateway %s", request.updateId(), pipelineId, selected,
                    g.spec().gatewayId());
            g.refresh(selected);
        }
    }

    private void restart(GatewayPipeline gateway) {
        GatewayPipelineSpec spec = gateway.spec();
        stop(spec.gatewayId());
        start(new GatewayPipelineSpec(spec.gatewayId(), spec.jdbcUrl(), spec.user(), spec.password(), spec.slot(), spec.publication(),
                spec.tables(), spec.schemas(), true, spec.destinations()));
    }
}
