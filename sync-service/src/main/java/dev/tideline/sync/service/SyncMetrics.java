package dev.tideline.sync.service;

import dev.tideline.sync.engine.SyncOutcome;

/** Where a runner reports each sync, for metrics. Implementations must be thread-safe and never throw. */
public interface SyncMetrics {

    /** Metric names (Prometheus turns the dots into underscores). */
    String LAST_SYNCED_VERSION = "tideline.sync.last.synced.version";
    String ROWS_APPLIED = "tideline.sync.rows.applied";
    String SYNC_DURATION = "tideline.sync.duration";
    String FAILURES = "tideline.sync.failures";

    SyncMetrics NONE = new SyncMetrics() {
        @Override
        public void synced(String syncedTable, SyncOutcome outcome) {
        }

        @Override
        public void failed(String syncedTable, boolean retryable) {
        }
    };

    void synced(String syncedTable, SyncOutcome outcome);

    void failed(String syncedTable, boolean retryable);
}
