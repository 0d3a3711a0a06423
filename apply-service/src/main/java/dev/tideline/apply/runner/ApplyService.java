package dev.tideline.apply.runner;

import dev.tideline.apply.ApplyConfig;
import dev.tideline.apply.delta.WriterSettings;
import dev.tideline.apply.stream.ApplySettings;
import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.message.UpdateRequest;
import dev.tideline.control.spec.PipelineSpec;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.core.naming.Streams;
import dev.tideline.core.naming.Subjects;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import io.delta.kernel.engine.Engine;
import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Runs an {@link ApplyRunner} for every ingestion pipeline in the specs bucket, starting, replacing
 * and stopping them as specs are put and deleted, and routes {@link UpdateRequest}s
 * ({@code tideline.control.pipeline.<id>.update}) to them. Connects to NATS in the background,
 * retrying, so the service starts (health, metrics) while NATS is down.
 */
@ApplicationScoped
public class ApplyService {

    private static final Logger LOG = Logger.getLogger(ApplyService.class);

    private final ApplyConfig config;
    private final ApplyMetrics metrics;
    private final Map<String, ApplyRunner> runners = new ConcurrentHashMap<>();
    private final List<AutoCloseable> subscriptions = new ArrayList<>();
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
        warehouse = resolveWarehouse(config.warehouse());
        engine = DeltaEngines.forWarehouse(warehouse, EngineSettings.defaults()
                .withParquetCompression(config.apply().parquetCompression())
                .withTargetFileSizeBytes(config.apply().targetFileSizeBytes())
                .withHadoopProperties(config.apply().hadoop()));
        supervisor = new Thread(this::connectAndWatch, "apply-supervisor");
        supervisor.setDaemon(true);
        supervisor.start();
    }

    static String resolveWarehouse(String configured) {
        String w = configured.strip();
        if (!w.contains(":") && !w.startsWith("/")) {
            return Path.of(w).toAbsolutePath().normalize().toString();
        }
        return w;
    }

    private void connectAndWatch() {
        long backoff = 500;
        while (!stopping) {
            try {
                connection = Nats.connect(new Options.Builder().server(config.nats().url()).maxReconnects(-1)
                        .reconnectWait(Duration.ofSeconds(1)).connectionName("tideline-apply").build());
                control = ControlPlane.open(connection);
                subscriptions.add(control.specs().watch("pipeline.*", PipelineSpec.class, this::onSpec,
                        (key, e) -> LOG.errorf("ignoring %s: %s", key, e.getMessage())));
                subscriptions.add(control.listen(Streams.CONTROL, "apply-updates", Subjects.CONTROL_ROOT + ".pipeline.*.update",
                        UpdateRequest.class, this::onUpdate));
                LOG.infof("apply-service connected to NATS at %s; warehouse %s", config.nats().url(), warehouse);
                return;
            } catch (Exception e) {
                LOG.warnf("NATS at %s not reachable (%s); retrying in %d ms", config.nats().url(), e.getMessage(), backoff);
                closeConnection();
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
                backoff = Math.min(30_000, backoff * 2);
            }
        }
    }

    private synchronized void onSpec(String key, PipelineSpec spec) {
        String id = key.substring("pipeline.".length());
        ApplyRunner previous = runners.get(id);
        if (previous != null && previous.spec().equals(spec)) {
            return; // already running it (started early by an update request, see onUpdate)
        }
        runners.remove(id);
        if (previous != null) {
            previous.close();
        }
        if (spec == null || !spec.isIngestion() || stopping) {
            return;
        }
        ApplySettings settings = ApplySettings.DEFAULT.withMaxBatchRows(config.apply().maxBatchRows())
                .withMaxBatchDelay(config.apply().maxBatchDelay()).withFetchSize(config.apply().fetchSize())
                .withAckWait(config.apply().ackWait());
        WriterSettings writer = new WriterSettings("Tideline-apply", WriterSettings.DEFAULT.rowsPerBatch(),
                config.apply().smallFileBytes(), config.apply().compactAfterFiles());
        ApplyRunner runner = new ApplyRunner(spec, control, () -> Nats.connect(new Options.Builder().server(config.nats().url())
                .maxReconnects(-1).reconnectWait(Duration.ofSeconds(1)).connectionName("tideline-apply-" + id).build()),
                engine, warehouse, settings, writer, metrics);
        runners.put(id, runner);
        runner.start();
        LOG.infof("pipeline %s (%s): applying from gateway %s, %s", id, spec.name(), spec.ingestionDefinition().ingestionGatewayId(),
                spec.continuous() ? "continuous" : "triggered");
    }

    private synchronized void onUpdate(String subject, UpdateRequest request) {
        // tideline.control.pipeline.<id>.update
        String[] tokens = subject.split("\\.");
        String id = tokens[tokens.length - 2];
        ApplyRunner runner = runners.get(id);
        if (runner == null) {
            // The KV watch and the control consumer deliver on different threads: an update sent right
            // after the pipeline was created can arrive before its spec. Read the spec rather than drop it.
            control.specs().value(KvKeys.pipeline(id), PipelineSpec.class).ifPresent(spec -> onSpec(KvKeys.pipeline(id), spec));
            runner = runners.get(id);
        }
        if (runner != null) {
            LOG.infof("pipeline %s: update %s requested%s", id, request.updateId(), request.refreshesTables() ? " (full refresh)" : "");
            runner.requestUpdate(request);
        }
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
        runners.values().forEach(ApplyRunner::close);
        runners.clear();
        closeConnection();
    }

    private void closeConnection() {
        ApplyRunner.close(connection);
        connection = null;
    }
}
