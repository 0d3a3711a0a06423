package dev.tideline.api.pipeline;

import dev.tideline.control.spec.CapturePlan;
import dev.tideline.core.TableId;
import dev.tideline.control.spec.PipelineSpec;

import java.util.List;

/**
 * What deleting a pipeline means for the source's replication slot, in words the user can act on (seed 000:
 * "When you delete the ingestion pipeline in Databricks, you must drop the replication slot"). gateway-service
 * drops only a slot and publication it created itself ({@code slot_config.create_if_missing}); a slot the user
 * created is left alone and the user gets the exact SQL.
 */
final class SlotCleanup {

    private SlotCleanup() {
    }

    /** The capture plan of {@code gateway} among {@code pipelines}, or null when it captures nothing (or is inconsistent). */
    static CapturePlan plan(PipelineSpec gateway, List<PipelineSpec> pipelines) {
        try {
            return CapturePlan.of(gateway, pipelines);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The advice for a slot whose gateway is being deleted or no longer has ingestion pipelines. */
    static String advice(CapturePlan plan) {
        String slot = plan.slot().slotName();
        String publication = plan.slot().publicationName();
        if (plan.slot().createsMissing()) {
            return "gateway-service drops the replication slot '" + slot + "' and publication '" + publication
                    + "' if it created them (slot_config.create_if_missing) when the gateway is deleted; a slot or publication that existed"
                    + " before is left in place";
        }
        return "Tideline did not create the replication slot '" + slot + "', so it does not drop it. An unused slot keeps WAL on the source"
                + " without limit: on database '" + plan.database() + "' run SELECT pg_drop_replication_slot('" + slot + "');"
                + " and, if nothing else uses it, DROP PUBLICATION " + TableId.quoteIdentifier(publication) + ";";
    }
}
