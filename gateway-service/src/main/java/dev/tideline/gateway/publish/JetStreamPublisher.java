package dev.tideline.gateway.publish;

import dev.tideline.core.TidelineException;
import dev.tideline.core.naming.Streams;
import dev.tideline.core.naming.Subjects;
import dev.tideline.core.wire.EncodedMessage;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamStatusException;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.PublishAck;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import io.nats.client.impl.Headers;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jboss.logging.Logger;

/**
 * Publishes a gateway's change messages to its JetStream stream ({@link Streams#changes}, subjects
 * {@link Subjects#allChanges}), asynchronously, with a bounded number of unacknowledged messages.
 *
 * <p><b>Duplicates.</b> Every message carries its {@code Nats-Msg-Id}; within the stream's duplicate
 * window JetStream stores a re-published message once and acknowledges the copy as a duplicate. A
 * retry may therefore re-publish anything not yet known to be acknowledged.
 *
 * <p><b>Back-pressure.</b> The stream uses limits retention with <em>discard new</em>: when full it
 * refuses new messages (never drops stored ones). The publisher does not let it come to that: as the
 * stream's only writer it counts the bytes the stream holds, and {@link #publish} waits, before
 * sending, until the message fits (a consumer purging, or messages expiring, frees room), failing
 * with NEEDS_OPERATOR "the stream is full" after twice the ack timeout. A refusal would be worse
 * than a wait: with several messages in flight, the stream could refuse one and accept the next
 * when room appears in between, storing the re-published one after its successors — out of order
 * for every consumer. {@link #publish} also blocks while the in-flight window (messages or bytes) is full.
 *
 * <p><b>Ordering.</b> Messages are stored in publish order per subject as long as no publish fails;
 * after a failure the caller must stop and re-publish from its last confirmed position.
 *
 * <p>Thread-safety: {@link #publish} is called by one thread; acknowledgements complete on NATS
 * threads. The returned futures complete exceptionally with {@link TidelineException} only.
 */
public final class JetStreamPublisher {

    private static final Logger LOG = Logger.getLogger(JetStreamPublisher.class);

    /**
     * Stream limits and the in-flight window.
     *
     * @param duplicateWindow   how long JetStream remembers message ids; a gateway restart must re-publish within it
     * @param maxBytes          stream size limit; when reached new messages are refused (discard new)
     * @param maxAge            how long messages are kept; the apply side must read them before then
     * @param maxInFlight       unacknowledged messages at most
     * @param maxInFlightBytes  unacknowledged body bytes at most
     * @param ackTimeout        a message not acknowledged within this time fails as RETRYABLE
     */
    public record Settings(Duration duplicateWindow, long maxBytes, Duration maxAge, int maxInFlight, long maxInFlightBytes,
                           Duration ackTimeout) {

        public static final Settings DEFAULT = new Settings(Duration.ofMinutes(2), 10L * 1024 * 1024 * 1024, Duration.ofDays(7),
                2_000, 64L * 1024 * 1024, Duration.ofSeconds(10));

        public Settings {
            Objects.requireNonNull(duplicateWindow, "duplicateWindow");
            Objects.requireNonNull(maxAge, "maxAge");
            Objects.requireNonNull(ackTimeout, "ackTimeout");
            if (duplicateWindow.toMillis() < 100 || maxAge.compareTo(duplicateWindow) < 0) {
                throw new IllegalArgumentException("duplicateWindow must be at least 100 ms and at most maxAge");
            }
            if (maxBytes < 1024 * 1024 || maxInFlight < 1 || maxInFlightBytes < 1 || ackTimeout.toMillis() < 100) {
                throw new IllegalArgumentException("maxBytes >= 1 MiB, maxInFlight >= 1, maxInFlightBytes >= 1, ackTimeout >= 100 ms required");
            }
        }
    }

    private final JetStream jetStream;
    private final JetStreamManagement management;
    private final String gatewayId;
    private final String streamName;
    private final Settings settings;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition released = lock.newCondition();
    private int inFlight;
    private long inFlightBytes;
    /** What the stream stores, as far as this writer knows: the server's count plus what was acknowledged since. */
    private long storedBytes = -1;
    /** Estimated stored size of the messages in flight. */
    private long inFlightStored;

    public JetStreamPublisher(Connection nats, String gatewayId, Settings settings) {
        Objects.requireNonNull(nats, "nats");
        this.gatewayId = gatewayId;
        this.streamName = Streams.changes(gatewayId);
        this.settings = Objects.requireNonNull(settings, "settings");
        try {
            this.jetStream = nats.jetStream();
            this.management = nats.jetStreamManagement();
        } catch (IOException e) {
            throw new TidelineException(TidelineException.Kind.RETRYABLE, "JetStream is not available on the NATS connection: " + e.getMessage(),
                    "start nats-server with JetStream enabled (-js)", e);
        }
    }

