package dev.tideline.gateway.snapshot;

import java.time.Duration;

/**
 * Where the time of one finished watermark snapshot of a table went (also logged at its end).
 *
 * @param planning the table's shape, the chunk plan and the first progress record
 * @param begin    the BEGIN marker's round trip through the capture and the wait for transactions
 *                 older than the snapshot
 * @param chunks   from the first chunk's read (its LOW marker) until the last chunk's rows were
 *                 acknowledged by JetStream and recorded done: the snapshot's data movement
 * @param done     the DONE marker's round trip and the final progress record
 */
public record SnapshotPhases(Duration planning, Duration begin, Duration chunks, Duration done) {
}
