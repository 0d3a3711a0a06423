package dev.tideline.api.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.api.ApiConfig;
import dev.tideline.api.nats.ControlPlaneAccess;
import dev.tideline.testing.NatsTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** The lag history lives in NATS: replicas store one sample per interval, and a fresh instance reads what others stored. */
@QuarkusTest
@QuarkusTestResource(NatsTestResource.class)
class LagHistoryTest {

    @Inject
    LagHistory history;

    @Inject
    ControlPlaneAccess access;

    @Inject
    ApiConfig config;

    @Test
    void twoReplicasSamplingTheSameIntervalStoreOneSampleAndAnInstanceStartedLaterReadsThem() {
        String series = LagHistory.pipelineSeries("replicas-" + System.nanoTime());
        long now = System.currentTimeMillis();
        long bucket = now / 1000;
        history.record(new LagHistory.Sample(series, now, 100L, 3L, null), bucket);
        // a second replica, same interval: dropped by the stream's duplicate window
        LagHistory otherReplica = new LagHistory(access, config);
        otherReplica.record(new LagHistory.Sample(series, now + 5, 999L, 9L, null), bucket);
        otherReplica.record(new LagHistory.Sample(series, now + 1000, 50L, 1L, null), bucket + 1);

        // an api-service started afterwards (nothing in memory) reads the same two samples
        List<LagHistory.Sample> samples = new LagHistory(access, config).read(series, Duration.ofMinutes(5)).get(series);
        assertEquals(2, samples.size(), samples.toString());
        assertEquals(100L, samples.get(0).bytes());
        assertEquals(50L, samples.get(1).bytes());
    }

    @Test
    void namesWithDotsAndMarkupAreSeriesOfTheirOwn() {
        String a = LagHistory.syncedSeries("main.shop.<b>orders</b>" + System.nanoTime());
        String b = LagHistory.syncedSeries("main.shop.orders" + System.nanoTime());
        long now = System.currentTimeMillis();
        history.record(new LagHistory.Sample(a, now, null, 4L, 2L), now);
        history.record(new LagHistory.Sample(b, now, null, 0L, 0L), now);
        Map<String, List<LagHistory.Sample>> all = history.read(null, Duration.ofMinutes(5));
        assertEquals(List.of(2L), all.get(a).stream().map(LagHistory.Sample::versions).toList());
        assertEquals(1, history.read(b, Duration.ofMinutes(5)).size());
        assertTrue(LagHistory.subject(a).matches("tideline\\.lag\\.synced\\.[A-Za-z0-9_=-]+"), LagHistory.subject(a));
    }
}
