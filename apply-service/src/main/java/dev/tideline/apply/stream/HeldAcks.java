package dev.tideline.apply.stream;

import dev.tideline.core.wire.Ack;
import java.util.Arrays;

/**
 * The acknowledgements an applier owes for messages it holds until a sink commit: per message only its
 * {@link Ack}, never the message — a jnats message keeps its whole payload, so holding messages held
 * every byte of a snapshot or transaction in heap.
 *
 * <p>Acknowledgements are owed as a whole: {@link #ackAll()} sends every one and empties the list.
 * Not thread-safe (the pipeline's loop).
 */
final class HeldAcks {

    private Ack[] acks = new Ack[4];
    private int size;
    private long minStreamSequence = Long.MAX_VALUE;

    /** Takes over the acknowledgement of one message. */
    void add(Ack ack) {
        if (ack == Ack.NONE) {
            return; // nothing to acknowledge
        }
        if (size == acks.length) {
            acks = Arrays.copyOf(acks, size * 2);
        }
        acks[size++] = ack;
        minStreamSequence = Math.min(minStreamSequence, ack.streamSequence());
    }

    /** Moves every acknowledgement of {@code other} here (and empties it). */
    void takeAll(HeldAcks other) {
        if (other.size == 0) {
            return;
        }
        if (size + other.size > acks.length) {
            acks = Arrays.copyOf(acks, Math.max(acks.length * 2, size + other.size));
        }
        System.arraycopy(other.acks, 0, acks, size, other.size);
        size += other.size;
        minStreamSequence = Math.min(minStreamSequence, other.minStreamSequence);
        other.clear();
    }

    /** Acknowledges every held message and forgets them. */
    void ackAll() {
        for (int i = 0; i < size; i++) {
            acks[i].ack();
        }
        clear();
    }

    /** Tells the stream that every held message is still being worked on (resets their ack wait). */
    void inProgressAll() {
        for (int i = 0; i < size; i++) {
            acks[i].inProgress();
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
        acks = new Ack[4];
        size = 0;
        minStreamSequence = Long.MAX_VALUE;
    }
}
