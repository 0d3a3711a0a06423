/**
 * The port between the applier's exactly-once core and where a table's rows are stored:
 * {@link dev.tideline.core.sink.TableSink} (contract in its Javadoc) and what a commit reports,
 * {@link dev.tideline.core.sink.SinkCommit}. Implementations: apply-service's Delta sink, and the
 * in-memory one of the {@code testing} module.
 */
package dev.tideline.core.sink;
