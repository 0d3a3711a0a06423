package dev.tideline.core.naming;

/**
 * JetStream stream names. Stream names cannot contain {@code . * > / \} or whitespace; ids validated
 * by {@link ResourceIds} never do.
 */
public final class Streams {

    /** Durable store of events ({@link Subjects#ALL_EVENTS}), so late subscribers can catch up. */
    public static final String EVENTS = "TIDELINE_EVENTS";
    /** Durable store of control requests ({@link Subjects#ALL_CONTROL}), so a scaled-to-zero service still gets them. */
    public static final String CONTROL = "TIDELINE_CONTROL";

    private Streams() {
    }

    /** {@code TIDELINE_CDC_<gateway>}: the staging stream of one gateway, over {@link Subjects#allChanges}. */
    public static String changes(String gatewayId) {
        return "TIDELINE_CDC_" + ResourceIds.requireValid("gateway id", gatewayId);
    }
}
