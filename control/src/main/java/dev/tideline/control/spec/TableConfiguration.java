package dev.tideline.control.spec;

import java.util.List;

/**
 * Per-table options of an ingestion pipeline, as Databricks' {@code table_configuration}.
 *
 * @param scdType     {@link ScdType#SCD_TYPE_1} (current state, the default) or {@link ScdType#SCD_TYPE_2} (history)
 * @param primaryKeys overrides the source's primary key (needed for tables without one, using REPLICA IDENTITY FULL)
 */
public record TableConfiguration(ScdType scdType, List<String> primaryKeys) {

    public TableConfiguration {
        primaryKeys = primaryKeys == null ? List.of() : List.copyOf(primaryKeys);
    }

    public enum ScdType {
        SCD_TYPE_1,
        SCD_TYPE_2
    }

    /** {@code own} when set, field by field, else {@code defaults}. */
    public static TableConfiguration merge(TableConfiguration own, TableConfiguration defaults) {
        if (own == null) {
            return defaults == null ? new TableConfiguration(ScdType.SCD_TYPE_1, List.of()) : defaults;
        }
        if (defaults == null) {
            return own;
        }
        return new TableConfiguration(own.scdType() != null ? own.scdType() : defaults.scdType(),
                own.primaryKeys().isEmpty() ? defaults.primaryKeys() : own.primaryKeys());
    }

    /** The SCD type, type 1 when not set. */
    public ScdType scdTypeOrDefault() {
        return scdType == null ? ScdType.SCD_TYPE_1 : scdType;
    }
}
