package dev.tideline.gateway.capture;

import dev.tideline.control.nats.NatsConnect;
import dev.tideline.core.Lsn;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.ChangeEvent;
import dev.tideline.core.checkpoint.GatewayCheckpoint;
import dev.tideline.core.naming.ResourceIds;
import dev.tideline.core.wire.BatchLimits;
import dev.tideline.core.wire.EncodedMessage;
import dev.tideline.gateway.publish.JetStreamPublisher;
import dev.tideline.gateway.publish.NatsKvCheckpointStore;
import dev.tideline.gateway.snapshot.SnapshotWindows;
import dev.tideline.gateway.source.postgres.PostgresReplicationSource;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import io.nats.client.Connection;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.jboss.logging.Logger;

/**
 * The streaming capture of one gateway: reads committed transactions from a Postgres slot, publishes
 * them as batches to the gateway's JetStream stream, and confirms the slot behind JetStream's
 * acknowledgements. Runs on its own thread and reconnects by itself.
 *
 * <p><b>Checkpoint rule.</b> The slot's {@code confirmed_flush_lsn} moves to a transaction's end LSN
 * only once JetStream acknowledged every message of that transaction and of all earlier ones. When
 * nothing is in flight (idle, or only transactions that touched no published table) it moves to
 * the latest position the server reported, so an idle pipeline never holds WAL. The same position
 * is copied, at most every {@code checkpointInterval}, to the KV checkpoint key of the gateway.
 *
 * <p><b>Failures.</b> Any error ends the session: the replication connection and the NATS connection
 * are closed without confirming anything further, and a new session starts after a bounded
 * exponential backoff, from the slot's {@code confirmed_flush_lsn}. It re-publishes what was not
 * confirmed; batch boundaries are deterministic, so JetStream drops the copies by
 * {@code Nats-Msg-Id} within its duplicate window (delivery is at-least-once; consumers skip by
 * ordering key beyond that window). RETRYABLE and NEEDS_OPERATOR errors are retried (the latter at
 * the longest backoff, so that fixing the cause resumes capture); FATAL ones stop it.
 *
 * <p>{@link #close()} stops abruptly, like a crash: work not yet confirmed is simply read again by
 * the next start. Thread-safe: start, close and the accessors may be called from any thread.
 */
