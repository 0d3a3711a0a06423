package dev.tideline.apply.runner;

import dev.tideline.apply.delta.ScdType;
import dev.tideline.apply.stream.TableRouter;
import dev.tideline.apply.stream.TableRoutes;
import dev.tideline.apply.stream.TableTarget;
import dev.tideline.control.spec.IngestionDefinition;
import dev.tideline.control.spec.TableConfiguration;
import dev.tideline.core.TableId;
import java.util.ArrayList;
import java.util.List;

/** Builds a {@link TableRouter} from an ingestion definition's objects (tables and whole schemas). */
final class SpecTableRouter {

    private SpecTableRouter() {
    }

    static TableRouter of(IngestionDefinition definition) {
        List<TableTarget> tables = new ArrayList<>();
        List<TableRoutes.SchemaRule> schemas = new ArrayList<>();
        for (IngestionDefinition.IngestionObject object : definition.objects()) {
            if (object.table() != null) {
                IngestionDefinition.TableObject t = object.table();
                TableConfiguration config = TableConfiguration.merge(t.tableConfiguration(), definition.tableConfiguration());
                tables.add(new TableTarget(TableId.of(t.sourceSchema(), t.sourceTable()), t.destinationCatalog(),
                        t.destinationSchema(), t.destinationTableOrSource(), scd(config), config.primaryKeys()));
            } else if (object.schema() != null) {
                IngestionDefinition.SchemaObject s = object.schema();
                TableConfiguration config = TableConfiguration.merge(s.tableConfiguration(), definition.tableConfiguration());
                schemas.add(new TableRoutes.SchemaRule(s.sourceSchema(), s.destinationCatalog(), s.destinationSchema(), scd(config),
                        config.primaryKeys()));
            }
        }
        return new TableRoutes(tables, schemas);
    }

    private static ScdType scd(TableConfiguration config) {
        return config.scdTypeOrDefault() == TableConfiguration.ScdType.SCD_TYPE_2 ? ScdType.SCD_TYPE_2 : ScdType.SCD_TYPE_1;
    }
}
