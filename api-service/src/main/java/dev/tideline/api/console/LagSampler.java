package dev.tideline.api.console;

import dev.tideline.api.ApiConfig;
import dev.tideline.api.nats.ControlPlaneAccess;
import dev.tideline.api.nats.SpecStore;
import dev.tideline.control.spec.PipelineSpec;
import dev.tideline.control.spec.SyncedTableSpec;
import dev.tideline.control.status.PipelineState;
import dev.tideline.control.status.PipelineStatus;
import dev.tideline.control.status.SyncedTableState;
import dev.tideline.control.status.SyncedTableStatus;
import dev.tideline.control.status.TableStatus;
import io.micrometer.core.instrument.Tags;
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
 * ({@link LagMeter}) and stores it in the {@link LagHistory}, and refreshes the {@link HealthMetrics} (lag, failures,
 * slots, staging streams). The time bucket is the sampling interval, so replicas sampling the same interval store
 * one sample. Skips a round while NATS is away; never stops on an error.
 */
@ApplicationScoped
class LagSampler {

    private static final Logger LOG = Logger.getLogger(LagSampler.class);

    private final SpecStore store;
    private final ControlPlaneAccess access;
    private final LagMeter meter;
    private final LagHistory history;
    private final SlotProbe slots;
    private final HealthMetrics metrics;
    private final long slotWarningBytes;
    private final int intervalSeconds;
    private ScheduledExecutorService executor;

    LagSampler(SpecStore store, ControlPlaneAccess access, LagMeter meter, LagHistory history, SlotProbe slots, HealthMetrics metrics,
               ApiConfig config) {
        this.store = store;
        this.access = access;
        this.meter = meter;
        this.history = history;
        this.slots = slots;
        this.metrics = metrics;
        this.slotWarningBytes = config.console().slotWarningBytes();
        this.intervalSeconds = config.console().lagSampleSeconds();
        if (intervalSeconds < 1 || intervalSeconds > 60) {
            // a bucket must be shorter than the lag stream's duplicate window, or replicas would store one sample each
            throw new IllegalArgumentException("tideline.console.lag-sample-seconds must be between 1 and 60 (was " + intervalSeconds + ")");
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

    /** Takes and stores one sample of every series at {@code nowMillis}, and refreshes the health metrics. */
    void sample(long nowMillis) {
        long bucket = nowMillis / (intervalSeconds * 1000L);
        List<PipelineSpec> all = store.pipelines();
        metrics.beginRound();
        for (PipelineSpec spec : all) {
            Tags pipeline = Tags.of("pipeline", spec.id());
            List<TableStatus> tables = store.tableStatuses(spec.id());
            PipelineStatus status = store.pipelineStatus(spec.id()).orElse(null);
            metrics.set(HealthMetrics.PIPELINE_FAILED, pipeline, status != null && status.state() == PipelineState.FAILED ? 1 : 0);
            metrics.set(HealthMetrics.PIPELINE_FAILED_TABLES, pipeline, tables.stream().filter(t -> "FAILED".equals(t.state())).count());
            if (spec.isGateway()) {
                Tags gateway = Tags.of("gateway", spec.id());
                SlotProbe.SlotHealth slot = slots.slot(spec, all);
                if (slot != null) {
                    metrics.set(HealthMetrics.SLOT_RETAINED_BYTES, gateway, slot.retainedBytes());
                    metrics.set(HealthMetrics.SLOT_LEVEL, gateway, HealthMetrics.slotLevel(SlotAdvice.of(slot, slotWarningBytes).level()));
                }
                metrics.set(HealthMetrics.STAGING_USED_RATIO, gateway, meter.stagingUsed(spec.id()));
                continue;
            }
            LagMeter.PipelineLag lag = meter.pipeline(spec, all, tables, nowMillis);
            metrics.set(HealthMetrics.PIPELINE_LAG_BYTES, pipeline, lag.bytes());
            metrics.set(HealthMetrics.PIPELINE_LAG_SECONDS, pipeline, lag.seconds());
            record(new LagHistory.Sample(LagHistory.pipelineSeries(spec.id()), nowMillis, lag.bytes(), lag.seconds(), null), bucket);
        }
        for (SyncedTableSpec spec : store.syncedTables()) {
            Tags synced = Tags.of("synced_pipeline", spec.pipelineId());
            SyncedTableStatus status = store.syncedTableStatus(spec.name()).orElse(null);
            LagMeter.SyncedLag lag = meter.synced(spec, status, all, nowMillis);
            metrics.set(HealthMetrics.SYNCED_FAILED, synced, status != null && (status.detailedState() == SyncedTableState.OFFLINE_FAILED
                    || status.detailedState() == SyncedTableState.ONLINE_PIPELINE_FAILED) ? 1 : 0);
            metrics.set(HealthMetrics.SYNCED_LAG_VERSIONS, synced, lag.versions());
            metrics.set(HealthMetrics.SYNCED_LAG_SECONDS, synced, lag.seconds());
            record(new LagHistory.Sample(LagHistory.syncedSeries(spec.name()), nowMillis, null, lag.seconds(), lag.versions()), bucket);
        }
        metrics.endRound();
    }

    /** Stores a sample; a failure loses this one sample, not the round's metrics. */
    private void record(LagHistory.Sample sample, long bucket) {
        try {
            history.record(sample, bucket);
        } catch (RuntimeException e) {
            LOG.debugf("lag sample of %s not stored: %s", sample.series(), e.toString());
        }
    }
}
