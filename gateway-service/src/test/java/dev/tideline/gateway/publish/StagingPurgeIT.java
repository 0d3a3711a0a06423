package dev.tideline.gateway.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tideline.core.naming.Streams;
import dev.tideline.core.naming.Subjects;
import dev.tideline.core.wire.EncodedMessage;
import dev.tideline.core.wire.WireHeaders;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.WithNats;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.OptionalLong;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The gateway frees its stream only of what every ingestion pipeline recorded as applied and every other
 * explicitly acknowledging durable consumer acknowledged, and nothing while a pipeline has recorded nothing.
 */
@WithNats
class StagingPurgeIT {

    private static final String GATEWAY = "purgegw";
    private static final String STREAM = Streams.changes(GATEWAY);
    private static final String APPLY = "tideline-apply-p1";

    @Test
    void onlyWhatEveryReaderIsDoneWithIsPurged(NatsServer nats) throws Exception {
        try (Connection client = Nats.connect(nats.url())) {
            JetStreamPublisher publisher = new JetStreamPublisher(client, GATEWAY, JetStreamPublisher.Settings.DEFAULT);
            publisher.ensureStream();
            for (int i = 0; i < 10; i++) {
                publisher.publish(new EncodedMessage(Subjects.changes(GATEWAY, dev.tideline.core.TableId.of("s", "t")),
                        Map.of(WireHeaders.NATS_MSG_ID, GATEWAY + ":" + i), new byte[] {(byte) i})).get();
            }
            JetStreamManagement jsm = client.jetStreamManagement();
            Map<String, Long> recorded = new HashMap<>();
            java.util.function.Function<String, OptionalLong> positions =
                    p -> recorded.containsKey(p) ? OptionalLong.of(recorded.get(p)) : OptionalLong.empty();
            assertEquals(0, StagingPurge.purgeApplied(jsm, STREAM, List.of(), positions), "no pipeline: nothing is purged");
            assertEquals(0, StagingPurge.purgeApplied(jsm, STREAM, List.of("p1"), positions), "p1 recorded nothing yet");

            JetStreamSubscription apply = client.jetStream().subscribe(Subjects.allChanges(GATEWAY), PullSubscribeOptions.builder()
                    .stream(STREAM).configuration(ConsumerConfiguration.builder().durable(APPLY).ackPolicy(AckPolicy.Explicit).build()).build());
            JetStreamSubscription mine = client.jetStream().subscribe(Subjects.allChanges(GATEWAY), PullSubscribeOptions.builder()
                    .stream(STREAM).configuration(ConsumerConfiguration.builder().durable("mine").ackPolicy(AckPolicy.Explicit).build()).build());
            // An ordered consumer acknowledges nothing and is not waited for.
            client.jetStream().subscribe(Subjects.allChanges(GATEWAY), PushSubscribeOptions.builder().stream(STREAM).ordered(true).build());
            ack(apply, 8);
            ack(mine, 4);
            recorded.put("p1", 6L); // apply acknowledged 8 but recorded 6 so far: its record decides
            assertEquals(4, StagingPurge.purgeApplied(jsm, STREAM, List.of("p1"), positions), "up to the lowest: my own consumer's 4");
            assertEquals(5, jsm.getStreamInfo(STREAM).getStreamState().getFirstSequence());
            assertEquals(0, StagingPurge.purgeApplied(jsm, STREAM, List.of("p1"), positions), "nothing new was acknowledged");
            ack(mine, 5);
            assertEquals(2, StagingPurge.purgeApplied(jsm, STREAM, List.of("p1"), positions), "now p1's recorded position is the lowest");
            assertEquals(7, jsm.getStreamInfo(STREAM).getStreamState().getFirstSequence());
            assertEquals(0, StagingPurge.purgeApplied(jsm, STREAM, List.of("p1", "p2"), positions), "a second pipeline without a record");
        }
    }

    private static void ack(JetStreamSubscription sub, int n) throws Exception {
        List<Message> messages = sub.fetch(n, Duration.ofSeconds(5));
        assertEquals(n, messages.size());
        for (Message m : messages) {
            m.ackSync(Duration.ofSeconds(5));
        }
    }
}
