package dev.tideline.api.pipeline;

import dev.tideline.api.http.ApiException;
import dev.tideline.control.spec.PipelineSpec;

import java.util.Objects;

/**
 * What an edit of a pipeline may not change, because the running system is built around it: the kind (a
 * gateway owns a slot and a staging stream, an ingestion pipeline reads one), the gateway an ingestion
 * pipeline reads, and the slot and publication it names. Those need a new pipeline.
 */
final class PipelineEdits {

    private PipelineEdits() {
    }

    /** @throws ApiException naming the field that cannot change and what to do instead */
    static void requireCompatible(PipelineSpec current, PipelineSpec edited) {
        if (current.isGateway() != edited.isGateway()) {
            throw ApiException.invalid(current.isGateway() ? "gateway_definition" : "ingestion_definition", "pipeline " + current.id()
                    + " is " + (current.isGateway() ? "an ingestion gateway" : "an ingestion pipeline")
                    + " and stays one; create a new pipeline of the other kind instead");
        }
        if (current.isIngestion()) {
            String before = current.ingestionDefinition().ingestionGatewayId();
            if (!before.equals(edited.ingestionDefinition().ingestionGatewayId())) {
                throw ApiException.invalid("ingestion_definition.ingestion_gateway_id", "pipeline " + current.id() + " reads gateway "
                        + before + " and cannot move to another (its Delta tables follow that gateway's stream); create a new pipeline");
            }
            if (!Objects.equals(current.ingestionDefinition().sourceConfigurations(), edited.ingestionDefinition().sourceConfigurations())) {
                throw ApiException.invalid("ingestion_definition.source_configurations", "the replication slot and publication of pipeline "
                        + current.id() + " cannot change while it exists (a new slot means new snapshots); give the same"
                        + " source_configurations, or create a new pipeline");
            }
        }
    }
}
