package dev.tideline.api.console;

/**
 * What a slot's numbers mean for the operator: a level ({@code ok}, {@code degraded}, {@code failed},
 * {@code unknown}) and, unless ok, a warning that says why and what to do — before retained WAL becomes a
 * problem (on Neon it counts against the storage quota; elsewhere it fills the disk). Pure.
 */
final class SlotAdvice {

    static final String OK = "ok";
    static final String DEGRADED = "degraded";
    static final String FAILED = "failed";
    static final String UNKNOWN = "unknown";

    /** The level and the warning (null when ok). */
    record Advice(String level, String warning) {
    }

    private SlotAdvice() {
    }

    /**
     * @param warningBytes retained WAL above which the slot is reported degraded ({@code tideline.console.slot-warning-bytes})
     */
    static Advice of(SlotProbe.SlotHealth slot, long warningBytes) {
        String name = "'" + slot.plan().slot().slotName() + "'";
        if (slot.error() != null) {
            return new Advice(UNKNOWN, slot.error() + "; check that api-service can reach the source with the gateway's connection");
        }
        if (!slot.exists()) {
            return new Advice(FAILED, "replication slot " + name + " does not exist on database '" + slot.plan().database() + "'"
                    + (slot.plan().slot().createsMissing() ? "; gateway-service creates it when the gateway starts: check that it runs"
                    : "; create it as the user of the connection: SELECT pg_create_logical_replication_slot('"
                    + slot.plan().slot().slotName().replace("'", "''") + "', 'pgoutput'); then run a full refresh"));
        }
        if ("lost".equals(slot.walStatus())) {
            return new Advice(FAILED, "slot " + name + " lost WAL it still needed (wal_status lost): changes were missed. Drop and recreate"
                    + " the slot, then run a full refresh of every table");
        }
        if ("unreserved".equals(slot.walStatus())) {
            return new Advice(FAILED, "slot " + name + " retains more WAL than max_slot_wal_keep_size allows (wal_status unreserved): the"
                    + " next checkpoint may remove it and the slot is lost. Make sure the gateway is running and catching up, or raise"
                    + " max_slot_wal_keep_size");
        }
        String retained = slot.retainedBytes() == null ? "?" : Bytes.human(slot.retainedBytes());
        if (slot.retainedBytes() != null && slot.retainedBytes() > warningBytes) {
            return new Advice(DEGRADED, "slot " + name + " retains " + retained + " of WAL on the source (warning above "
                    + Bytes.human(warningBytes) + ")" + (slot.active() ? "; the gateway reads it but has not caught up"
                    : "; no gateway is reading it: start gateway-service, or drop the slot if the pipeline is gone"));
        }
        if ("extended".equals(slot.walStatus())) {
            return new Advice(DEGRADED, "slot " + name + " retains more WAL than max_wal_size (wal_status extended, " + retained
                    + "); it is kept only within max_slot_wal_keep_size: check that the gateway is catching up");
        }
        if (!slot.active()) {
            return new Advice(DEGRADED, "no gateway is reading slot " + name + " (retaining " + retained
                    + "): WAL grows until gateway-service runs the gateway again");
        }
        return new Advice(OK, null);
    }
}
