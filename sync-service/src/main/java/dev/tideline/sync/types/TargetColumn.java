package dev.tideline.sync.types;

import io.delta.kernel.types.DataType;

/**
 * One column of a synced table: its Delta name and type and the Postgres type it maps to.
 *
 * @param name         the column name, identical in Delta and Postgres (quoted in SQL, so case is kept)
 * @param deltaType    the Delta type
 * @param postgresType the Postgres type, as written in DDL (e.g. {@code NUMERIC(10,2)})
 */
public record TargetColumn(String name, DataType deltaType, String postgresType) {
}
