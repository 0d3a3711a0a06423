package dev.tideline.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.S3Settings;
import dev.tideline.sync.engine.SyncOutcome;
import dev.tideline.sync.engine.SyncedTableSyncer;
import dev.tideline.sync.model.SchedulingPolicy;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.testdelta.DeltaTestTable;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.S3Server;
import dev.tideline.testing.WithPostgres;
import dev.tideline.testing.WithS3;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Sync from a Delta table in a bucket on a real S3 server (S3Proxy) into a real Postgres: the snapshot, then
 * incremental refreshes of appends and copy-on-write updates and deletes, each equal to the table at the synced
 * version — the same path sync-service takes with {@code TIDELINE_WAREHOUSE=s3://…}.
 */
@WithPostgres
@WithS3
class S3SyncIT {

    @Test
    void aTableInABucketIsSnapshottedAndRefreshedIncrementally(PostgresServer pg, S3Server s3) throws Exception {
        String warehouse = s3.warehouse("sync");
        SyncFixture f = new SyncFixture(pg, warehouse, DeltaEngines.forWarehouse(warehouse, EngineSettings.defaults(),
                S3Settings.compatible(s3.endpoint())));
        DeltaTestTable table = f.createTable("orders", SyncFixture.SIMPLE);
        table.append(SyncFixture.rows(0, 500, "a"));
        table.append(SyncFixture.rows(500, 1000, "b"));
        SyncedTableDefinition def = f.definition("orders", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        SyncedTableSyncer syncer = f.syncer(def);

        SyncOutcome first = syncer.sync(false);
        assertEquals(SyncOutcome.Mode.SNAPSHOT, first.mode());
        assertEquals(1000, first.rowsApplied());
        f.assertEqualsRecordedVersion(table, def);

        table.append(SyncFixture.rows(1000, 1010, "c"));
        table.mutate(r -> (Long) r[0] == 1005L, r -> new Object[] {r[0], "updated", 7});
        table.mutate(r -> (Long) r[0] == 1001L || (Long) r[0] == 3L, r -> null);
        SyncOutcome second = syncer.sync(false);
        assertEquals(SyncOutcome.Mode.INCREMENTAL, second.mode(), second.reason());
        f.assertEqualsRecordedVersion(table, def);
        assertEquals(table.version(), second.toVersion());
        assertEquals(SyncOutcome.Mode.NONE, syncer.sync(false).mode());
    }
}
