package dev.tideline.apply.runner;

import dev.tideline.apply.stream.ApplyListener;
import dev.tideline.apply.stream.TableTarget;
import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.message.TableCommitted;
import dev.tideline.control.message.TableFailed;
import dev.tideline.control.status.TableStatus;
import dev.tideline.core.Lsn;
import dev.tideline.core.TidelineException;
import dev.tideline.core.checkpoint.TableApplyCheckpoint;
import dev.tideline.core.naming.KvBuckets;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.core.naming.Subjects;
import dev.tideline.core.sink.SinkCommit;
import io.nats.client.KeyValue;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.jboss.logging.Logger;

/**
 * Records what an applier did in the control plane, in this order after each durable commit: the
 * checkpoint {@code {table, lsn, delta_version}} in {@code tideline-checkpoints}, the table's status
 * in {@code tideline-status}, then the {@link TableCommitted} event (sync-service listens to it).
 * A FAILED table gets its status with the reason and remedy, then a {@link TableFailed} event.
 */
final class ControlPlaneListener implements ApplyListener {

    private static final Logger LOG = Logger.getLogger(ControlPlaneListener.class);

    private final String pipelineId;
    private final ControlPlane control;
    private final KeyValue checkpoints;
    private final ApplyMetrics metrics;

    ControlPlaneListener(String pipelineId, ControlPlane control, ApplyMetrics metrics) {
        this.pipelineId = pipelineId;
        this.control = control;
        this.metrics = metrics;
        try {
            this.checkpoints = control.connection().keyValue(KvBuckets.CHECKPOINTS);
        } catch (java.io.IOException e) {
            throw new TidelineException(TidelineException.Kind.RETRYABLE, "cannot open KV bucket " + KvBuckets.CHECKPOINTS + ": " + e,
                    "check that NATS is reachable", e);
        }
    }

    @Override
    public void committed(TableTarget target, String location, Lsn appliedLsn, long rowChanges, SinkCommit outcome) {
        Instant now = Instant.now();
        TableApplyCheckpoint checkpoint = new TableApplyCheckpoint(pipelineId, target.source(), appliedLsn, outcome.version(), now);
        try {
            // core's flat JSON, as docs/reference/events.md specifies (not the control plane's mapper).
            checkpoints.put(checkpoint.kvKey(), checkpoint.toJson().getBytes(StandardCharsets.UTF_8));
        } catch (Exception e) {
            LOG.warnf("pipeline %s: checkpoint of %s not written: %s", pipelineId, target.fullName(), e.toString());
        }
        control.status().put(KvKeys.tableStatus(pipelineId, target.source()), new TableStatus(pipelineId, target.source().schema(),
                target.source().name(), "COMMITTED", null, rowChanges, null, appliedLsn.toString(), outcome.version(), now.toEpochMilli()));
        control.publish(Subjects.tableCommitted(target.catalog(), target.schema(), target.table()), new TableCommitted(pipelineId,
                target.catalog(), target.schema(), target.table(), location, outcome.version(), appliedLsn.toString(), now.toEpochMilli()));
        metrics.committed(pipelineId, target, rowChanges, outcome);
    }

    @Override
    public void failed(TableTarget target, TidelineException error) {
        String message = error.getMessage() + (error.hint() == null ? "" : " Remedy: " + error.hint());
        long now = System.currentTimeMillis();
        control.status().put(KvKeys.tableStatus(pipelineId, target.source()), new TableStatus(pipelineId, target.source().schema(),
                target.source().name(), "FAILED", message, null, null, null, null, now));
        control.publish(Subjects.tableFailed(target.catalog(), target.schema(), target.table()), new TableFailed(pipelineId,
                target.catalog(), target.schema(), target.table(), error.getMessage(), error.hint(), now));
    }
}
