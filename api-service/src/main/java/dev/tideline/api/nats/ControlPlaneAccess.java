package dev.tideline.api.nats;

import dev.tideline.api.ApiConfig;
import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.kv.JsonKv;
import dev.tideline.control.nats.NatsConnect;
import dev.tideline.core.TidelineException;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.io.IOException;

/**
 * The NATS connection and the KV buckets of the control plane. The service starts even when NATS is not
 * up yet (jnats keeps reconnecting); until it is, requests get 503 TEMPORARILY_UNAVAILABLE and readiness is
 * DOWN. The buckets are opened on first use and reused afterwards.
 */
@ApplicationScoped
public class ControlPlaneAccess {

    private static final Logger LOG = Logger.getLogger(ControlPlaneAccess.class);

    private final ApiConfig config;
    private volatile Connection connection;
    private volatile ControlPlane plane;

    ControlPlaneAccess(ApiConfig config) {
        this.config = config;
    }

    void onStart(@Observes StartupEvent event) {
        // No reconnect buffer: a write attempted while NATS is away must fail now (503), not be replayed
        // minutes later after the caller was told it failed.
        Options options = NatsConnect.options(config.nats().url(), "tideline-api", NatsConnect.Reconnect.FOREVER_UNBUFFERED);
        try {
            connection = Nats.connectReconnectOnConnect(options);
        } catch (IOException e) {
            throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, "cannot configure the NATS connection to "
                    + config.nats().url() + ": " + e.getMessage(), "check tideline.nats.url", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while connecting to NATS", e);
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        Connection current = connection;
        if (current != null) {
            try {
                current.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Whether NATS is connected right now. */
    public boolean connected() {
        Connection current = connection;
        return current != null && current.getStatus() == Connection.Status.CONNECTED;
    }

    /**
     * The control plane.
     *
     * @throws TidelineException RETRYABLE when NATS (with JetStream) is not reachable
     */
    public ControlPlane plane() {
        ControlPlane current = plane;
        if (current != null) {
            return current;
        }
        synchronized (this) {
            if (plane == null) {
                if (!connected()) {
                    throw unreachable();
                }
                plane = ControlPlane.open(connection);
                LOG.infof("control plane buckets open on %s", config.nats().url());
            }
            return plane;
        }
    }

    public JsonKv specs() {
        return connectedPlane().specs();
    }

    public JsonKv status() {
        return connectedPlane().status();
    }

    public JsonKv checkpoints() {
        return connectedPlane().checkpoints();
    }

    /**
     * The NATS connection itself, for streams the control plane does not cover (the console's lag history).
     *
     * @throws TidelineException RETRYABLE when NATS is not connected right now
     */
    public Connection connection() {
        connectedPlane();
        return connection;
    }

    /** The plane, refusing early while jnats knows it is disconnected (so writes are never queued for later). */
    private ControlPlane connectedPlane() {
        ControlPlane current = plane();
        if (!connected()) {
            throw unreachable();
        }
        return current;
    }

    private TidelineException unreachable() {
        return new TidelineException(TidelineException.Kind.RETRYABLE, "NATS at " + config.nats().url() + " is not reachable",
                "start NATS with JetStream (nats-server -js) or fix tideline.nats.url");
    }

    /**
     * Sends a control request and waits until the {@code TIDELINE_CONTROL} stream stored it, so a 200 means the
     * request will be seen by the service that runs the pipeline, even if it is down or scaled to zero right now.
     */
    public void send(String subject, Object request) {
        connectedPlane().send(subject, request);
    }
}
