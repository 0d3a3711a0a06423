package dev.tideline.apply.stream;

import dev.tideline.core.wire.Ack;
import io.nats.client.Connection;
import io.nats.client.Message;
import java.nio.charset.StandardCharsets;

/**
 * The {@link Ack} of a JetStream message: its reply subject and stream sequence, on the connection it
 * came from — not the message, whose payload would stay in heap as long as the acknowledgement is owed.
 *
 * <p>What is sent is exactly what jnats 2.25's {@code NatsJetStreamMessage.ack()} and
 * {@code inProgress()} send: a plain publish of {@code +ACK} / {@code +WPI} to the message's reply
 * subject ({@code $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>}).
 * About 180 bytes per held message (the reply subject, and this record).
 */
record JetStreamAck(Connection connection, String replyTo, long streamSequence) implements Ack {

    private static final byte[] ACK = "+ACK".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] IN_PROGRESS = "+WPI".getBytes(StandardCharsets.US_ASCII);

    /** The acknowledgement of {@code message}; {@link Ack#NONE} for a message no consumer delivered. */
    static Ack of(Message message) {
        if (message.getReplyTo() == null || !message.isJetStream()) {
            return Ack.NONE;
        }
        return new JetStreamAck(message.getConnection(), message.getReplyTo(), message.metaData().streamSequence());
    }

    @Override
    public void ack() {
        connection.publish(replyTo, ACK);
    }

    @Override
    public void inProgress() {
        connection.publish(replyTo, IN_PROGRESS);
    }
}
