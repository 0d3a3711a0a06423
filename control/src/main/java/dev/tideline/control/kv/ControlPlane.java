package dev.tideline.control.kv;

import dev.tideline.core.TidelineException;
import dev.tideline.core.naming.KvBuckets;
import dev.tideline.control.ControlJson;
import dev.tideline.core.naming.Streams;
import dev.tideline.core.naming.Subjects;
import io.nats.client.Connection;
import io.nats.client.ConsumerContext;
import io.nats.client.Dispatcher;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.KeyValueManagement;
import io.nats.client.Message;
import io.nats.client.MessageConsumer;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Duration;
import java.util.function.BiConsumer;

/**
 * The KV buckets and the event and control streams of Tideline on one NATS connection, created when
 * missing (any service may start first). Specs keep a short history so an operator can see what
 * changed; status and checkpoints keep only the latest value. Events ({@link Streams#EVENTS}) and
 * control requests ({@link Streams#CONTROL}) are kept in streams so that a service that was down or
 * scaled to zero still receives the requests sent meanwhile ({@link #listen}).
 */
public final class ControlPlane {

    private static final Logger LOG = Logger.getLogger(ControlPlane.class);
    /** How long requests wait for a service that is down; a day covers a restart or a scale-from-zero. */
    private static final Duration CONTROL_MAX_AGE = Duration.ofDays(1);
    /** Events are notifications for subscribers that join late, not the record (KV is). */
    private static final Duration EVENTS_MAX_AGE = Duration.ofDays(7);
    /** A unit's request consumer nobody bound for this long belongs to a unit that is gone; the server drops it. */
    private static final Duration UNIT_CONSUMER_IDLE = Duration.ofDays(7);

    private final Connection nats;
    private final JsonKv specs;
    private final JsonKv status;
    private final JsonKv checkpoints;