    public String streamName() {
        return streamName;
    }

    /**
     * Creates the stream, or updates its limits to the settings. Idempotent.
     *
     * @throws TidelineException RETRYABLE when NATS cannot be reached; NEEDS_OPERATOR when the
     *                           server refuses the configuration (e.g. not enough storage)
     */
    public void ensureStream() {
        StreamConfiguration config = StreamConfiguration.builder()
                .name(streamName)
                .subjects(Subjects.allChanges(gatewayId))
                .storageType(StorageType.File)
                .retentionPolicy(RetentionPolicy.Limits)
                .discardPolicy(DiscardPolicy.New)
                .duplicateWindow(settings.duplicateWindow())
                .maxBytes(settings.maxBytes())
                .maxAge(settings.maxAge())
                .build();
        try {
            StreamInfo existing = null;
            try {
                existing = management.getStreamInfo(streamName);
            } catch (JetStreamApiException e) {
                if (e.getErrorCode() != 404) {
                    throw e;
                }
            }
            if (existing == null) {
                management.addStream(config);
                LOG.infof("created stream %s over %s", streamName, Subjects.allChanges(gatewayId));
            } else if (!sameLimits(existing.getConfiguration(), config)) {
                management.updateStream(config);
                LOG.infof("updated the limits of stream %s", streamName);
            }
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            throw wrap("create or update stream " + streamName, e);
        }
    }

    private static boolean sameLimits(StreamConfiguration a, StreamConfiguration b) {
        return a.getDuplicateWindow().equals(b.getDuplicateWindow()) && a.getMaxBytes() == b.getMaxBytes()
                && a.getMaxAge().equals(b.getMaxAge()) && a.getDiscardPolicy() == b.getDiscardPolicy()
                && a.getSubjects().equals(b.getSubjects());
    }

