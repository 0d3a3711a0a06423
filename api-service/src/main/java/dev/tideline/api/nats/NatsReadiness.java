package dev.tideline.api.nats;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while NATS is connected: without it the API can neither read nor store anything. */
@Readiness
@ApplicationScoped
public class NatsReadiness implements HealthCheck {

    private final ControlPlaneAccess access;

    NatsReadiness(ControlPlaneAccess access) {
        this.access = access;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("nats").status(access.connected()).build();
    }
}
