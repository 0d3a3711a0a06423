package dev.tideline.apply.runner;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.apply.delta.WriterSettings;
import dev.tideline.apply.stream.ApplySettings;
import dev.tideline.apply.stream.StagingStream;
import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.message.UpdateRequest;
import dev.tideline.control.spec.IngestionDefinition;
import dev.tideline.control.spec.IngestionDefinition.IngestionObject;
import dev.tideline.control.spec.IngestionDefinition.TableObject;
import dev.tideline.control.spec.PipelineSpec;
import dev.tideline.control.status.PipelineState;
import dev.tideline.control.status.PipelineStatus;
import dev.tideline.control.status.UpdateState;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.WithNats;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Nats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An ingestion pipeline created before its gateway made its change stream (the usual order: both are created
 * in one go, and the gateway needs a moment) is starting, not failing: STARTING with its requested update
 * WAITING_FOR_RESOURCES, never RECOVERING — and it starts the update as soon as the stream exists.
 */
@WithNats
class ApplyRunnerStartIT {

    @TempDir
    Path warehouse;

    @Test
    void aMissingGatewayStreamAtStartIsStartingNotRecoveringAndTheUpdateStartsOnceItExists(NatsServer nats) throws Exception {
        try (Connection connection = Nats.connect(nats.url())) {
            ControlPlane control = ControlPlane.open(connection);
            PipelineSpec spec = new PipelineSpec("p-start", "starting", false, null, new IngestionDefinition("gw-start",
                    List.of(new IngestionObject(new TableObject("db", "public", "t", "main", "s", null, null), null)), List.of(), null), 0);
            ApplyRunner runner = new ApplyRunner(spec, control, () -> Nats.connect(nats.url()),
                    DeltaEngines.forWarehouse(warehouse.toString(), EngineSettings.defaults().withFsync(false)), warehouse.toString(),
                    ApplySettings.DEFAULT, WriterSettings.DEFAULT, new ApplyMetrics(new SimpleMeterRegistry()), () -> true);
            Set<PipelineState> seen = ConcurrentHashMap.newKeySet();
            runner.requestUpdate(new UpdateRequest("u-1", false, List.of(), "API_CALL", System.currentTimeMillis()));
            runner.start();
            try {
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).ignoreExceptions().untilAsserted(() -> {
                    PipelineStatus status = status(control);
                    seen.add(status.state());
                    assertEquals(PipelineState.STARTING, status.state());
                    assertTrue(status.message().contains("waiting for ingestion gateway gw-start"), status.message());
                    assertEquals(UpdateState.WAITING_FOR_RESOURCES, status.latestUpdates().get(0).state());
                });

                try (StagingStream ignored = new StagingStream(nats.url(), "gw-start")) {
                    await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(50)).ignoreExceptions().untilAsserted(() -> {
                        PipelineStatus status = status(control);
                        seen.add(status.state());
                        // Picked up and applying (it completes once the gateway reports where it is, which this test has no gateway for).
                        assertEquals("u-1", status.latestUpdates().get(0).updateId());
                        assertTrue(Set.of(UpdateState.RUNNING, UpdateState.COMPLETED).contains(status.latestUpdates().get(0).state()),
                                status.latestUpdates().toString());
                        assertTrue(Set.of(PipelineState.RUNNING, PipelineState.IDLE).contains(status.state()), status.state().name());
                    });
                }
                assertFalse(seen.contains(PipelineState.RECOVERING), "states seen: " + seen);
            } finally {
                runner.close();
            }
        }
    }

    private static PipelineStatus status(ControlPlane control) {
        return control.status().value(KvKeys.pipeline("p-start"), PipelineStatus.class).orElseThrow();
    }
}
