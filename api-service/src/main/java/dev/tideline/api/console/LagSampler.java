package dev.tideline.api.console;

import dev.tideline.api.ApiConfig;
import dev.tideline.api.nats.ControlPlaneAccess;
import dev.tideline.api.nats.SpecStore;
import dev.tideline.control.spec.PipelineSpec;
import dev.tideline.control.spec.SyncedTableSpec;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Every {@code tideline.console.lag-sample-seconds}, measures each ingestion pipeline's and synced table's lag
 * ({@link LagMeter}) and stores it in the {@link LagHistory}. The time bucket is the sampling interval, so replicas
 * sampling the same interval store one sample. Skips a round while NATS is away; never stops on an error.
 */
@ApplicationScoped
class LagSampler {

    private static final Logger LOG = Logger.getLogger(LagSampler.class);

    private final SpecStore store;
    private final ControlPlaneAccess access;
    private final LagMeter meter;
    private final LagHistory history;
    private final int intervalSeconds;
    private ScheduledExecutorService executor;

    LagSampler(SpecStore store, ControlPlaneAccess access, LagMeter meter, LagHistory history, ApiConfig config) {
        this.store = store;
        this.access = access;
        this.meter = meter;
        this.history = history;
        this.intervalSeconds = config.console().lagSampleSeconds();
        if (intervalSeconds < 1 || intervalSeconds > 60) {
            // a bucket must be shorter than the lag stream's duplicate window, or replicas would store one sample each
            throw new IllegalArgumentException("tideline.console.lag-sample-seconds must be 1 to 60, is " + intervalSeconds);
        }
    }

    void onStart(@Observes StartupEvent event) {
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "tideline-lag-sampler");
            thread.setDaemon(true);
            return thread;
        });
        executor.scheduleWithFixedDelay(this::sampleQuietly, intervalSeconds, intervalSeconds, TimeUnit.SECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    private void sampleQuietly() {
        if (!access.connected()) {
            return;
        }
        try {
            sample(System.currentTimeMillis());
        } catch (RuntimeException e) {
            LOG.debugf("lag sample skipped: %s", e.toString());
        }
    }

    /** Takes and stores one sample of every series at {@code nowMillis}. */
    void sample(long nowMillis) {
        long bucket = nowMillis / (intervalSeconds * 1000L);
        List<PipelineSpec> all = store.pipelines();
        for (PipelineSpec spec : all) {
            if (!spec.isIngestion()) {
                continue;
            }
            LagMeter.PipelineLag lag = meter.pipeline(spec, all, store.tableStatuses(spec.id()), nowMillis);
            history.record(new LagHistory.Sample(LagHistory.pipelineSeries(spec.id()), nowMillis, lag.bytes(), lag.seconds(), null), bucket);
        }
        for (SyncedTableSpec spec : store.syncedTables()) {
            LagMeter.SyncedLag lag = meter.synced(spec, store.syncedTableStatus(spec.name()).orElse(null), all, nowMillis);
            history.record(new LagHistory.Sample(LagHistory.syncedSeries(spec.name()), nowMillis, null, lag.seconds(), lag.versions()), bucket);
        }
    }
}
