package dev.tideline.gateway.run;

import dev.tideline.control.message.UpdateRequest;
import dev.tideline.control.spec.ConnectionSpec;
import dev.tideline.control.spec.GatewayDefinition;
import dev.tideline.control.spec.IngestionDefinition;
import dev.tideline.control.spec.PipelineSpec;
import dev.tideline.control.spec.TableConfiguration;
import dev.tideline.control.status.PipelineStatus;
import dev.tideline.control.status.TableStatus;
import dev.tideline.gateway.snapshot.ChunkRange;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** The control-plane records gateway-service reads and writes as JSON, registered for native images. */
@RegisterForReflection(targets = {PipelineSpec.class, GatewayDefinition.class, IngestionDefinition.class,
        IngestionDefinition.IngestionObject.class, IngestionDefinition.TableObject.class, IngestionDefinition.SchemaObject.class,
        IngestionDefinition.SourceConfiguration.class, IngestionDefinition.CatalogSourceConfiguration.class,
        IngestionDefinition.PostgresSourceConfiguration.class, IngestionDefinition.SlotConfig.class, TableConfiguration.class,
        ConnectionSpec.class, UpdateRequest.class, PipelineStatus.class, PipelineStatus.UpdateStatus.class, TableStatus.class,
        ChunkRange.class})
final class ControlReflection {

    private ControlReflection() {
    }
}
