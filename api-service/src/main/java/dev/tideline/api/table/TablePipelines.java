package dev.tideline.api.table;

import dev.tideline.control.spec.IngestionDefinition.IngestionObject;
import dev.tideline.control.spec.PipelineSpec;

import java.util.List;
import java.util.Optional;

/**
 * Which ingestion pipeline writes a Delta table ({@code TableInfo.pipeline_id}), from the pipeline specs: a
 * {@code table} object whose destination is the table wins over a {@code schema} object whose destination is the
 * table's schema (that is how apply-service routes a source table, too). Pure: the same specs give the same answer.
 */
final class TablePipelines {

    private TablePipelines() {
    }

    static Optional<String> writerOf(List<PipelineSpec> pipelines, String catalog, String schema, String table) {
        Optional<String> bySchema = Optional.empty();
        for (PipelineSpec pipeline : pipelines) {
            if (!pipeline.isIngestion()) {
                continue;
            }
            for (IngestionObject object : pipeline.ingestionDefinition().objects()) {
                if (object.table() != null && catalog.equals(object.table().destinationCatalog())
                        && schema.equals(object.table().destinationSchema()) && table.equals(object.table().destinationTableOrSource())) {
                    return Optional.of(pipeline.id());
                }
                if (object.schema() != null && bySchema.isEmpty() && catalog.equals(object.schema().destinationCatalog())
                        && schema.equals(object.schema().destinationSchema())) {
                    bySchema = Optional.of(pipeline.id());
                }
            }
        }
        return bySchema;
    }
}
