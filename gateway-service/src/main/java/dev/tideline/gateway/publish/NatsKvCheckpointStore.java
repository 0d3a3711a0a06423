package dev.tideline.gateway.publish;

import dev.tideline.core.TidelineException;
import dev.tideline.core.checkpoint.GatewayCheckpoint;
import dev.tideline.core.naming.KvBuckets;
import dev.tideline.core.naming.KvKeys;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.StorageType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads and writes gateway checkpoints in the KV bucket {@link KvBuckets#CHECKPOINTS}, key
 * {@link KvKeys#gatewayCheckpoint}. The slot's {@code confirmed_flush_lsn} is the source of truth;
 * this key is a copy for status and other services, written after the slot was confirmed, so it
 * may lag the slot but never lead it. Last writer wins. Thread-safe (as the NATS client is).
 */
public final class NatsKvCheckpointStore {

    private final Connection nats;
    private KeyValue bucket;

    public NatsKvCheckpointStore(Connection nats) {
        this.nats = Objects.requireNonNull(nats, "nats");
    }

    /**
     * Creates the bucket if missing (file storage, one revision per key). Idempotent.
     *
     * @throws TidelineException RETRYABLE when NATS cannot be reached
     */
    public synchronized void ensureBucket() {
        try {
            KeyValueManagement kvm = nats.keyValueManagement();
            try {
                kvm.getStatus(KvBuckets.CHECKPOINTS);
            } catch (JetStreamApiException e) {
                if (e.getErrorCode() != 404) {
                    throw e;
                }
                kvm.create(KeyValueConfiguration.builder().name(KvBuckets.CHECKPOINTS).storageType(StorageType.File).maxHistoryPerKey(1)
                        .build());
            }
            bucket = nats.keyValue(KvBuckets.CHECKPOINTS);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            throw JetStreamPublisher.wrap("create KV bucket " + KvBuckets.CHECKPOINTS, e);
        }
    }

    /** Stores the checkpoint under its gateway's key. */
    public void write(GatewayCheckpoint checkpoint) {
        try {
            requireBucket().put(checkpoint.kvKey(), checkpoint.toJson().getBytes(StandardCharsets.UTF_8));
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            throw JetStreamPublisher.wrap("write checkpoint " + checkpoint.kvKey() + " = " + checkpoint.confirmedLsn(), e);
        }
    }

    /** The gateway's last stored checkpoint, if any. */
    public Optional<GatewayCheckpoint> read(String gatewayId) {
        try {
            KeyValueEntry entry = requireBucket().get(KvKeys.gatewayCheckpoint(gatewayId));
            return entry == null || entry.getValue() == null ? Optional.empty()
                    : Optional.of(GatewayCheckpoint.fromJson(new String(entry.getValue(), StandardCharsets.UTF_8)));
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            if (e instanceof TidelineException t) {
                throw t;
            }
            throw JetStreamPublisher.wrap("read checkpoint of gateway " + gatewayId, e);
        }
    }

    private synchronized KeyValue requireBucket() {
        if (bucket == null) {
            ensureBucket();
        }
        return bucket;
    }
}
