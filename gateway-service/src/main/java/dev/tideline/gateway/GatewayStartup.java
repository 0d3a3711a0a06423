package dev.tideline.gateway;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/** Logs where this service connects to when it starts (never secrets). */
@ApplicationScoped
class GatewayStartup {

    private static final Logger LOG = Logger.getLogger(GatewayStartup.class);

    void onStart(@Observes StartupEvent event, GatewayConfig config) {
        LOG.infof("gateway-service starting; NATS at %s", config.nats().url());
    }
}