    private ControlPlane(Connection nats) {
        this.nats = nats;
        this.specs = open(nats, KvBuckets.SPECS, 5);
        this.status = open(nats, KvBuckets.STATUS, 1);
        this.checkpoints = open(nats, KvBuckets.CHECKPOINTS, 1);
        ensureStream(nats, Streams.EVENTS, Subjects.ALL_EVENTS, EVENTS_MAX_AGE);
        ensureStream(nats, Streams.CONTROL, Subjects.ALL_CONTROL, CONTROL_MAX_AGE);
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

    /**
     * Publishes an event (JSON) without waiting: events are notifications, KV holds the truth, and the
     * {@link Streams#EVENTS} stream keeps them for late subscribers.
     */
    public void publish(String subject, Object event) {
        nats.publish(subject, ControlJson.toBytes(event));
    }

    /**
     * Sends a control request (JSON) and waits until the {@link Streams#CONTROL} stream stored it, so a
     * caller that gets no exception knows the request will be seen.
     *
     * @throws TidelineException RETRYABLE when JetStream did not acknowledge it
     */
    public void send(String subject, Object request) {
        try {
            nats.jetStream().publish(subject, ControlJson.toBytes(request));
        } catch (IOException | JetStreamApiException e) {
            throw new TidelineException(TidelineException.Kind.RETRYABLE, "cannot send " + subject + ": " + e.getMessage(),
                    "check that NATS with JetStream is reachable and retry", e);
        }
    }

    /**
     * Delivers every control request (or event) matching {@code filter} to {@code handler}, through a
     * durable consumer named {@code durable} on {@code stream}: requests sent while the service was
     * down are delivered when it starts (the first start sees only new ones). A message is acknowledged
     * after the handler returns; when it throws, the message is delivered again after a pause, up to 5
     * times. A message that is not a valid {@code type} document is logged with its subject and dropped.
     *
     * @param stream  {@link Streams#CONTROL} or {@link Streams#EVENTS}
     * @param durable consumer name, unique per service and purpose, e.g. {@code apply-updates}
     * @param filter  a subject filter inside the stream, e.g. {@code tideline.control.pipeline.*.update}
     * @return the running consumer; close it to stop
     */
    public <T> AutoCloseable listen(String stream, String durable, String filter, Class<T> type, BiConsumer<String, T> handler) {
        try {
            ConsumerContext consumer = nats.getStreamContext(stream).createOrUpdateConsumer(ConsumerConfiguration.builder()
                    .durable(durable).filterSubject(filter).ackPolicy(AckPolicy.Explicit).deliverPolicy(DeliverPolicy.New)
                    .ackWait(Duration.ofMinutes(1)).maxDeliver(5).build());
            MessageConsumer running = consumer.consume(message -> deliver(message, type, handler));
            return running::close;
        } catch (IOException | JetStreamApiException e) {
            throw new TidelineException(TidelineException.Kind.RETRYABLE, "cannot listen to " + filter + " on " + stream + ": " + e.getMessage(),
                    "check that NATS with JetStream is reachable", e);
        }
    }

    /**
     * Like {@link #listen}, for the requests of one unit of work (one pipeline, one synced table) that replicas
     * split with leases: the durable consumer belongs to the unit, not to a replica, so whichever replica holds
     * the unit binds to it and gets the requests nobody handled yet. When the consumer is first created it
     * starts at the oldest request the stream still holds for {@code subject}, so a request sent before any
     * replica took the unit is not lost. Call {@link #forget} when the unit is deleted.
     *
     * @param durable the unit's consumer name, e.g. {@code apply-update-<pipeline>}; no {@code .} {@code *} {@code >}
     * @param subject the unit's own subject, e.g. {@link Subjects#pipelineUpdate}
     */
    public <T> AutoCloseable listenFor(String stream, String durable, String subject, Class<T> type, BiConsumer<String, T> handler) {
        try {
            ConsumerContext consumer = nats.getStreamContext(stream).createOrUpdateConsumer(ConsumerConfiguration.builder()
                    .durable(durable).filterSubject(subject).ackPolicy(AckPolicy.Explicit).deliverPolicy(DeliverPolicy.All)
                    .ackWait(Duration.ofMinutes(1)).maxDeliver(5).inactiveThreshold(UNIT_CONSUMER_IDLE).build());
            MessageConsumer running = consumer.consume(message -> deliver(message, type, handler));
            return running::close;
        } catch (IOException | JetStreamApiException e) {
            throw new TidelineException(TidelineException.Kind.RETRYABLE, "cannot listen to " + subject + " on " + stream + ": " + e.getMessage(),
                    "check that NATS with JetStream is reachable", e);
        }
    }

    /** Deletes a unit's consumer made by {@link #listenFor} (the unit was deleted); a missing one is fine. */
    public void forget(String stream, String durable) {
        try {
            nats.jetStreamManagement().deleteConsumer(stream, durable);
        } catch (JetStreamApiException e) {
            LOG.debugf("consumer %s of %s: %s", durable, stream, e.getMessage()); // already gone
        } catch (IOException e) {
            LOG.warnf("cannot delete consumer %s of %s (it expires after %s unused): %s", durable, stream, UNIT_CONSUMER_IDLE, e.getMessage());
        }
    }

    /**
     * Calls {@code handler} with every event matching {@code filter} from now on, on this replica only (a plain
     * NATS subscription, nothing durable): for notifications every replica filters for the units it holds, with
     * KV or polling as the truth behind them. Documents that do not parse are logged and skipped.
     */
    public <T> AutoCloseable subscribe(String filter, Class<T> type, BiConsumer<String, T> handler) {
        Dispatcher dispatcher = nats.createDispatcher(message -> {
            T value;
            try {
                value = ControlJson.fromBytes(message.getData(), type);
            } catch (IllegalArgumentException e) {
                LOG.errorf("skipping a message on %s: %s", message.getSubject(), e.getMessage());
                return;
            }
            try {
                handler.accept(message.getSubject(), value);
            } catch (RuntimeException e) {
                LOG.warnf(e, "handling %s failed", message.getSubject());
            }
        });
        dispatcher.subscribe(filter);
        return () -> nats.closeDispatcher(dispatcher);
    }

    private static <T> void deliver(Message message, Class<T> type, BiConsumer<String, T> handler) {
        T value;
        try {
            value = ControlJson.fromBytes(message.getData(), type);
        } catch (IllegalArgumentException e) {
            LOG.errorf("dropping a message on %s: %s", message.getSubject(), e.getMessage());
            message.term();
            return;
        }
        try {
            handler.accept(message.getSubject(), value);
            message.ack();
        } catch (RuntimeException e) {
            LOG.warnf(e, "handling %s failed; it will be delivered again", message.getSubject());
            message.nakWithDelay(Duration.ofSeconds(5));
        }
    }

    /**
     * The {@code tideline-leases} bucket, created when missing with {@code ttl} as its max age: a lease or
     * presence key that is not rewritten within the bucket's max age disappears on the server, which is
     * what lets another replica take over from a crashed one without trusting anybody's clock but the
     * server's. When the bucket exists, its max age stays as it is ({@link JsonKv#maxAge()} tells it).
     */
    public JsonKv leases(Duration ttl) {
        return open(nats, KvBuckets.LEASES, 1, ttl);
    }

    public Connection connection() {
        return nats;
    }

    private static void ensureStream(Connection nats, String name, String subjects, Duration maxAge) {
        try {
            JetStreamManagement jsm = nats.jetStreamManagement();
            if (jsm.getStreamNames().contains(name)) {
                return;
            }
            try {
                jsm.addStream(StreamConfiguration.builder().name(name).subjects(subjects).storageType(StorageType.File)
                        .retentionPolicy(RetentionPolicy.Limits).discardPolicy(DiscardPolicy.Old).maxAge(maxAge)
                        .duplicateWindow(Duration.ofMinutes(2)).build());
            } catch (JetStreamApiException e) {
                if (!jsm.getStreamNames().contains(name)) { // else: another service created it meanwhile
                    throw e;
                }
            }
        } catch (IOException | JetStreamApiException e) {
            throw new TidelineException(TidelineException.Kind.RETRYABLE, "cannot create stream " + name + ": " + e.getMessage(),
                    "check that the NATS server runs with JetStream enabled (nats-server -js)", e);
        }
    }

    private static JsonKv open(Connection nats, String bucket, int history) {
        return open(nats, bucket, history, null);
    }

    private static JsonKv open(Connection nats, String bucket, int history, Duration maxAge) {
        try {
            KeyValueManagement kvm = nats.keyValueManagement();
            if (!kvm.getBucketNames().contains(bucket)) {
                try {
                    KeyValueConfiguration.Builder config = KeyValueConfiguration.builder().name(bucket).storageType(StorageType.File)
                            .maxHistoryPerKey(history);
                    if (maxAge != null) {
                        config.ttl(maxAge);
                    }
                    kvm.create(config.build());
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