public final class ChangeCapture implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ChangeCapture.class);
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    /** Opens a NATS connection for one session. */
    @FunctionalInterface
    public interface NatsConnector {
        Connection connect() throws IOException, InterruptedException;

        /**
         * A connector for {@code url}. The client does not reconnect by itself: a lost connection ends
         * the session and the capture's own backoff starts a new one, which re-reads from the slot.
         */
        static NatsConnector of(String url) {
            return () -> NatsConnect.connect(url, "tideline-gateway-capture", NatsConnect.Reconnect.NEVER);
        }
    }

    /**
     * @param gatewayId          the gateway's id (names its stream, subjects and checkpoint key)
     * @param source             slot, publication and protocol
     * @param publisher          stream limits and the in-flight window
     * @param batchLimits        batch sizes; changing them across a restart defeats Msg-Id de-duplication for re-published data
     * @param confirmInterval    the slot is confirmed at most this often
     * @param checkpointInterval the KV checkpoint is written at most this often
     * @param minBackoff         first wait before reconnecting
     * @param maxBackoff         longest wait before reconnecting
     */
    public record Settings(String gatewayId, PostgresReplicationSource.Settings source, JetStreamPublisher.Settings publisher,
                           BatchLimits batchLimits, Duration confirmInterval, Duration checkpointInterval, Duration minBackoff,
                           Duration maxBackoff) {
        public Settings {
            ResourceIds.requireValid("gateway id", gatewayId);
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(publisher, "publisher");
            Objects.requireNonNull(batchLimits, "batchLimits");
            Objects.requireNonNull(confirmInterval, "confirmInterval");
            Objects.requireNonNull(checkpointInterval, "checkpointInterval");
            if (minBackoff.toMillis() < 1 || maxBackoff.compareTo(minBackoff) < 0) {
                throw new IllegalArgumentException("backoff must satisfy 1 ms <= minBackoff <= maxBackoff");
            }
        }

        /** Defaults: 256 KiB batches, confirm every 100 ms, checkpoint every second, backoff 200 ms → 10 s. */
        public static Settings defaults(String gatewayId, String slotName, String publicationName) {
            return new Settings(gatewayId, new PostgresReplicationSource.Settings(slotName, publicationName, 2, Duration.ofSeconds(1)),
                    JetStreamPublisher.Settings.DEFAULT, BatchLimits.DEFAULT, Duration.ofMillis(100), Duration.ofSeconds(1),
                    Duration.ofMillis(200), Duration.ofSeconds(10));
        }
    }

    /** Where the capture is. */
    public enum State { NEW, CONNECTING, STREAMING, BACKING_OFF, FAILED, STOPPED }

    private final Settings settings;
    private final PostgresReplicationSource.Connector postgres;
    private final NatsConnector natsConnector;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final AtomicReference<TidelineException> lastError = new AtomicReference<>();
    private final AtomicLong sessions = new AtomicLong();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private volatile Lsn confirmed = Lsn.INVALID;
    private volatile boolean running;
    private volatile Lsn received = Lsn.INVALID;
    private volatile long spilledBytes;
    private final SnapshotWindows snapshots;
    private final Predicate<String> internalPrefix;
    private Thread thread;

    public ChangeCapture(Settings settings, PostgresReplicationSource.Connector postgres, NatsConnector nats) {
        this(settings, postgres, nats, null, prefix -> false);
    }

    /**
     * @param snapshots      the watermark snapshot's capture side, or {@code null} when no table is snapshotted while streaming
     * @param internalPrefix logical message prefixes that are Tideline's own (heartbeats) and are not published
     */
    public ChangeCapture(Settings settings, PostgresReplicationSource.Connector postgres, NatsConnector nats, SnapshotWindows snapshots,
                         Predicate<String> internalPrefix) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.postgres = Objects.requireNonNull(postgres, "postgres");
        this.natsConnector = Objects.requireNonNull(nats, "nats");
        this.snapshots = snapshots;
        this.internalPrefix = Objects.requireNonNull(internalPrefix, "internalPrefix");
    }

    /** The last position the server reported in this process (data or keepalive). */
    public Lsn receivedLsn() {
        return received;
    }

    /** Bytes of open source transactions that Postgres streamed and that wait on disk for their commit. */
    public long spilledBytes() {
        return spilledBytes;
    }

    public Settings settings() {
        return settings;
    }

    /** Starts the capture thread. */
    public synchronized void start() {
        if (thread != null) {
            throw new IllegalStateException("already started");
        }
        running = true;
        thread = new Thread(this::run, "tideline-capture-" + settings.gatewayId());
        thread.setDaemon(true);
        thread.start();
    }

    /** Stops at once, without confirming anything further (see the class comment). Idempotent. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            running = false;
            t = thread;
        }
        stopped.countDown();
        if (t != null) {
            t.interrupt();
            try {
                t.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        state.set(State.STOPPED);
    }

    public State state() {
        return state.get();
    }

    /** The last LSN this process confirmed to the slot (not read back from Postgres). */
    public Lsn confirmedLsn() {
        return confirmed;
    }

    /** The error that ended the last session, if any. */
    public TidelineException lastError() {
        return lastError.get();
    }

    /** Sessions started so far (1 + reconnects). */
    public long sessions() {
        return sessions.get();
    }

    /** Messages acknowledged by JetStream so far, duplicates included. */
    public long publishedMessages() {
        return published.get();
    }

    /** Re-published messages JetStream recognised by {@code Nats-Msg-Id} and did not store again. */
    public long duplicatesDropped() {
        return duplicates.get();
    }

    private void run() {
        Duration backoff = settings.minBackoff();
        while (running) {
            state.set(State.CONNECTING);
            sessions.incrementAndGet();
            Session session = new Session();
            try {
                session.run();
            } catch (InterruptedException e) {
                break;
            } catch (TidelineException e) {
                if (!running) {
                    break;
                }
                lastError.set(e);
                if (e.kind() == TidelineException.Kind.FATAL) {
                    LOG.errorf("capture of gateway %s stopped at %s: %s", settings.gatewayId(), confirmed, e);
                    state.set(State.FAILED);
                    return;
                }
                if (session.madeProgress) {
                    backoff = settings.minBackoff();
                }
                Duration wait = e.kind() == TidelineException.Kind.NEEDS_OPERATOR ? settings.maxBackoff() : backoff;
                LOG.warnf("capture of gateway %s interrupted at confirmed LSN %s (%s); reconnecting in %d ms: %s", settings.gatewayId(),
                        confirmed, e.kind(), wait.toMillis(), e);
                state.set(State.BACKING_OFF);
                try {
                    if (stopped.await(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                        break;
                    }
                } catch (InterruptedException ie) {
                    break;
                }
                backoff = backoff.multipliedBy(2).compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : backoff.multipliedBy(2);
            } catch (RuntimeException e) {
                // A bug: do not spin on it.
                lastError.set(new TidelineException(TidelineException.Kind.FATAL, "capture of gateway " + settings.gatewayId()
                        + " failed at confirmed LSN " + confirmed + ": " + e, "this is a bug; report it with the log", e));
                LOG.errorf(e, "capture of gateway %s stopped at %s", settings.gatewayId(), confirmed);
                state.set(State.FAILED);
                return;
            }
        }
        state.set(State.STOPPED);
    }

    /** One replication connection and one NATS connection, from start to the first error. */
    private final class Session {
        private final CommitTracker tracker = new CommitTracker();
        private final AtomicReference<TidelineException> failure = new AtomicReference<>();
        private JetStreamPublisher publisher;
        private CommitTracker.Txn currentTxn;
        private Lsn sessionConfirmed = Lsn.INVALID;
        private Lsn checkpointed = Lsn.INVALID;
        private long lastConfirmNanos;
        private long lastCheckpointNanos;
        private long txnCount;
        boolean madeProgress;

        void run() throws InterruptedException {
            Connection nats = null;
            try (PostgresReplicationSource source = new PostgresReplicationSource(postgres, settings.source())) {
                try {
                    nats = natsConnector.connect();
                } catch (IOException e) {
                    throw new TidelineException(TidelineException.Kind.RETRYABLE, "connect to NATS failed: " + e.getMessage(),
                            "check that the NATS server is reachable; the gateway retries", e);
                }
                publisher = new JetStreamPublisher(nats, settings.gatewayId(), settings.publisher());
                publisher.ensureStream();
                NatsKvCheckpointStore checkpoints = new NatsKvCheckpointStore(nats);
                checkpoints.ensureBucket();
                source.start();
                if (snapshots != null) {
                    snapshots.sessionStarted();
                }
                sessionConfirmed = source.startLsn();
                checkpointed = sessionConfirmed;
                confirmed = Lsn.max(confirmed, sessionConfirmed);
                // nanoTime has an arbitrary origin: make the first confirm and checkpoint due at once.
                lastConfirmNanos = System.nanoTime() - settings.confirmInterval().toNanos();
                lastCheckpointNanos = System.nanoTime() - settings.checkpointInterval().toNanos();
                state.set(State.STREAMING);
                TransactionBatcher batcher = new TransactionBatcher(settings.gatewayId(), settings.batchLimits(), this::publish);
                while (running) {
                    TidelineException failed = failure.get();
                    if (failed != null) {
                        throw failed;
                    }
                    ChangeEvent event = source.poll();
                    received = source.receivedLsn();
                    if (event == null) {
                        spilledBytes = source.spilledBytes();
                        confirmIfDue(source, checkpoints, !batcher.inTransaction());
                        LockSupport.parkNanos(IDLE_PARK_NANOS);
                        if (Thread.interrupted()) {
                            throw new InterruptedException();
                        }
                        continue;
                    }
                    handle(batcher, event);
                    confirmIfDue(source, checkpoints, false);
                }
                throw new InterruptedException();
            } finally {
                if (nats != null) {
                    try {
                        nats.close();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (RuntimeException ignored) {
                        // closing after a failure
                    }
                }
            }
        }

        private void handle(TransactionBatcher batcher, ChangeEvent event) {
            if (event instanceof ChangeEvent.Begin begin) {
                batcher.begin(begin);
                currentTxn = tracker.open();
                if (snapshots != null) {
                    snapshots.begin(begin.xid());
                }
            } else if (event instanceof ChangeEvent.Commit commit) {
                batcher.commit();
                if (snapshots != null) {
                    snapshots.commit(commit.commitLsn(), this::holdCurrent);
                }
                tracker.seal(currentTxn, commit.endLsn());
                currentTxn = null;
                txnCount++;
            } else if (event instanceof ChangeEvent.LogicalMessage message && !message.transactional()) {
                // Snapshot watermarks and heartbeats are Tideline's own: they take effect here and are not published.
                boolean inTxn = batcher.inTransaction();
                if (!inTxn) {
                    currentTxn = tracker.open();
                }
                boolean internal = internalPrefix.test(message.prefix())
                        || (snapshots != null && snapshots.marker(message, this::publishTracked));
                if (!internal) {
                    batcher.accept(event);
                }
                if (!inTxn) {
                    tracker.seal(currentTxn, message.lsn());
                    currentTxn = null;
                }
            } else {
                if (snapshots != null) {
                    snapshots.change(event);
                }
                batcher.accept(event);
            }
        }

        /** Holds the slot's confirmation at the current transaction until the returned future completes. */
        private CompletableFuture<Void> holdCurrent() {
            CommitTracker.Txn txn = currentTxn;
            txn.published();
            CompletableFuture<Void> hold = new CompletableFuture<>();
            hold.whenComplete((ok, error) -> txn.acknowledged());
            return hold;
        }

        private void publish(EncodedMessage message) {
            publishTracked(message);
        }

        /** Publishes in the current transaction; the future completes when JetStream acknowledged the message. */
        private CompletableFuture<Void> publishTracked(EncodedMessage message) {
            CommitTracker.Txn txn = currentTxn;
            txn.published();
            CompletableFuture<Void> done = new CompletableFuture<>();
            try {
                publisher.publish(message).whenComplete((ack, error) -> {
                    if (error != null) {
                        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                                ? error.getCause() : error;
                        failure.compareAndSet(null, cause instanceof TidelineException t ? t
                                : new TidelineException(TidelineException.Kind.RETRYABLE, "publish failed: " + cause, null, cause));
                        done.completeExceptionally(error);
                    } else {
                        published.incrementAndGet();
                        if (ack.isDuplicate()) {
                            duplicates.incrementAndGet();
                        }
                        txn.acknowledged();
                        done.complete(null);
                    }
                });
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TidelineException(TidelineException.Kind.RETRYABLE, "interrupted while publishing " + message.msgId(), null, e);
            }
            return done;
        }

        /**
         * @param idle whether no transaction is open and the source has nothing queued: then, with
         *             nothing in flight, everything the server sent up to its last reported position is
         *             published, and the slot may move there
         */
        private void confirmIfDue(PostgresReplicationSource source, NatsKvCheckpointStore checkpoints, boolean idle) {
            long now = System.nanoTime();
            if (now - lastConfirmNanos < settings.confirmInterval().toNanos()) {
                return;
            }
            Lsn target = tracker.advance();
            if (idle && tracker.isEmpty()) {
                target = Lsn.max(target, source.receivedLsn());
            }
            if (target.isAfter(sessionConfirmed)) {
                source.confirm(target);
                LOG.debugf("gateway %s confirmed %s (%d transactions, %d waiting for acks)", settings.gatewayId(), target, txnCount,
                        tracker.waiting());
                sessionConfirmed = target;
                confirmed = Lsn.max(confirmed, target);
                madeProgress = true;
            }
            lastConfirmNanos = now;
            if (sessionConfirmed.isAfter(checkpointed) && now - lastCheckpointNanos >= settings.checkpointInterval().toNanos()) {
                checkpoints.write(new GatewayCheckpoint(settings.gatewayId(), sessionConfirmed, Instant.now()));
                checkpointed = sessionConfirmed;
                lastCheckpointNanos = now;
            }
        }
    }
}
