package dev.tideline.sync.types;

import io.delta.kernel.types.DataType;

/**
 * One column of a synced table: its Delta name and type and the Postgres type it maps to.
 *
 * @param name         the column name, identical in Delta and Postgres (quoted in SQL, so case is kept)
 * @param deltaType    the Delta type
 * @param postgresType the Postgres type, as written in DDL (e.g. {@code NUMERIC(10,2)})
 * @param identity     which stored Delta column it is ({@link ColumnIdentity}): a rename keeps it, a drop + re-add does not
 */
public record TargetColumn(String name, DataType deltaType, String postgresType, String identity) {

    /** A column whose identity is its name (a table without column mapping). */
    public TargetColumn(String name, DataType deltaType, String postgresType) {
        this(name, deltaType, postgresType, name);
    }
}
