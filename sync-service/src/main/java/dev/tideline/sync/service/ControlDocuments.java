package dev.tideline.sync.service;

import dev.tideline.control.message.RefreshRequest;
import dev.tideline.control.message.SyncedTableRefreshed;
import dev.tideline.control.message.TableCommitted;
import dev.tideline.control.spec.ConnectionSpec;
import dev.tideline.control.spec.SyncedTableSpec;
import dev.tideline.control.status.SyncedTableState;
import dev.tideline.control.status.SyncedTableStatus;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The control-plane documents sync-service reads and writes with Jackson, registered for reflection
 * so a native image can bind them (they live in the control module, which has no Quarkus).
 */
@RegisterForReflection(targets = {
        SyncedTableSpec.class, SyncedTableSpec.Definition.class, SyncedTableSpec.Target.class, SyncedTableSpec.NewPipelineSpec.class,
        SyncedTableSpec.SchedulingPolicy.class, SyncedTableSpec.InvalidCharacterPolicy.class, ConnectionSpec.class,
        RefreshRequest.class, TableCommitted.class, SyncedTableRefreshed.class, SyncedTableStatus.class, SyncedTableState.class})
final class ControlDocuments {

    private ControlDocuments() {
    }
}
