package dev.tideline.sync;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/** Logs where this service connects to when it starts (never secrets). */
@ApplicationScoped
class SyncStartup {

    private static final Logger LOG = Logger.getLogger(SyncStartup.class);

    void onStart(@Observes StartupEvent event, SyncConfig config) {
        LOG.infof("sync-service starting; NATS at %s", config.nats().url());
    }
}
