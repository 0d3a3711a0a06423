package dev.tideline.api.console;

import dev.tideline.api.nats.ControlPlaneAccess;
import dev.tideline.api.nats.SpecStore;
import dev.tideline.control.spec.PipelineSpec;
import dev.tideline.control.spec.SyncedTableSpec;
import dev.tideline.control.status.SyncedTableStatus;
import dev.tideline.control.status.TableStatus;
import dev.tideline.core.Lsn;
import dev.tideline.core.checkpoint.ApplyStreamPosition;
import dev.tideline.core.naming.KvBuckets;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.core.naming.Streams;
import dev.tideline.core.naming.Subjects;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.MessageInfo;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.util.List;
import java.util.Objects;

/**
 * How far behind an ingestion pipeline and a synced table are, from what Tideline already records:
 * <ul>
 *   <li>capture: WAL written on the source since the slot's confirmed position ({@link SlotProbe});</li>
 *   <li>apply: messages in the gateway's staging stream past the pipeline's applied stream position, and the age
 *       of the oldest of them (a change committed then is not visible in Delta yet: commit → visible);</li>
 *   <li>per table: source WAL position − the table's applied LSN while apply has pending messages, else the capture lag
 *       (an idle table is as current as the pipeline: no WAL of its own is waiting);</li>
 *   <li>synced table: Delta versions of its source not synced yet, and the age of the newest of them.</li>
 * </ul>
 * Thread-safe.
 */
@ApplicationScoped
public class LagMeter {

    /**
     * A pipeline's lag.
     *
     * @param bytes           WAL bytes between the source's current position and what is visible in Delta, or null when unknown
     * @param seconds         age of the oldest change staged but not applied, 0 when apply is caught up, null when unknown
     * @param pendingMessages staged messages apply has not applied, or null when unknown
     * @param currentLsn      the source's current WAL position, or null
     * @param captureBytes    WAL not yet captured by the gateway, or null
     */
    public record PipelineLag(Long bytes, Long seconds, Long pendingMessages, Lsn currentLsn, Long captureBytes) {

        static final PipelineLag UNKNOWN = new PipelineLag(null, null, null, null, null);

        /** The lag bytes of one table of the pipeline (see the class comment), or null when unknown. */
        Long tableBytes(TableStatus table) {
            if (pendingMessages == null || pendingMessages == 0 || currentLsn == null || table.lsn() == null) {
                return captureBytes;
            }
            try {
                return Math.max(0, currentLsn.bytesSince(Lsn.parse(table.lsn())));
            } catch (IllegalArgumentException e) {
                return captureBytes;
            }
        }
    }

    /** A synced table's lag: Delta versions not synced yet and the age of the newest, or nulls when unknown. */
    public record SyncedLag(Long versions, Long seconds) {
    }

    private final SpecStore store;
    private final ControlPlaneAccess access;
    private final SlotProbe slots;

    LagMeter(SpecStore store, ControlPlaneAccess access, SlotProbe slots) {
        this.store = store;
        this.access = access;
        this.slots = slots;
    }

