package dev.tideline.core.wire;

/**
 * The acknowledgement owed for one delivered message of a staging stream — the message itself is not
 * kept, only what answering it needs. An applier acknowledges a message only once what it carried is
 * durable at its destination; a message never acknowledged is delivered again.
 */
public interface Ack {

    /** Nothing to answer (a message that was not delivered by a stream consumer). */
    Ack NONE = new Ack() {
        @Override
        public void ack() {
        }

        @Override
        public void inProgress() {
        }

        @Override
        public long streamSequence() {
            return Long.MAX_VALUE;
        }
    };

    /** The message is done with: it is never delivered again. */
    void ack();

    /** The message is still being worked on: postpones its redelivery by one ack wait. */
    void inProgress();

    /** The message's position in its stream ({@code Long.MAX_VALUE} when it has none). */
    long streamSequence();
}
