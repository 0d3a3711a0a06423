package dev.tideline.apply;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/** Logs where this service connects to when it starts (never secrets). */
@ApplicationScoped
class ApplyStartup {

    private static final Logger LOG = Logger.getLogger(ApplyStartup.class);

    void onStart(@Observes StartupEvent event, ApplyConfig config) {
        LOG.infof("apply-service starting; NATS at %s", config.nats().url());
    }
}
