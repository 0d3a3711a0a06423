package dev.tideline.core.wire;

/**
 * Size limits of a body, for the batch builders.
 *
 * @param targetBytes a batch is {@linkplain RowsBatchBuilder#isFull() full} once its body reaches this
 *                    size; the publisher then publishes it and starts the next one
 * @param maxBytes    no body may exceed this; it must stay below the NATS server's {@code max_payload}
 *                    (1 MiB by default) minus room for the headers
 */
public record BatchLimits(int targetBytes, int maxBytes) {

    /** 256 KiB: large enough to amortise per-message cost, small enough to keep memory and redelivery cheap. */
    public static final int DEFAULT_TARGET_BYTES = 256 * 1024;
    /** Room left in a message for its headers. */
    static final int HEADER_ROOM = 16 * 1024;
    /** 1 MiB (NATS' default {@code max_payload}) minus 16 KiB for headers. */
    public static final int DEFAULT_MAX_BYTES = 1024 * 1024 - HEADER_ROOM;

    public static final BatchLimits DEFAULT = new BatchLimits(DEFAULT_TARGET_BYTES, DEFAULT_MAX_BYTES);
    /** No practical limit: used by {@link WireCodec#encode} for an already-formed batch. */
    static final BatchLimits UNLIMITED = new BatchLimits(Integer.MAX_VALUE - 64, Integer.MAX_VALUE - 64);

    /**
     * The default target with the largest body a server whose {@code max_payload} is
     * {@code maxPayload} accepts (as it announces in its INFO), so raising {@code max_payload} is all
     * an operator does to let larger rows through.
     */
    public static BatchLimits forMaxPayload(long maxPayload) {
        int max = (int) Math.min(Integer.MAX_VALUE - 64, maxPayload - HEADER_ROOM);
        return new BatchLimits(Math.min(DEFAULT_TARGET_BYTES, max), max);
    }

    public BatchLimits {
        if (targetBytes < 64) {
            throw new IllegalArgumentException("targetBytes must be at least 64, was " + targetBytes);
        }
        if (maxBytes < targetBytes) {
            throw new IllegalArgumentException("maxBytes (" + maxBytes + ") must be >= targetBytes (" + targetBytes + ")");
        }
    }
}
