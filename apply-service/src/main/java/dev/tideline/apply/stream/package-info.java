/**
 * The exactly-once core of apply-service: from a gateway's staging stream to a {@link
 * dev.tideline.core.sink.TableSink} per table, nothing applied twice and nothing lost.
 *
 * <ul>
 *   <li>{@link dev.tideline.apply.stream.PipelineApplier} — one per ingestion pipeline: pulls from the
 *       durable JetStream consumer, decodes, routes each message to its table with a
 *       {@link dev.tideline.core.wire.Ack} ({@code JetStreamAck}: reply subject and stream sequence,
 *       never the message), commits the tables that are due, detects staging gaps. The only class here
 *       that knows NATS, with {@code JetStreamAck} and {@code StreamPosition}.</li>
 *   <li>{@code TableApplier} — one per source table: buffers a transaction's messages until its last,
 *       commits complete transactions through its sink and only then acknowledges them, skips
 *       redeliveries at or below the sink's applied LSN, stages transactions larger than a batch, loads
 *       snapshots and replays the changes that arrived meanwhile, fails the table (recorded in it) on a
 *       change it cannot take. It knows neither NATS nor Delta: its unit tests run it against
 *       {@code dev.tideline.testing.InMemoryTableSink}.</li>
 *   <li>{@link dev.tideline.apply.stream.ApplyFaults} — the named points where tests stop the applier
 *       abruptly; {@link dev.tideline.apply.stream.ApplyListener} — what is told after a commit or a
 *       failure (checkpoints, status, events).</li>
 * </ul>
 *
 * <p>The Delta side of the port is {@link dev.tideline.apply.delta.DeltaTableSink}, over
 * {@link dev.tideline.apply.delta.DeltaTableWriter}. Single-threaded: one thread drives a pipeline and
 * all its tables.
 */
package dev.tideline.apply.stream;
