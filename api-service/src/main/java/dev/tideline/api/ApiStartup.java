package dev.tideline.api;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/** Logs where this service connects to when it starts (never secrets). */
@ApplicationScoped
class ApiStartup {

    private static final Logger LOG = Logger.getLogger(ApiStartup.class);

    void onStart(@Observes StartupEvent event, ApiConfig config) {
        LOG.infof("api-service starting; NATS at %s, warehouse %s", config.nats().url(), config.warehouse());
    }
}
