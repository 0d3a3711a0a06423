package dev.tideline.sync.model;

/** How a synced table is kept up to date (seed 003, "Sync modes explained"). */
public enum SchedulingPolicy {
    /** Every refresh copies the whole Delta table at one version and swaps it in atomically. */
    SNAPSHOT,
    /** A snapshot first; each requested refresh then applies only the row changes since the synced version. */
    TRIGGERED,
    /** Like {@link #TRIGGERED}, started as soon as a new Delta version exists (event, with a polling fallback). */
    CONTINUOUS
}
