package dev.tideline.apply.stream;

import dev.tideline.core.checkpoint.ApplyStreamPosition;
import dev.tideline.core.naming.KvBuckets;
import dev.tideline.core.naming.KvKeys;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.StorageType;
import java.io.IOException;

/**
 * The stream sequence up to which a pipeline's consumer had acknowledged everything, as last seen
 * by the applier, kept in KV ({@code apply-stream.<pipeline>} in {@code tideline-checkpoints}).
 *
 * <p>Why not the consumer's own acknowledgement floor: JetStream moves a consumer's floor forward
 * when the stream is purged, so after the fact the floor no longer shows that messages the
 * pipeline never applied are gone. This record does.
 */
final class StreamPosition {

    private final KeyValue kv;
    private final String key;

    StreamPosition(Connection nats, String pipelineId) throws IOException, JetStreamApiException {
        this.key = KvKeys.applyStreamPosition(pipelineId);
        KeyValue bucket;
        try {
            nats.keyValueManagement().getBucketInfo(KvBuckets.CHECKPOINTS);
        } catch (JetStreamApiException e) {
            if (e.getErrorCode() != 404) {
                throw e;
            }
            nats.keyValueManagement().create(KeyValueConfiguration.builder().name(KvBuckets.CHECKPOINTS)
                    .storageType(StorageType.File).build());
        }
        bucket = nats.keyValue(KvBuckets.CHECKPOINTS);
        this.kv = bucket;
    }

    /** The recorded sequence, or -1 when none was recorded yet. */
    long read() throws IOException, JetStreamApiException {
        KeyValueEntry entry = kv.get(key);
        return ApplyStreamPosition.decode(entry == null ? null : entry.getValue()).orElse(-1);
    }

    void write(long sequence) throws IOException, JetStreamApiException {
        kv.put(key, ApplyStreamPosition.encode(sequence));
    }
}
