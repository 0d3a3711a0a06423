package dev.tideline.apply.runner;

import dev.tideline.apply.ApplyConfig;
import dev.tideline.apply.delta.CheckpointExecutors;
import dev.tideline.apply.delta.CheckpointSpacing;
import dev.tideline.apply.delta.WriterSettings;
import dev.tideline.apply.stream.ApplySettings;
import dev.tideline.apply.stream.PullStatusListener;
import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.nats.NatsConnect;
import dev.tideline.control.lease.LeaseSettings;
import dev.tideline.control.lease.WorkLeases;
import dev.tideline.control.message.UpdateRequest;
import dev.tideline.control.spec.PipelineSpec;
import dev.tideline.core.naming.Streams;
import dev.tideline.core.naming.Subjects;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.WarehouseLocation;
import io.delta.kernel.engine.Engine;
import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Connection;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Runs an {@link ApplyRunner} for every ingestion pipeline in the specs bucket that this replica holds the
 * lease of ({@link WorkLeases}: replicas split the pipelines, and one pipeline, with its tables, is applied
 * by one replica at a time), starting, replacing and stopping them as specs are put and deleted and as
 * leases move. A held pipeline's {@link UpdateRequest}s ({@code tideline.control.pipeline.<id>.update})
 * arrive through the pipeline's own durable consumer, so a request waits for whichever replica holds it.
 * Spec and lease changes are handled on one thread of its own. Connects to NATS in the background,
 * retrying, so the service starts (health, metrics) while NATS is down.
 *
 * <p>Owns the executor that writes Delta checkpoints for every table it applies
 * ({@link CheckpointExecutors}): handed to each writer through {@link WriterSettings#checkpoints()}, shut
 * down when the service stops, after the runners.
 */
@ApplicationScoped
public class ApplyService {

    private static final Logger LOG = Logger.getLogger(ApplyService.class);
    /** The lease service name: keys {@code apply.lease.<pipeline>} in {@code tideline-leases}. */
    static final String LEASE_SERVICE = "apply";

    private final ApplyConfig config;
    private final ApplyMetrics metrics;
    /** Every ingestion pipeline spec in KV, held or not; written on the spec thread only. */
    private final Map<String, PipelineSpec> specs = new ConcurrentHashMap<>();
    private final Map<String, ApplyRunner> runners = new ConcurrentHashMap<>();
    private final Map<String, AutoCloseable> updateConsumers = new ConcurrentHashMap<>();
    private final ExecutorService specThread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "apply-specs");
        t.setDaemon(true);
        return t;
    });
    private final List<AutoCloseable> subscriptions = new ArrayList<>();
    /** Writes the checkpoints Kernel asks for after commits, off the apply threads; started with the service. */
    private ExecutorService checkpoints;
    private volatile WorkLeases leases;
    private volatile boolean stopping;
    private Thread supervisor;
    private Connection connection;
    private ControlPlane control;
    private Engine engine;
    private String warehouse;

    ApplyService(ApplyConfig config, MeterRegistry registry) {
        this.config = config;
        this.metrics = new ApplyMetrics(registry);
    }

    void onStart(@Observes StartupEvent event) {
        if (!config.apply().enabled()) {
            LOG.info("tideline.apply.enabled=false: no pipelines are applied");
            return;
        }
        warehouse = WarehouseLocation.of(config.warehouse()).uri();
        engine = DeltaEngines.forWarehouse(warehouse, EngineSettings.defaults()
                .withParquetCompression(config.apply().parquetCompression())
                .withTargetFileSizeBytes(config.apply().targetFileSizeBytes())
                .withHadoopProperties(config.apply().hadoop()), config.s3().settings());
        // Before any commit: refuse a store on which two writers of one Delta version could both succeed.
        DeltaEngines.verifyAtomicCommits(engine, warehouse);
        checkpoints = CheckpointExecutors.newExecutor();
        supervisor = new Thread(this::connectAndWatch, "apply-supervisor");
        supervisor.setDaemon(true);
        supervisor.start();
    }

    private void connectAndWatch() {
        NatsConnect.retry(config.nats().url(), "tideline-apply", () -> stopping, () -> {
            connection = NatsConnect.connect(config.nats().url(), "tideline-apply", NatsConnect.Reconnect.FOREVER);
            control = ControlPlane.open(connection);
            leases = WorkLeases.start(control, LEASE_SERVICE, LeaseSettings.of(config.lease().memberId().orElse(null),
                    config.lease().ttl()), WorkLeases.Listener.on(specThread, this::startRunner, this::stopRunner));
            subscriptions.add(control.specs().watch("pipeline.*", PipelineSpec.class,
                    (key, spec) -> specThread.execute(() -> onSpec(key, spec)),
                    (key, e) -> LOG.errorf("ignoring %s: %s", key, e.getMessage())));
            LOG.infof("apply-service connected to NATS at %s as replica %s; warehouse %s", config.nats().url(), leases.memberId(),
                    warehouse);
        }, this::closeConnection);
    }

    private void onSpec(String key, PipelineSpec spec) {
        String id = key.substring("pipeline.".length());
        if (spec == null || !spec.isIngestion()) {
            specs.remove(id);
            stopRunner(id);
            if (spec == null) {
                control.forget(Streams.CONTROL, updateConsumer(id));
            }
        } else {
            specs.put(id, spec);
            ApplyRunner running = runners.get(id);
            if (running != null && running.spec().equals(spec)) {
                return; // the watch repeats a value we already run
            }
            stopRunner(id);
            startRunner(id); // when this replica holds the pipeline; the lease may also come later
        }
        leases.offer(specs.keySet());
    }

    /** Starts applying a held pipeline from its spec (if the spec is known yet; else when it arrives). */
    private void startRunner(String id) {
        PipelineSpec spec = specs.get(id);
        if (spec == null || stopping || runners.containsKey(id) || !leases.holds(id)) {
            return;
        }
        ApplySettings settings = ApplySettings.DEFAULT.withMaxBatchRows(config.apply().maxBatchRows())
                .withMaxBatchDelay(config.apply().maxBatchDelay())
                .withMinBatchDelay(config.apply().minBatchDelay()).withFetchSize(config.apply().fetchSize())
                .withCommitThreads(config.apply().commitThreads())
                .withAckWait(config.apply().ackWait());
        WriterSettings writer = new WriterSettings("Tideline-apply", WriterSettings.DEFAULT.rowsPerBatch(),
                config.apply().smallFileBytes(), config.apply().compactAfterFiles()).withCheckpoints(checkpoints)
                .withCheckpointSpacing(new CheckpointSpacing(config.apply().checkpointMinAge(), config.apply().checkpointMaxCommits()))
                .withPlainFileMaxRows(config.apply().plainFileMaxRows());
        ApplyRunner runner = new ApplyRunner(spec, control, () -> NatsConnect.connect(config.nats().url(), "tideline-apply-" + id,
                NatsConnect.Reconnect.FOREVER, new PullStatusListener()),
                engine, warehouse, settings, writer, metrics, () -> leases.holds(id));
        runners.put(id, runner);
        runner.start();
        updateConsumers.put(id, control.listenFor(Streams.CONTROL, updateConsumer(id), Subjects.pipelineUpdate(id), UpdateRequest.class,
                (subject, request) -> {
                    LOG.infof("pipeline %s: update %s requested%s", id, request.updateId(),
                            request.refreshesTables() ? " (full refresh)" : "");
                    runner.requestUpdate(request);
                }));
        LOG.infof("pipeline %s (%s): applying from gateway %s, %s", id, spec.name(), spec.ingestionDefinition().ingestionGatewayId(),
                spec.continuous() ? "continuous" : "triggered");
    }

    private void stopRunner(String id) {
        ApplyRunner runner = runners.remove(id);
        if (runner != null) {
            runner.stop(); // first: closing the consumer can take a NATS timeout when NATS is unreachable
        }
        AutoCloseable consumer = updateConsumers.remove(id);
        if (consumer != null) {
            try {
                consumer.close();
            } catch (Exception e) {
                LOG.debugf("closing the update consumer of %s: %s", id, e.getMessage());
            }
        }
        if (runner != null) {
            runner.close();
        }
    }

    /** The pipeline's own update-request consumer. */
    private static String updateConsumer(String pipelineId) {
        return "apply-update-" + pipelineId;
    }

    /** The runner of a pipeline, if this service runs it. */
    public ApplyRunner runner(String pipelineId) {
        return runners.get(pipelineId);
    }

    void onStop(@Observes ShutdownEvent event) {
        stopping = true;
        for (AutoCloseable s : subscriptions) {
            try {
                s.close();
            } catch (Exception e) {
                LOG.debugf("closing a subscription failed: %s", e.toString());
            }
        }
        if (leases != null) {
            leases.close(); // stops every held runner (on the spec thread) and frees the leases
        }
        specThread.shutdown();
        List.copyOf(runners.keySet()).forEach(this::stopRunner);
        closeConnection();
        stopCheckpoints();
    }

    /**
     * Lets the checkpoints already asked for finish (bounded: a checkpoint left unwritten only makes the
     * next load of the table read more of its log), then stops the checkpoint thread.
     */
    private void stopCheckpoints() {
        if (checkpoints == null) {
            return;
        }
        checkpoints.shutdown();
        try {
            if (!checkpoints.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("Delta checkpoints still running after 10 s at shutdown; left to the next commits");
                checkpoints.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            checkpoints.shutdownNow();
        }
    }

    private void closeConnection() {
        ApplyRunner.close(connection);
        connection = null;
    }
}
