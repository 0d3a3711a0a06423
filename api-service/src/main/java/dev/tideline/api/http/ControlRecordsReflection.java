package dev.tideline.api.http;

import dev.tideline.control.message.RefreshRequest;
import dev.tideline.control.message.TableCommitted;
import dev.tideline.control.message.TableFailed;
import dev.tideline.control.message.UpdateRequest;
import dev.tideline.control.spec.ConnectionSpec;
import dev.tideline.control.spec.DatabaseCatalogSpec;
import dev.tideline.control.spec.DatabaseInstanceSpec;
import dev.tideline.control.spec.GatewayDefinition;
import dev.tideline.control.spec.IngestionDefinition;
import dev.tideline.control.spec.PipelineSpec;
import dev.tideline.control.spec.SyncedTableSpec;
import dev.tideline.control.spec.TableConfiguration;
import dev.tideline.control.status.PipelineStatus;
import dev.tideline.control.status.SyncedTableStatus;
import dev.tideline.control.status.TableStatus;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The control module's records that api-service binds requests to or serializes into responses: registered
 * for reflection so that Jackson finds their constructors and accessors in a native image.
 */
@RegisterForReflection(targets = {ConnectionSpec.class, DatabaseCatalogSpec.class, DatabaseInstanceSpec.class, GatewayDefinition.class,
        IngestionDefinition.class, IngestionDefinition.IngestionObject.class, IngestionDefinition.TableObject.class,
        IngestionDefinition.SchemaObject.class, IngestionDefinition.SourceConfiguration.class,
        IngestionDefinition.CatalogSourceConfiguration.class, IngestionDefinition.PostgresSourceConfiguration.class,
        IngestionDefinition.SlotConfig.class, PipelineSpec.class, SyncedTableSpec.class, SyncedTableSpec.Definition.class,
        SyncedTableSpec.NewPipelineSpec.class, SyncedTableSpec.Target.class, TableConfiguration.class, PipelineStatus.class,
        PipelineStatus.UpdateStatus.class, SyncedTableStatus.class, TableStatus.class, UpdateRequest.class, RefreshRequest.class,
        TableCommitted.class, TableFailed.class})
final class ControlRecordsReflection {

    private ControlRecordsReflection() {
    }
}
