package dev.tideline.gateway.publish;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.PurgeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.PurgeResponse;
import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * Frees the gateway's stream of what every reader is done with, so that a busy source does not fill a
 * limits-retention stream with messages nobody needs any more and stall the gateway.
 *
 * <p><b>Never silent loss.</b> The floor is what each ingestion pipeline of the gateway has <em>recorded</em>
 * as applied ({@code apply-stream.<pipeline>} in {@code tideline-checkpoints}, written by apply-service after
 * its acknowledgements reached the server), not its consumer's ack floor: the server also moves ack floors
 * when a stream is purged, and apply-service tells a real staging gap from this purge by comparing the
 * stream's first message with that recorded position. A pipeline that has recorded nothing yet keeps
 * everything. The ack floor of every other durable consumer that acknowledges explicitly (a user's own)
 * lowers the floor too; consumers without acknowledgements are not waited for.
 */
public final class StagingPurge {

    private StagingPurge() {
    }

    /**
     * Purges the messages at or below every pipeline's recorded position and every other explicit durable
     * consumer's ack floor.
     *
     * @param pipelines the ingestion pipelines that read this stream
     * @param recorded  a pipeline's recorded applied position, empty when it has none yet
     * @return the number of messages purged
     */
    public static long purgeApplied(JetStreamManagement management, String stream, Collection<String> pipelines,
            Function<String, OptionalLong> recorded) throws IOException, JetStreamApiException {
        if (pipelines.isEmpty()) {
            return 0;
        }
        long floor = Long.MAX_VALUE;
        for (String pipeline : pipelines) {
            OptionalLong position = recorded.apply(pipeline);
            if (position.isEmpty()) {
                return 0;
            }
            floor = Math.min(floor, position.getAsLong());
        }
        List<String> names = management.getConsumerNames(stream);
        for (String name : names) {
            ConsumerInfo info;
            try {
                info = management.getConsumerInfo(stream, name);
            } catch (JetStreamApiException e) {
                continue; // went away meanwhile
            }
            boolean durable = info.getConsumerConfiguration().getDurable() != null;
            if (durable && info.getConsumerConfiguration().getAckPolicy() != AckPolicy.None) {
                floor = Math.min(floor, info.getAckFloor().getStreamSequence());
            }
        }
        if (floor < 1) {
            return 0;
        }
        // "sequence": purge every message below it, i.e. up to and including the floor.
        PurgeResponse response = management.purgeStream(stream, PurgeOptions.builder().sequence(floor + 1).build());
        return response.getPurged();
    }
}
