package dev.tideline.api.console;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the console shows, as Prometheus gauges on api-service's {@code /q/metrics}, for those who alert with
 * Prometheus ({@code deploy/monitoring}): refreshed by {@link LagSampler} each round, labelled by ids only
 * (pipeline, gateway, a synced table's pipeline id) — never by table or connection names. An unknown value
 * (e.g. the source is unreachable) is NaN, not 0. Gauges of pipelines and synced tables that are gone are
 * removed at the end of the round that no longer saw them. Every replica exports the same values: aggregate
 * with {@code max by (...)}. Rounds come from one thread; the gauges are read from any.
 */
@ApplicationScoped
class HealthMetrics {

    /** WAL bytes between the source's current position and what is visible in Delta, per ingestion pipeline. */
    static final String PIPELINE_LAG_BYTES = "tideline.health.pipeline.lag.bytes";
    /** Age of the oldest staged change not yet applied (commit → visible), per ingestion pipeline. */
    static final String PIPELINE_LAG_SECONDS = "tideline.health.pipeline.lag.seconds";
    /** 1 while the pipeline (gateway or ingestion) is FAILED, else 0. */
    static final String PIPELINE_FAILED = "tideline.health.pipeline.failed";
    /** Tables of the pipeline that are FAILED (they receive no changes until a full refresh or a fix). */
    static final String PIPELINE_FAILED_TABLES = "tideline.health.pipeline.failed.tables";
    /** Delta versions of a synced table's source not synced yet. */
    static final String SYNCED_LAG_VERSIONS = "tideline.health.synced.lag.versions";
    /** Age of the newest Delta version of a synced table's source not synced yet. */
    static final String SYNCED_LAG_SECONDS = "tideline.health.synced.lag.seconds";
    /** 1 while the synced table is FAILED, else 0. */
    static final String SYNCED_FAILED = "tideline.health.synced.failed";
    /** WAL the gateway's replication slot retains on the source. */
    static final String SLOT_RETAINED_BYTES = "tideline.health.slot.retained.bytes";
    /** The slot's level: 0 ok, 1 degraded, 2 failed (missing, wal_status lost or unreserved), NaN unknown. */
    static final String SLOT_LEVEL = "tideline.health.slot.level";
    /** How full the gateway's staging stream is against its max bytes or max messages (0..1; 0 without limits). */
    static final String STAGING_USED_RATIO = "tideline.health.staging.used.ratio";

    /** A gauge's value, settable. */
    private static final class Value {
        volatile double value = Double.NaN;
    }

    private final MeterRegistry registry;
    private final Map<Meter.Id, Value> values = new ConcurrentHashMap<>();
    private Set<Meter.Id> seen = new HashSet<>();

    HealthMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Starts a round: gauges not set before {@link #endRound} are removed then. */
    void beginRound() {
        seen = new HashSet<>();
    }

    /** Sets gauge {@code name} with {@code tags} to {@code value} (null: unknown, NaN). */
    void set(String name, Tags tags, Number value) {
        Meter.Id id = new Meter.Id(name, tags, null, null, Meter.Type.GAUGE);
        Value holder = values.computeIfAbsent(id, k -> {
            Value v = new Value();
            Gauge.builder(name, v, x -> x.value).tags(tags).register(registry);
            return v;
        });
        holder.value = value == null ? Double.NaN : value.doubleValue();
        seen.add(id);
    }

    /** Ends a round: removes the gauges of what was not seen in it (a deleted pipeline must not alert for ever). */
    void endRound() {
        for (Meter.Id id : Set.copyOf(values.keySet())) {
            if (!seen.contains(id)) {
                values.remove(id);
                registry.find(id.getName()).tags(id.getTagsAsIterable()).meters().forEach(registry::remove);
            }
        }
    }

    static double slotLevel(String level) {
        return switch (level) {
            case SlotAdvice.OK -> 0;
            case SlotAdvice.DEGRADED -> 1;
            case SlotAdvice.FAILED -> 2;
            default -> Double.NaN;
        };
    }
}
