package dev.tideline.api.synced;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tideline.control.spec.SyncedTableSpec;
import dev.tideline.control.spec.SyncedTableSpec.Definition;
import dev.tideline.control.spec.SyncedTableSpec.SchedulingPolicy;
import dev.tideline.control.status.SyncedTableState;
import dev.tideline.control.status.SyncedTableStatus;
import org.junit.jupiter.api.Test;

import java.util.List;

/** sync-service's status → Databricks' data_synchronization_status. */
class SyncedTableViewsTest {

    private static SyncedTableSpec spec(SchedulingPolicy policy) {
        return new SyncedTableSpec("pg_db.silver.t", "inst", "pg_db", new Definition("main.public.t", List.of("id"), null, policy, null, null, null),
                "pipe-1", new SyncedTableSpec.Target("conn", "pg_db", "silver", "t"), "uid", 1L);
    }

    private static SyncedTableStatus status(SyncedTableState state, Long version) {
        return new SyncedTableStatus("pg_db.silver.t", "pipe-1", state, "msg", version, version == null ? null : 1_700_000_000_000L,
                version == null ? null : 1_699_999_999_000L, 5, 10, 2L);
    }

    @Test
    void noStatusYetIsProvisioning() {
        SyncedTableViews.SyncStatus s = SyncedTableViews.status(spec(SchedulingPolicy.TRIGGERED), null);

        assertEquals("SYNCED_TABLE_PROVISIONING", s.detailedState());
        assertEquals("pipe-1", s.pipelineId());
        assertNotNull(s.provisioningStatus());
        assertNull(s.lastSync());
    }

    @Test
    void triggeredUpdateCarriesTheProcessedVersion() {
        SyncedTableViews.SyncStatus s = SyncedTableViews.status(spec(SchedulingPolicy.TRIGGERED), status(SyncedTableState.ONLINE_NO_PENDING_UPDATE, 7L));

        assertEquals("SYNCED_TABLE_ONLINE_NO_PENDING_UPDATE", s.detailedState());
        assertEquals(7L, s.triggeredUpdateStatus().lastProcessedCommitVersion());
        assertEquals("2023-11-14T22:13:20Z", s.triggeredUpdateStatus().timestamp());
        assertEquals(7L, s.lastSync().deltaTableSyncInfo().deltaCommitVersion());
        assertEquals("2023-11-14T22:13:19Z", s.lastSync().deltaTableSyncInfo().deltaCommitTimestamp());
        assertNull(s.continuousUpdateStatus());
    }

    @Test
    void continuousAndFailedStatesFillTheirOwnDetail() {
        SyncedTableViews.SyncStatus online = SyncedTableViews.status(spec(SchedulingPolicy.CONTINUOUS), status(SyncedTableState.ONLINE, 3L));
        assertEquals("SYNCED_TABLE_ONLINE", online.detailedState());
        assertEquals(3L, online.continuousUpdateStatus().lastProcessedCommitVersion());

        SyncedTableViews.SyncStatus failed = SyncedTableViews.status(spec(SchedulingPolicy.CONTINUOUS), status(SyncedTableState.OFFLINE_FAILED, 3L));
        assertEquals("SYNCED_TABLE_OFFLINE_FAILED", failed.detailedState());
        assertEquals(3L, failed.failedStatus().lastProcessedCommitVersion());
        assertEquals("msg", failed.message());
    }

    @Test
    void offlineKeepsDatabricksSpelling() {
        assertEquals("SYNCED_TABLED_OFFLINE", SyncedTableViews.detailedState(SyncedTableState.OFFLINE));
    }
}
