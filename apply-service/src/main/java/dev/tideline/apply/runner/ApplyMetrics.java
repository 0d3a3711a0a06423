package dev.tideline.apply.runner;

import dev.tideline.apply.stream.TableTarget;
import dev.tideline.core.sink.SinkCommit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * apply-service's Micrometer meters, names as constants. Rows applied per second is
 * {@code rate(tideline_apply_rows_total[1m])} per table.
 *
 * <p>Per table: counts, sums and maxima only. Commit-latency percentiles are kept per pipeline: a
 * client-side percentile histogram costs a few KiB and an HdrHistogram range adjustment per record,
 * which at a thousand tables was ~3 % of apply's CPU and part of its per-table memory — and
 * percentiles of single tables cannot be aggregated anyway. Each table's meters are looked up once.
 */
public final class ApplyMetrics {

    public static final String ROWS = "tideline.apply.rows";
    public static final String COMMIT_LATENCY = "tideline.apply.commit.latency";
    public static final String PIPELINE_COMMIT_LATENCY = "tideline.apply.pipeline.commit.latency";
    public static final String FILES_REWRITTEN = "tideline.apply.files.rewritten";
    public static final String LAG_MESSAGES = "tideline.apply.lag.messages";
    public static final String LAST_DELTA_VERSION = "tideline.apply.delta.version";

    private final MeterRegistry registry;
    private final Map<String, AtomicLong> lags = new ConcurrentHashMap<>();
    private final Map<String, Timer> pipelines = new ConcurrentHashMap<>();
    private final Map<String, TableMeters> tables = new ConcurrentHashMap<>();

    public ApplyMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** One table's meters, registered on its first commit. */
    private record TableMeters(Counter rows, Timer latency, DistributionSummary filesRewritten, AtomicLong version) {
    }

    void committed(String pipelineId, TableTarget target, long rows, SinkCommit outcome) {
        String table = target.fullName();
        TableMeters meters = tables.computeIfAbsent(pipelineId + "|" + table, k -> register(pipelineId, table));
        meters.rows().increment(rows);
        meters.latency().record(outcome.commitMillis(), TimeUnit.MILLISECONDS);
        meters.filesRewritten().record(outcome.filesRemoved());
        meters.version().set(outcome.version());
        pipelines.computeIfAbsent(pipelineId, id -> Timer.builder(PIPELINE_COMMIT_LATENCY)
                        .description("From the start of a table's apply to its durable Delta commit, over the pipeline's tables")
                        .tag("pipeline", id).publishPercentiles(0.5, 0.95, 0.99).register(registry))
                .record(outcome.commitMillis(), TimeUnit.MILLISECONDS);
    }

    private TableMeters register(String pipelineId, String table) {
        Tags tags = Tags.of("pipeline", pipelineId, "table", table);
        AtomicLong version = new AtomicLong();
        registry.gauge(LAST_DELTA_VERSION, tags, version);
        return new TableMeters(
                Counter.builder(ROWS).description("Row changes applied to Delta").tags(tags).register(registry),
                Timer.builder(COMMIT_LATENCY).description("From the start of a table's apply to its durable Delta commit")
                        .tags(tags).register(registry),
                DistributionSummary.builder(FILES_REWRITTEN)
                        .description("Data file entries replaced per commit (re-added with a new deletion vector, or removed)")
                        .tags(tags).register(registry),
                version);
    }

    void lag(String pipelineId, long pendingMessages) {
        lags.computeIfAbsent(pipelineId, k -> {
            AtomicLong v = new AtomicLong();
            registry.gauge(LAG_MESSAGES, Tags.of("pipeline", pipelineId), v);
            return v;
        }).set(pendingMessages);
    }
}
