package dev.tideline.apply.stream;

/**
 * Named points inside the applier where tests inject faults (throw, as if the process were killed
 * there) to prove that an applier stopped anywhere applies nothing twice and loses nothing once its
 * unacknowledged messages come back. The service uses {@link #NONE}.
 */
@FunctionalInterface
public interface ApplyFaults {

    /** A table's sink commit returned (durable), its messages are not acknowledged yet. */
    String COMMITTED_BEFORE_ACK = "table.committed-before-ack";
    /** Half of a fetch of more than one message was routed to the tables, the rest not yet. */
    String MID_FETCH = "pipeline.mid-fetch";

    ApplyFaults NONE = point -> {
    };

    /** Called at {@code point}; a test implementation may throw. */
    void at(String point);
}
