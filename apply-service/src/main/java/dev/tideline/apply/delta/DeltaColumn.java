package dev.tideline.apply.delta;

import io.delta.kernel.types.DataType;
import java.util.Objects;
import java.util.function.Function;

/**
 * One column of a Delta table fed from a Postgres column: its Delta name and type, and how a value
 * decoded by {@code core} becomes the value Tideline's column vectors hold for that type.
 *
 * <p>Delta values in memory: {@code Boolean}, {@code Short}, {@code Integer}, {@code Long},
 * {@code Float}, {@code Double}, {@code BigDecimal} (at the column's scale), {@code String},
 * {@code byte[]}, {@code Integer} days since 1970-01-01 for {@code date}, {@code Long} microseconds
 * since the epoch for {@code timestamp} and {@code timestamp_ntz}, {@code List} for arrays, null.
 *
 * @param name      the column name, the Postgres name verbatim
 * @param type      the Delta type
 * @param sourceOid the Postgres type OID it comes from (for messages)
 * @param converter Postgres value → Delta value; throws {@link IllegalArgumentException} with the
 *                  reason when the value cannot be represented
 */
public record DeltaColumn(String name, DataType type, int sourceOid, Function<Object, Object> converter) {

    public DeltaColumn {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(converter, "converter");
    }

    public Object convert(Object pgValue) {
        return pgValue == null ? null : converter.apply(pgValue);
    }
}
