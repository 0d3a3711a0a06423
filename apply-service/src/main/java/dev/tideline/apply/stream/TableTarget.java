package dev.tideline.apply.stream;

import dev.tideline.apply.delta.ScdType;
import dev.tideline.core.TableId;
import java.util.List;
import java.util.Objects;

/**
 * Where one source table of an ingestion pipeline goes: {@code catalog.schema.table} and how.
 *
 * @param source      the source table
 * @param catalog     destination catalog
 * @param schema      destination schema
 * @param table       destination table
 * @param scdType     SCD type 1 (default) or 2
 * @param primaryKeys overrides the source's replica identity as the key; empty to use it
 */
public record TableTarget(TableId source, String catalog, String schema, String table, ScdType scdType, List<String> primaryKeys) {

    public TableTarget {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(catalog, "catalog");
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(table, "table");
        scdType = scdType == null ? ScdType.SCD_TYPE_1 : scdType;
        primaryKeys = primaryKeys == null ? List.of() : List.copyOf(primaryKeys);
    }

    /** {@code catalog.schema.table}. */
    public String fullName() {
        return catalog + '.' + schema + '.' + table;
    }

    /** The Delta transaction identifier's application id: {@code <pipeline>/<schema>.<table>} of the source. */
    public String appId(String pipelineId) {
        return pipelineId + "/" + source.schema() + "." + source.name();
    }
}
