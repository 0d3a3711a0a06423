package dev.tideline.api.console;

import dev.tideline.api.nats.ControlPlaneAccess;
import dev.tideline.core.TidelineException;
import dev.tideline.core.naming.Streams;
import io.nats.client.FetchConsumeOptions;
import io.nats.client.FetchConsumer;
import io.nats.client.JetStreamApiException;
import io.nats.client.Message;
import io.nats.client.OrderedConsumerContext;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.OrderedConsumerConfiguration;
import io.nats.client.api.StreamState;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The console's event feed, read from the {@code TIDELINE_EVENTS} stream itself (not from this instance's memory), so
 * it is the same on every replica and after a restart: the last {@link #SCAN} events the stream holds, filtered by
 * text. Thread-safe; one short-lived ordered consumer per read.
 */
@ApplicationScoped
class EventFeed {

    /** How many of the newest events a read looks at. */
    static final int SCAN = 2_000;

    private final ControlPlaneAccess access;

    EventFeed(ControlPlaneAccess access) {
        this.access = access;
    }

    /** Up to {@code max} of the newest events whose subject or body contains {@code filter} (any case; null: all), newest first. */
    List<ConsoleViews.EventRow> recent(String filter, int max) {
        String needle = filter == null || filter.isBlank() ? null : filter.strip().toLowerCase(Locale.ROOT);
        List<ConsoleViews.EventRow> rows = new ArrayList<>();
        try {
            access.plane(); // creates the stream when no service has yet
            StreamState state = access.connection().jetStreamManagement().getStreamInfo(Streams.EVENTS).getStreamState();
            if (state.getMsgCount() == 0) {
                return rows;
            }
            long start = Math.max(state.getFirstSequence(), state.getLastSequence() - SCAN + 1);
            OrderedConsumerContext consumer = access.connection().getStreamContext(Streams.EVENTS).createOrderedConsumer(
                    new OrderedConsumerConfiguration().deliverPolicy(DeliverPolicy.ByStartSequence).startSequence(start));
            try (FetchConsumer fetch = consumer.fetch(FetchConsumeOptions.builder().maxMessages(SCAN).noWaitExpiresIn(2_000).build())) {
                Message message;
                while ((message = fetch.nextMessage()) != null) {
                    String body = new String(message.getData(), StandardCharsets.UTF_8);
                    if (needle == null || message.getSubject().toLowerCase(Locale.ROOT).contains(needle)
                            || body.toLowerCase(Locale.ROOT).contains(needle)) {
                        Instant time = message.metaData().timestamp().toInstant().truncatedTo(ChronoUnit.SECONDS);
                        rows.add(new ConsoleViews.EventRow(time.toString(), message.getSubject(), body));
                    }
                }
            }
        } catch (TidelineException e) {
            throw e;
        } catch (Exception e) { // jnats' fetch and close throw checked exceptions of several kinds
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new TidelineException(TidelineException.Kind.RETRYABLE, "cannot read the event stream " + Streams.EVENTS + ": " + e.getMessage(),
                    "check that NATS with JetStream is reachable", e);
        }
        Collections.reverse(rows);
        return rows.size() > max ? rows.subList(0, max) : rows;
    }
}
