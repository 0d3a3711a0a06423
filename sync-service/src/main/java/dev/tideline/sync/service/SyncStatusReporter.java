package dev.tideline.sync.service;

import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.message.SyncedTableRefreshed;
import dev.tideline.control.status.SyncedTableState;
import dev.tideline.control.status.SyncedTableStatus;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.core.naming.Subjects;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Publishes one synced table's status: the latest {@link SyncedTableStatus} in the status bucket (what
 * api-service shows as {@code data_synchronization_status}), the same document as a state event, a
 * {@link SyncedTableRefreshed} event per refresh, and the synced version in the checkpoint bucket.
 * NATS being down never fails a sync (Postgres holds the truth): failures are logged. Thread-safe.
 */
final class SyncStatusReporter {

    private static final Logger LOG = Logger.getLogger(SyncStatusReporter.class);

    private final ControlPlane control;
    private final String name;
    private final String pipelineId;
    private volatile SyncedTableStatus last;

    SyncStatusReporter(ControlPlane control, String name, String pipelineId) {
        this.control = control;
        this.name = name;
        this.pipelineId = pipelineId;
        try {
            this.last = control.status().value(KvKeys.syncedTable(name), SyncedTableStatus.class).orElse(null);
        } catch (RuntimeException e) {
            this.last = null;
        }
    }

    /** The last status written (or found in KV at start), or null. */
    SyncedTableStatus last() {
        return last;
    }

    long totalRowsApplied() {
        SyncedTableStatus s = last;
        return s == null ? 0 : s.totalRowsApplied();
    }

    /** Writes a status; {@code onlyIfStateChanged} skips a write that would only repeat the state. */
    void report(SyncedTableState state, String message, Long version, Long syncedAtMillis, Long commitAtMillis, long rowsApplied,
            long totalRows, boolean onlyIfStateChanged) {
        SyncedTableStatus previous = last;
        if (onlyIfStateChanged && previous != null && previous.detailedState() == state) {
            return;
        }
        SyncedTableStatus status = new SyncedTableStatus(name, pipelineId, state, message,
                version != null ? version : previous == null ? null : previous.lastSyncedVersion(),
                syncedAtMillis != null ? syncedAtMillis : previous == null ? null : previous.lastSyncedAtMillis(),
                commitAtMillis != null ? commitAtMillis : previous == null ? null : previous.sourceCommitAtMillis(),
                rowsApplied, totalRows, System.currentTimeMillis());
        last = status;
        try {
            control.status().put(KvKeys.syncedTable(name), status);
            control.publish(Subjects.syncedTableState(name), status);
        } catch (RuntimeException e) {
            LOG.warnf("synced table %s: could not publish status %s (%s)", name, state, e.getMessage());
        }
    }

    void refreshed(String requestId, long version, long rows, boolean snapshot) {
        try {
            control.publish(Subjects.syncedTableRefreshed(name),
                    new SyncedTableRefreshed(name, requestId, version, rows, snapshot, System.currentTimeMillis()));
            Map<String, Object> checkpoint = new LinkedHashMap<>();
            checkpoint.put("synced_table_name", name);
            checkpoint.put("delta_version", version);
            checkpoint.put("updated_at", Instant.now().toString());
            control.checkpoints().put(KvKeys.syncedTableCheckpoint(name), checkpoint);
        } catch (RuntimeException e) {
            LOG.warnf("synced table %s: could not publish the refresh of version %d (%s)", name, version, e.getMessage());
        }
    }

    /** The synced table was deleted: its status and checkpoint go too. */
    void remove() {
        try {
            control.status().delete(KvKeys.syncedTable(name));
            control.checkpoints().delete(KvKeys.syncedTableCheckpoint(name));
        } catch (RuntimeException e) {
            LOG.warnf("synced table %s: could not remove its status (%s)", name, e.getMessage());
        }
    }
}
