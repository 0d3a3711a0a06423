package dev.tideline.sync.service;

import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.nats.NatsConnect;
import dev.tideline.control.lease.LeaseSettings;
import dev.tideline.control.secret.SecretBox;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.WarehouseLocation;
import dev.tideline.sync.SyncConfig;
import dev.tideline.sync.delta.FoldLimits;
import dev.tideline.sync.engine.SyncOptions;
import dev.tideline.sync.model.SyncFaults;
import io.nats.client.Connection;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * The Quarkus wiring: connects to NATS (retrying until it answers, so the service may start before
 * NATS), opens the control plane and runs the {@link SyncSupervisor}. Configuration errors (a missing
 * secrets key, a bad warehouse) fail the start with the property named.
 */
@ApplicationScoped
class SyncService {

    private static final Logger LOG = Logger.getLogger(SyncService.class);

    private volatile Connection nats;
    private volatile SyncSupervisor supervisor;
    private volatile Thread starter;

    @jakarta.inject.Inject
    io.micrometer.core.instrument.MeterRegistry registry;

    void onStart(@Observes StartupEvent event, SyncConfig config) {
        if (!config.sync().enabled()) {
            LOG.info("sync-service: tideline.sync.enabled=false, not syncing");
            return;
        }
        SecretBox secrets = SecretBox.fromConfiguredKey(config.secrets().key().orElse(null));
        SyncOptions options = new SyncOptions(config.sync().maxConnections(), config.sync().snapshotFraction(), config.sync().fillFactor(),
                new FoldLimits(config.sync().foldMemory().asLongValue(), config.sync().foldPartitions(),
                        config.sync().spillDirectory().orElseGet(FoldLimits::defaultSpillRoot)));
        String warehouse = WarehouseLocation.of(config.warehouse()).uri();
        var engine = DeltaEngines.forWarehouse(warehouse, EngineSettings.defaults(), config.s3().settings());
        starter = new Thread(() -> connectAndRun(config, warehouse, secrets, options, engine), "tideline-sync-start");
        starter.setDaemon(true);
        starter.start();
    }

    private void connectAndRun(SyncConfig config, String warehouse, SecretBox secrets, SyncOptions options,
            io.delta.kernel.engine.Engine engine) {
        NatsConnect.retry(config.nats().url(), "tideline-sync", () -> Thread.currentThread().isInterrupted(), () -> {
            nats = NatsConnect.connect(config.nats().url(), "tideline-sync", NatsConnect.Reconnect.FOREVER);
            ControlPlane control = ControlPlane.open(nats);
            SyncSupervisor s = new SyncSupervisor(control, secrets, warehouse, engine, options,
                    config.sync().pollInterval(), config.sync().maxRetryBackoff(), SyncFaults.NONE, new MicrometerSyncMetrics(registry),
                    LeaseSettings.of(config.lease().memberId().orElse(null), config.lease().ttl()));
            s.start();
            supervisor = s;
            LOG.infof("sync-service running; NATS at %s, warehouse %s", config.nats().url(), warehouse);
        }, this::closeNats);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (starter != null) {
            starter.interrupt();
        }
        if (supervisor != null) {
            supervisor.close();
        }
        closeNats();
    }

    private void closeNats() {
        Connection c = nats;
        nats = null;
        if (c != null) {
            try {
                c.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