    /**
     * Publishes one message; blocks while the in-flight window is full.
     *
     * @return completes when JetStream stored the message (or recognised it as a duplicate), or
     *         exceptionally with a {@link TidelineException}: RETRYABLE when NATS is unreachable or
     *         did not answer within the ack timeout; NEEDS_OPERATOR when the stream is full or the
     *         message too large
     * @throws TidelineException RETRYABLE when the message cannot be sent at all (connection
     *                           closed) or the window stayed full for longer than the ack timeout
     */
    public CompletableFuture<PublishAck> publish(EncodedMessage message) throws InterruptedException {
        int bytes = message.body().length;
        long stored = storedSize(message);
        awaitRoom(stored, message);
        acquire(bytes, message);
        addInFlightStored(stored);
        Headers headers = new Headers();
        for (Map.Entry<String, String> h : message.headers().entrySet()) {
            headers.put(h.getKey(), h.getValue());
        }
        CompletableFuture<PublishAck> sent;
        try {
            sent = jetStream.publishAsync(message.subject(), headers, message.body());
        } catch (RuntimeException e) {
            release(bytes);
            settleStored(stored, false);
            throw wrap("publish " + message.msgId(), e);
        }
        return sent.orTimeout(settings.ackTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .handle((ack, error) -> {
                    release(bytes);
                    settleStored(stored, error == null && !ack.isDuplicate());
                    if (error != null) {
                        throw wrap("publish " + message.msgId(), error);
                    }
                    return ack;
                });
    }

    /** Messages published and not yet acknowledged (or failed). */
    public int inFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until nothing is in flight; returns whether that happened within the timeout. */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (inFlight > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                released.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** What a message takes in the stream: body, headers, subject and the store's per-message overhead. */
    private static long storedSize(EncodedMessage message) {
        long size = message.body().length + message.subject().length() + 64;
        for (Map.Entry<String, String> h : message.headers().entrySet()) {
            size += h.getKey().length() + h.getValue().length() + 4;
        }
        return size;
    }

    private void awaitRoom(long size, EncodedMessage message) throws InterruptedException {
        long limit = settings.maxBytes() - settings.maxBytes() / 100; // 1% for the estimate's error
        if (storedBytes < 0) {
            refreshStoredBytes();
        }
        if (fits(size, limit)) {
            return;
        }
        long waitNanos = settings.ackTimeout().toNanos() * 2;
        long deadline = System.nanoTime() + waitNanos;
        while (true) {
            refreshStoredBytes();
            if (fits(size, limit)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, "publish " + message.msgId() + ": the stream is full ("
                        + storedBytes + " of " + settings.maxBytes() + " bytes, maximum bytes reached) for "
                        + Duration.ofNanos(waitNanos).toSeconds() + " s",
                        "start (or catch up) the apply pipeline so it consumes the stream, or raise the gateway's stream max-bytes; "
                                + "the gateway retries and loses nothing meanwhile (the slot keeps the changes)");
            }
            Thread.sleep(100);
        }
    }

    private boolean fits(long size, long limit) {
        lock.lock();
        try {
            // A message alone in an empty stream always goes: the server is then the judge.
            return storedBytes + inFlightStored + size <= limit || (storedBytes == 0 && inFlightStored == 0);
        } finally {
            lock.unlock();
        }
    }

    private void refreshStoredBytes() {
        long bytes;
        try {
            bytes = management.getStreamInfo(streamName).getStreamState().getByteCount();
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            throw wrap("read the size of stream " + streamName, e);
        }
        lock.lock();
        try {
            storedBytes = bytes; // messages in flight are counted in inFlightStored (maybe twice for a moment: conservative)
        } finally {
            lock.unlock();
        }
    }

    private void addInFlightStored(long size) {
        lock.lock();
        try {
            inFlightStored += size;
        } finally {
            lock.unlock();
        }
    }

    private void settleStored(long size, boolean stored) {
        lock.lock();
        try {
            inFlightStored -= size;
            if (stored && storedBytes >= 0) {
                storedBytes += size;
            }
        } finally {
            lock.unlock();
        }
    }

    private void acquire(int bytes, EncodedMessage message) throws InterruptedException {
        long waitNanos = settings.ackTimeout().toNanos() * 2;
        long deadline = System.nanoTime() + waitNanos;
        lock.lock();
        try {
            // A message larger than the byte budget still goes through when nothing else is in flight.
            while (inFlight >= settings.maxInFlight() || (inFlight > 0 && inFlightBytes + bytes > settings.maxInFlightBytes())) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new TidelineException(TidelineException.Kind.RETRYABLE, "publish " + message.msgId() + ": " + inFlight
                            + " messages stayed unacknowledged for " + Duration.ofNanos(waitNanos).toSeconds() + " s",
                            "check that the NATS server is up and its JetStream is not overloaded");
                }
                released.awaitNanos(left);
            }
            inFlight++;
            inFlightBytes += bytes;
        } finally {
            lock.unlock();
        }
    }

    private void release(int bytes) {
        lock.lock();
        try {
            inFlight--;
            inFlightBytes -= bytes;
            released.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Wraps a NATS failure once, with the operation, choosing the kind from what failed. */
    public static TidelineException wrap(String operation, Throwable error) {
        Throwable e = error;
        // jnats completes publishAsync futures with a plain RuntimeException around the API error.
        while ((e instanceof CompletionException || e instanceof java.util.concurrent.ExecutionException
                || (e.getClass() == RuntimeException.class && (e.getCause() instanceof JetStreamApiException || e.getCause() instanceof IOException)))
                && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof TidelineException t) {
            return t;
        }
        if (e instanceof JetStreamApiException api) {
            String description = api.getErrorDescription() == null ? "" : api.getErrorDescription();
            if (api.getApiErrorCode() == 10054 || description.contains("message size exceeds")) {
                return new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, operation + " failed: " + description,
                        "raise the NATS server's max_payload (the gateway sizes its messages to it when it connects) and the stream's max message size", api);
            }
            if (description.contains("maximum bytes") || description.contains("maximum messages") || description.contains("storage")) {
                return new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, operation + " failed: the stream is full ("
                        + description + ")",
                        "start (or catch up) the apply pipeline so it consumes the stream, or raise the gateway's stream max-bytes/max-age limits; "
                                + "the gateway retries and loses nothing meanwhile", api);
            }
            if (api.getErrorCode() == 503) {
                return new TidelineException(TidelineException.Kind.RETRYABLE, operation + " failed: " + description,
                        "JetStream is temporarily unavailable; the gateway retries", api);
            }
            return new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, operation + " failed: " + description
                    + " (JetStream error " + api.getApiErrorCode() + ")", "check the stream's configuration and the NATS server log", api);
        }
        if (e instanceof JetStreamStatusException || e instanceof TimeoutException || e instanceof IOException
                || e instanceof IllegalStateException) {
            // No responders, timeouts and closed connections: NATS is down or restarting.
            return new TidelineException(TidelineException.Kind.RETRYABLE, operation + " failed: " + e,
                    "check that the NATS server is reachable; the gateway retries and re-publishes (duplicates are dropped by Nats-Msg-Id)", e);
        }
        return new TidelineException(TidelineException.Kind.RETRYABLE, operation + " failed: " + e,
                "check the NATS server; the gateway retries", e);
    }
}
