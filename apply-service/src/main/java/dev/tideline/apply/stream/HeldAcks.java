package dev.tideline.apply.stream;

import io.nats.client.Connection;
import io.nats.client.Message;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The acknowledgements an applier owes for messages it holds until a Delta commit: per message only
 * its reply subject and stream sequence, never the message — a jnats {@link Message} keeps its whole
 * payload, so holding messages held every byte of a snapshot or transaction in heap.
 *
 * <p>What is sent is exactly what jnats 2.25's {@code NatsJetStreamMessage.ack()} and
 * {@code inProgress()} send: a plain publish of {@code +ACK} / {@code +WPI} to the message's reply
 * subject ({@code $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>}),
 * on the connection the message came from. About 150 bytes per held message.
 *
 * <p>Acknowledgements are owed as a whole: {@link #ackAll()} sends every one and empties the list.
 * Not thread-safe (the pipeline's loop).
 */
final class HeldAcks {

    private static final byte[] ACK = "+ACK".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] IN_PROGRESS = "+WPI".getBytes(StandardCharsets.US_ASCII);

    private Connection connection;
    private String[] replyTo = new String[4];
    private int size;
    private long minStreamSequence = Long.MAX_VALUE;

    /** Takes over the acknowledgement of {@code message}; the message itself is not kept. */
    void add(Message message) {
        if (message.getReplyTo() == null || !message.isJetStream()) {
            return; // nothing to acknowledge
        }
        if (connection == null) {
            connection = message.getConnection();
        }
        if (size == replyTo.length) {
            replyTo = Arrays.copyOf(replyTo, size * 2);
        }
        replyTo[size++] = message.getReplyTo();
        minStreamSequence = Math.min(minStreamSequence, message.metaData().streamSequence());
    }

    /** Moves every acknowledgement of {@code other} here (and empties it). */
    void takeAll(HeldAcks other) {
        if (other.size == 0) {
            return;
        }
        if (connection == null) {
            connection = other.connection;
        }
        if (size + other.size > replyTo.length) {
            replyTo = Arrays.copyOf(replyTo, Math.max(replyTo.length * 2, size + other.size));
        }
        System.arraycopy(other.replyTo, 0, replyTo, size, other.size);
        size += other.size;
        minStreamSequence = Math.min(minStreamSequence, other.minStreamSequence);
        other.clear();
    }

    /** Acknowledges every held message and forgets them. */
    void ackAll() {
        for (int i = 0; i < size; i++) {
            connection.publish(replyTo[i], ACK);
        }
        clear();
    }

    /** Tells JetStream that every held message is still being worked on (resets their ack wait). */
    void inProgressAll() {
        for (int i = 0; i < size; i++) {
            connection.publish(replyTo[i], IN_PROGRESS);
        }
    }

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    /** The lowest stream sequence held, or {@code Long.MAX_VALUE} when none is. */
    long minStreamSequence() {
        return minStreamSequence;
    }

    private void clear() {
        replyTo = new String[4];
        size = 0;
        minStreamSequence = Long.MAX_VALUE;
    }
}
