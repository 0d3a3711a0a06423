package dev.tideline.api.table;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * One top-level column of a Delta table, as Unity Catalog's ColumnInfo shows it.
 *
 * @param name          the column name
 * @param typeName      Unity Catalog's type name ({@code LONG}, {@code STRING}, {@code DECIMAL}, {@code STRUCT}, …)
 * @param typeText      the SQL type ({@code bigint}, {@code decimal(10,2)}, {@code array<string>}, …)
 * @param typeJson      the Delta schema JSON of the field
 * @param typePrecision precision of a decimal, else null
 * @param typeScale     scale of a decimal, else null
 * @param position      0-based position
 * @param nullable      whether it may hold nulls
 * @param comment       the column comment from the field metadata, or null
 */
@RegisterForReflection
public record DeltaColumn(String name, String typeName, String typeText, String typeJson, Integer typePrecision, Integer typeScale,
                          int position, boolean nullable, String comment) {
}
