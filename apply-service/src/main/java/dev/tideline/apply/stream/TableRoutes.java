package dev.tideline.apply.stream;

import dev.tideline.apply.delta.ScdType;
import dev.tideline.core.TableId;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A {@link TableRouter} from explicit table targets and whole-schema rules (every table of a source
 * schema to a destination schema, same table name), as an ingestion definition's objects describe.
 */
public final class TableRoutes implements TableRouter {

    /** Every table of {@code sourceSchema} goes to {@code catalog.schema.<same name>}. */
    public record SchemaRule(String sourceSchema, String catalog, String schema, ScdType scdType, List<String> primaryKeys) {
    }

    private final Map<TableId, TableTarget> tables;
    private final List<SchemaRule> schemas;

    public TableRoutes(List<TableTarget> tables, List<SchemaRule> schemas) {
        this.tables = tables.stream().collect(Collectors.toUnmodifiableMap(TableTarget::source, Function.identity(), (a, b) -> a));
        this.schemas = List.copyOf(schemas);
    }

    public static TableRoutes of(TableTarget... targets) {
        return new TableRoutes(List.of(targets), List.of());
    }

    @Override
    public Optional<TableTarget> route(TableId source) {
        TableTarget explicit = tables.get(source);
        if (explicit != null) {
            return Optional.of(explicit);
        }
        for (SchemaRule rule : schemas) {
            if (rule.sourceSchema().equals(source.schema())) {
                return Optional.of(new TableTarget(source, rule.catalog(), rule.schema(), source.name(), rule.scdType(),
                        rule.primaryKeys()));
            }
        }
        return Optional.empty();
    }

    @Override
    public Collection<TableTarget> knownTargets() {
        return tables.values();
    }
}
