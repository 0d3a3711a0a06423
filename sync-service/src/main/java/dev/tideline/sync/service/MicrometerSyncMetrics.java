package dev.tideline.sync.service;

import dev.tideline.sync.engine.SyncOutcome;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** {@link SyncMetrics} on Micrometer (exposed at {@code /q/metrics}), tagged with the synced table's name. */
final class MicrometerSyncMetrics implements SyncMetrics {

    private final MeterRegistry registry;
    private final Map<String, AtomicLong> versions = new ConcurrentHashMap<>();

    MicrometerSyncMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void synced(String syncedTable, SyncOutcome outcome) {
        versions.computeIfAbsent(syncedTable, name -> registry.gauge(LAST_SYNCED_VERSION, Tags.of("synced_table", name), new AtomicLong(-1)))
                .set(outcome.toVersion());
        Tags tags = Tags.of("synced_table", syncedTable, "mode", outcome.mode().name());
        registry.counter(ROWS_APPLIED, tags).increment(outcome.rowsApplied());
        registry.timer(SYNC_DURATION, tags).record(outcome.duration());
    }

    @Override
    public void failed(String syncedTable, boolean retryable) {
        registry.counter(FAILURES, Tags.of("synced_table", syncedTable, "retryable", String.valueOf(retryable))).increment();
    }
}
