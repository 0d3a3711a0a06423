package dev.tideline.api.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import io.quarkiverse.reactive.messaging.nats.jetstream.client.api.SubscribeMessageMetadata;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The most recent events the services published on {@code tideline.events.>} (pipeline state changes, Delta
 * commits, synced table refreshes), received through SmallRye Reactive Messaging from the {@code TIDELINE_EVENTS}
 * stream and kept in memory for {@code GET /api/2.0/tideline/events}. Only events published since this instance
 * started are kept (at most {@link #CAPACITY}); subscribers that need all of them read the stream themselves.
 * Thread-safe.
 */
@ApplicationScoped
public class RecentEvents {

    /** How many events are kept; older ones are dropped first. */
    public static final int CAPACITY = 500;

    private static final Logger LOG = Logger.getLogger(RecentEvents.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Deque<Event> events = new ArrayDeque<>();

    /**
     * One event.
     *
     * @param subject  where it was published, e.g. {@code tideline.events.pipeline.<id>.state}
     * @param sequence its sequence in the {@code TIDELINE_EVENTS} stream
     * @param time     when the stream stored it (RFC 3339)
     * @param event    its JSON body (a string when the body is not JSON)
     */
    @RegisterForReflection
    public record Event(String subject, Long sequence, String time, JsonNode event) {
    }

    @Incoming("tideline-events")
    CompletionStage<Void> receive(Message<?> message) {
        SubscribeMessageMetadata metadata = message.getMetadata(SubscribeMessageMetadata.class).orElse(null);
        if (metadata != null) {
            add(new Event(metadata.subject(), metadata.streamSequence(),
                    metadata.timestamp() == null ? Instant.now().toString() : metadata.timestamp().toInstant().toString(), body(metadata.payload())));
        } else {
            LOG.debugf("event without JetStream metadata ignored");
        }
        return message.ack();
    }

    void add(Event event) {
        synchronized (events) {
            events.addLast(event);
            while (events.size() > CAPACITY) {
                events.removeFirst();
            }
        }
    }

    /** Up to {@code max} most recent events whose subject starts with {@code subjectPrefix}, oldest first. */
    public List<Event> recent(String subjectPrefix, int max) {
        List<Event> matching = new ArrayList<>();
        synchronized (events) {
            var it = events.descendingIterator();
            while (it.hasNext() && matching.size() < max) {
                Event event = it.next();
                if (subjectPrefix == null || event.subject().startsWith(subjectPrefix)) {
                    matching.add(0, event);
                }
            }
        }
        return matching;
    }

    private static JsonNode body(byte[] payload) {
        if (payload == null) {
            return null;
        }
        try {
            return JSON.readTree(payload);
        } catch (IOException e) {
            return TextNode.valueOf(new String(payload, java.nio.charset.StandardCharsets.UTF_8));
        }
    }
}
