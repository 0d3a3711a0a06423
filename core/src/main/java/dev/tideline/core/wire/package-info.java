/**
 * The JetStream wire format: change batches (rows, snapshots and their markers) built row by row within size
 * limits, encoded into messages with their headers and {@code Nats-Msg-Id}, and decoded with bounds checks.
 * See {@code docs/reference/events.md}.
 */
package dev.tideline.core.wire;
