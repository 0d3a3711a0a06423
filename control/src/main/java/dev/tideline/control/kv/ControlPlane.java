package dev.tideline.control.kv;

import dev.tideline.core.TidelineException;
import dev.tideline.core.naming.KvBuckets;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValueManagement;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.StorageType;

import java.io.IOException;

/**
 * The KV buckets of Tideline on one NATS connection, created when missing (any service may start first).
 * Specs keep a short history so an operator can see what changed; status and checkpoints keep only
 * the latest value.
 */
public final class ControlPlane {

    private final Connection nats;
    private final JsonKv specs;
    private final JsonKv status;
    private final JsonKv checkpoints;

    private ControlPlane(Connection nats) {
        this.nats = nats;
        this.specs = open(nats, KvBuckets.SPECS, 5);
        this.status = open(nats, KvBuckets.STATUS, 1);
        this.checkpoints = open(nats, KvBuckets.CHECKPOINTS, 1);
    }

    /**
     * Opens (creating when missing) the buckets on {@code nats}.
     *
     * @throws TidelineException RETRYABLE when JetStream is unreachable
     */
    public static ControlPlane open(Connection nats) {
        return new ControlPlane(nats);
    }

    /** Specs written by api-service: connections, pipelines, instances, catalogs, synced tables. */
    public JsonKv specs() {
        return specs;
    }

    /** Status written by the services, read by api-service. */
    public JsonKv status() {
        return status;
    }

    /** Checkpoints: gateway LSNs, per-table applied LSN and Delta version, synced versions. */
    public JsonKv checkpoints() {
        return checkpoints;
    }

    /** Publishes an event or control message (JSON) on core NATS; events are notifications, KV holds the truth. */
    public void publish(String subject, Object message) {
        nats.publish(subject, dev.tideline.control.ControlJson.toBytes(message));
    }

    public Connection connection() {
        return nats;
    }

    private static JsonKv open(Connection nats, String bucket, int history) {
        try {
            KeyValueManagement kvm = nats.keyValueManagement();
            if (!kvm.getBucketNames().contains(bucket)) {
                try {
                    kvm.create(KeyValueConfiguration.builder().name(bucket).storageType(StorageType.File).maxHistoryPerKey(history).build());
                } catch (JetStreamApiException e) {
                    // Another service created it between the check and the create: fine if it now exists.
                    if (!kvm.getBucketNames().contains(bucket)) {
                        throw e;
                    }
                }
            }
            return new JsonKv(bucket, nats.keyValue(bucket));
        } catch (IOException | JetStreamApiException e) {
            throw new TidelineException(TidelineException.Kind.RETRYABLE, "cannot open KV bucket " + bucket + ": " + e.getMessage(),
                    "check that the NATS server runs with JetStream enabled (nats-server -js)", e);
        }
    }
}
