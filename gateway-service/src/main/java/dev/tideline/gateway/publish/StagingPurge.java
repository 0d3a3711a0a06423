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

/**
 * Frees the gateway's stream of what every consumer has acknowledged, so that a busy source does
 * not fill a limits-retention stream with messages nobody needs any more and stall the gateway.
 *
 * <p><b>Never silent loss.</b> A message is purged only when its sequence is below the ack floor of
 * <em>every</em> durable consumer of the stream that acknowledges explicitly (apply pipelines and
 * any of the user's own), and only when every <em>known</em> consumer — the apply pipelines that
 * name this gateway — exists: a pipeline that has not created its consumer yet keeps everything.
 * With no such consumer at all nothing is purged (max-age and max-bytes decide, as before). Ordered
 * and other consumers without acknowledgements are not waited for; they read what is still there.
 */
public final class StagingPurge {

    private StagingPurge() {
    }

    /**
     * Purges the messages every explicitly acknowledging durable consumer has acknowledged.
     *
     * @param known durable names that must exist before anything is purged
     * @return the number of messages purged
     */
    public static long purgeAcknowledged(JetStreamManagement management, String stream, Collection<String> known)
            throws IOException, JetStreamApiException {
        List<String> names = management.getConsumerNames(stream);
        if (!names.containsAll(known)) {
            return 0;
        }
        long floor = Long.MAX_VALUE;
        int counted = 0;
        for (String name : names) {
            ConsumerInfo info;
            try {
                info = management.getConsumerInfo(stream, name);
            } catch (JetStreamApiException e) {
                if (known.contains(name)) {
                    return 0; // a known consumer disappeared meanwhile: keep everything
                }
                continue; // an ephemeral consumer that went away
            }
            boolean durable = info.getConsumerConfiguration().getDurable() != null;
            if (!durable || info.getConsumerConfiguration().getAckPolicy() == AckPolicy.None) {
                continue;
            }
            floor = Math.min(floor, info.getAckFloor().getStreamSequence());
            counted++;
        }
        if (counted == 0 || floor == Long.MAX_VALUE || floor < 1) {
            return 0;
        }
        // "sequence": purge every message below it, i.e. up to and including the common ack floor.
        PurgeResponse response = management.purgeStream(stream, PurgeOptions.builder().sequence(floor + 1).build());
        return response.getPurged();
    }
}