    /** The lag of ingestion pipeline {@code pipeline}, reading the slot, the staging stream and the checkpoints now. */
    public PipelineLag pipeline(PipelineSpec pipeline, List<PipelineSpec> all, List<TableStatus> tables, long nowMillis) {
        if (!pipeline.isIngestion()) {
            return PipelineLag.UNKNOWN;
        }
        String gatewayId = pipeline.ingestionDefinition().ingestionGatewayId();
        PipelineSpec gateway = all.stream().filter(p -> p.id().equals(gatewayId) && p.isGateway()).findFirst().orElse(null);
        SlotProbe.SlotHealth slot = gateway == null ? null : slots.slot(gateway, all);
        Lsn current = slot == null || slot.currentLsn() == null ? null : Lsn.parse(slot.currentLsn());
        Long capture = slot == null || slot.error() != null || !slot.exists() ? null : slot.lagBytes();
        Long pending = null;
        Long seconds = null;
        try {
            Connection nats = access.connection();
            JetStreamManagement jsm = nats.jetStreamManagement();
            String stream = Streams.changes(gatewayId);
            long last = jsm.getStreamInfo(stream).getStreamState().getLastSequence();
            KeyValue checkpoints = nats.keyValue(KvBuckets.CHECKPOINTS);
            KeyValueEntry entry = checkpoints.get(KvKeys.applyStreamPosition(pipeline.id()));
            long applied = entry == null ? 0 : ApplyStreamPosition.decode(entry.getValue()).orElse(0);
            pending = Math.max(0, last - applied);
            if (pending == 0) {
                seconds = 0L;
            } else {
                MessageInfo oldest = jsm.getNextMessage(stream, applied + 1, Subjects.allChanges(gatewayId));
                seconds = oldest == null || oldest.getTime() == null ? null
                        : Math.max(0, (nowMillis - oldest.getTime().toInstant().toEpochMilli()) / 1000);
            }
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            // no staging stream yet (the gateway has not started) or NATS away: unknown, not zero
        }
        Long bytes;
        if (pending != null && pending > 0 && current != null) {
            Lsn oldestApplied = tables.stream().map(TableStatus::lsn).filter(Objects::nonNull).map(LagMeter::lsnOrNull)
                    .filter(Objects::nonNull).min(Lsn::compareTo).orElse(null);
            bytes = oldestApplied == null ? capture : Math.max(capture == null ? 0 : capture, current.bytesSince(oldestApplied));
        } else {
            bytes = capture;
        }
        return new PipelineLag(bytes, seconds, pending, current, capture);
    }

    /**
     * How full the staging stream of gateway {@code gatewayId} is: the larger of bytes ÷ max bytes and messages ÷ max
     * messages (0 for a stream without limits), or null when the stream cannot be read (not created yet, NATS away).
     * A full stream pushes back on the gateway (discard new), which then stops confirming the slot.
     */
    public Double stagingUsed(String gatewayId) {
        try {
            io.nats.client.api.StreamInfo info = access.connection().jetStreamManagement().getStreamInfo(Streams.changes(gatewayId));
            double used = 0;
            long maxBytes = info.getConfiguration().getMaxBytes();
            long maxMsgs = info.getConfiguration().getMaxMsgs();
            if (maxBytes > 0) {
                used = Math.max(used, info.getStreamState().getByteCount() / (double) maxBytes);
            }
            if (maxMsgs > 0) {
                used = Math.max(used, info.getStreamState().getMsgCount() / (double) maxMsgs);
            }
            return used;
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The lag of a synced table: its source table's latest Delta version as the ingestion pipeline writing it last
     * reported it, against the version synced. Unknown (nulls) for a source Tideline does not write (e.g. Spark's).
     */
    public SyncedLag synced(SyncedTableSpec synced, SyncedTableStatus status, List<PipelineSpec> all, long nowMillis) {
        TableStatus source = sourceStatus(synced.spec().sourceTableFullName(), all);
        if (source == null || source.deltaVersion() == null) {
            return new SyncedLag(null, null);
        }
        long syncedVersion = status == null || status.lastSyncedVersion() == null ? -1 : status.lastSyncedVersion();
        long behind = Math.max(0, source.deltaVersion() - syncedVersion);
        return new SyncedLag(behind, behind == 0 ? 0L : Math.max(0, (nowMillis - source.updatedAtMillis()) / 1000));
    }

    /** The status of the ingestion pipeline's table written to {@code catalog.schema.table}, or null. */
    TableStatus sourceStatus(String fullName, List<PipelineSpec> all) {
        for (PipelineSpec pipeline : all) {
            if (!pipeline.isIngestion()) {
                continue;
            }
            for (TableStatus table : store.tableStatuses(pipeline.id())) {
                if (fullName.equals(ConsoleModel.destination(pipeline, table.sourceSchema(), table.sourceTable()))) {
                    return table;
                }
            }
        }
        return null;
    }

    private static Lsn lsnOrNull(String text) {
        try {
            return Lsn.parse(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
