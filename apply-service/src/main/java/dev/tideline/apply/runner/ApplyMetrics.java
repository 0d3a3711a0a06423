package dev.tideline.apply.runner;

import dev.tideline.apply.stream.TableTarget;
import dev.tideline.core.sink.SinkCommit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * apply-service's Micrometer meters, names as constants. Rows applied per second is
 * {@code rate(tideline_apply_rows_total[1m])} per table.
 */
public final class ApplyMetrics {

    public static final String ROWS = "tideline.apply.rows";
    public static final String COMMIT_LATENCY = "tideline.apply.commit.latency";
    public static final String FILES_REWRITTEN = "tideline.apply.files.rewritten";
    public static final String LAG_MESSAGES = "tideline.apply.lag.messages";
    public static final String LAST_DELTA_VERSION = "tideline.apply.delta.version";

    private final MeterRegistry registry;
    private final Map<String, AtomicLong> lags = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> versions = new ConcurrentHashMap<>();

    public ApplyMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void committed(String pipelineId, TableTarget target, long rows, SinkCommit outcome) {
        String table = target.fullName();
        Counter.builder(ROWS).description("Row changes applied to Delta").tag("pipeline", pipelineId).tag("table", table)
                .register(registry).increment(rows);
        Timer.builder(COMMIT_LATENCY).description("From the start of a table's apply to its durable Delta commit")
                .tag("pipeline", pipelineId).tag("table", table).publishPercentiles(0.5, 0.99)
                .register(registry).record(Duration.ofMillis(outcome.commitMillis()));
        DistributionSummary.builder(FILES_REWRITTEN).description("Data file entries replaced per commit (re-added with a new deletion vector, or removed)")
                .tag("pipeline", pipelineId).tag("table", table).register(registry).record(outcome.filesRemoved());
        versions.computeIfAbsent(pipelineId + "|" + table, k -> {
            AtomicLong v = new AtomicLong();
            registry.gauge(LAST_DELTA_VERSION, io.micrometer.core.instrument.Tags.of("pipeline", pipelineId, "table", table), v);
            return v;
        }).set(outcome.version());
    }

    void lag(String pipelineId, long pendingMessages) {
        lags.computeIfAbsent(pipelineId, k -> {
            AtomicLong v = new AtomicLong();
            registry.gauge(LAG_MESSAGES, io.micrometer.core.instrument.Tags.of("pipeline", pipelineId), v);
            return v;
        }).set(pendingMessages);
    }
}
