package dev.tideline.sync.model;

/**
 * What to do with a NUL character ({@code 0x00}) in a Delta string, top level or nested in a complex
 * value. Postgres {@code TEXT} and {@code JSONB} cannot hold it (seed 003, "Handle invalid characters").
 */
public enum NullBytePolicy {
    /** Stop the sync with an error naming the table, the column and the row's primary key (the default). */
    FAIL,
    /** Remove every NUL character and sync the rest of the value. */
    STRIP
}
