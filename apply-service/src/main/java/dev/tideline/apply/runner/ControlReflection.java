package dev.tideline.apply.runner;

import dev.tideline.control.message.TableCommitted;
import dev.tideline.control.message.TableFailed;
import dev.tideline.control.message.UpdateRequest;
import dev.tideline.control.spec.GatewayDefinition;
import dev.tideline.control.spec.IngestionDefinition;
import dev.tideline.control.spec.PipelineSpec;
import dev.tideline.control.spec.TableConfiguration;
import dev.tideline.control.status.PipelineStatus;
import dev.tideline.control.status.TableStatus;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The control-plane records apply-service reads (specs, update requests) and writes (statuses, events)
 * as JSON, registered for native images: Jackson finds their constructors and accessors by reflection.
 */
@RegisterForReflection(targets = {PipelineSpec.class, GatewayDefinition.class, IngestionDefinition.class, IngestionDefinition.IngestionObject.class,
        IngestionDefinition.TableObject.class, IngestionDefinition.SchemaObject.class, IngestionDefinition.SourceConfiguration.class,
        IngestionDefinition.CatalogSourceConfiguration.class, IngestionDefinition.PostgresSourceConfiguration.class,
        IngestionDefinition.SlotConfig.class, TableConfiguration.class, UpdateRequest.class, PipelineStatus.class,
        PipelineStatus.UpdateStatus.class, TableStatus.class, TableCommitted.class, TableFailed.class})
final class ControlReflection {

    private ControlReflection() {
    }
}
