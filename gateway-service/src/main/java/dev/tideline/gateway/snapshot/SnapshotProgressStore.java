package dev.tideline.gateway.snapshot;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tideline.core.TableId;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.core.naming.KvBuckets;
import dev.tideline.core.naming.ResourceIds;
import dev.tideline.gateway.publish.JetStreamPublisher;
import dev.tideline.gateway.publish.NatsKvCheckpointStore;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import java.io.IOException;
import java.util.Optional;

/**
 * Stores {@link SnapshotProgress} in the checkpoints bucket under
 * {@code snapshot.<gateway>.<schema-token>.<table-token>}. One writer per key (the table's
 * snapshot coordinator); last writer wins. Creates the bucket if missing.
 */
public final class SnapshotProgressStore {

    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Connection nats;
    private final String gatewayId;

    public SnapshotProgressStore(Connection nats, String gatewayId) {
        this.nats = nats;
        this.gatewayId = ResourceIds.requireValid("gateway id", gatewayId);
        new NatsKvCheckpointStore(nats).ensureBucket();
    }

    /** The KV key of a table's snapshot progress. */
    public static String key(String gatewayId, TableId table) {
        return KvKeys.snapshotProgress(gatewayId, table);
    }

    public Optional<SnapshotProgress> read(TableId table) {
        try {
            KeyValueEntry entry = bucket().get(key(gatewayId, table));
            if (entry == null || entry.getValue() == null || entry.getValue().length == 0) {
                return Optional.empty();
            }
            return Optional.of(JSON.readValue(entry.getValue(), SnapshotProgress.class));
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            throw JetStreamPublisher.wrap("read snapshot progress of " + table, e);
        }
    }

    public void write(SnapshotProgress progress) {
        try {
            bucket().put(key(gatewayId, progress.tableId()), JSON.writeValueAsBytes(progress));
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            throw JetStreamPublisher.wrap("write snapshot progress of " + progress.tableId(), e);
        }
    }

    /** Forgets a table's progress, so that its next snapshot starts over (a full refresh). */
    public void delete(TableId table) {
        try {
            bucket().delete(key(gatewayId, table));
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            throw JetStreamPublisher.wrap("delete snapshot progress of " + table, e);
        }
    }

    private KeyValue bucket() throws IOException {
        return nats.keyValue(KvBuckets.CHECKPOINTS);
    }
}
