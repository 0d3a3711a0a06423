package dev.tideline.gateway.run;

import dev.tideline.core.TableId;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The Micrometer meters of one running gateway, tagged {@code gateway=<id>} (and {@code table} for
 * snapshot progress), removed when the gateway stops. Names are constants so dashboards can rely on
 * them; Prometheus derives rates (rows/s, messages/s) from the counters.
 */
final class GatewayMetrics implements AutoCloseable {

    static final String RECEIVED_LSN = "tideline.gateway.received.lsn";
    static final String CONFIRMED_LSN = "tideline.gateway.confirmed.lsn";
    static final String LAG_BYTES = "tideline.gateway.lag.bytes";
    static final String SPILLED_BYTES = "tideline.gateway.spilled.bytes";
    static final String PUBLISHED_MESSAGES = "tideline.gateway.published.messages";
    static final String DUPLICATES = "tideline.gateway.duplicate.messages";
    static final String SNAPSHOT_ROWS = "tideline.gateway.snapshot.rows";
    static final String SNAPSHOT_CHUNKS_DONE = "tideline.gateway.snapshot.chunks.done";
    static final String SNAPSHOT_CHUNKS = "tideline.gateway.snapshot.chunks";

    private final MeterRegistry registry;
    private final Tags tags;
    private final List<Meter> meters = new ArrayList<>();
    private final Set<TableId> tables = new HashSet<>();

    GatewayMetrics(MeterRegistry registry, String gatewayId) {
        this.registry = registry;
        this.tags = Tags.of("gateway", gatewayId);
    }

    <T> void gauge(String name, String description, T source, ToDoubleFunction<T> value) {
        meters.add(Gauge.builder(name, source, value).description(description).tags(tags).register(registry));
    }

    <T> void counter(String name, String description, T source, ToDoubleFunction<T> value) {
        meters.add(FunctionCounter.builder(name, source, value).description(description).tags(tags).register(registry));
    }

    /** Registers the snapshot meters of a table once; {@code progress} returns rows, chunks done, chunks. */
    synchronized void table(TableId table, Supplier<long[]> progress) {
        if (!tables.add(table)) {
            return;
        }
        Tags t = tags.and("table", table.toString());
        meters.add(Gauge.builder(SNAPSHOT_ROWS, progress, p -> p.get()[0]).description("rows published by the table's snapshot")
                .tags(t).register(registry));
        meters.add(Gauge.builder(SNAPSHOT_CHUNKS_DONE, progress, p -> p.get()[1]).description("snapshot chunks acknowledged")
                .tags(t).register(registry));
        meters.add(Gauge.builder(SNAPSHOT_CHUNKS, progress, p -> p.get()[2]).description("snapshot chunks planned").tags(t)
                .register(registry));
    }

    @Override
    public synchronized void close() {
        meters.forEach(registry::remove);
        meters.clear();
        tables.clear();
    }
}
