package dev.tideline.core.change;

import dev.tideline.core.value.UnchangedToast;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The column values of one row, aligned with the columns of its {@link dev.tideline.core.schema.RelationSchema}.
 *
 * <p>A value is {@code null} for SQL NULL, {@link dev.tideline.core.value.UnchangedToast#VALUE} for an
 * unchanged TOASTed value the update did not send, or a typed Java value:
 * <table>
 *   <caption>Postgres type → Java value</caption>
 *   <tr><td>bool</td><td>Boolean</td></tr>
 *   <tr><td>int2 / int4 / int8, oid</td><td>Short / Integer / Long, Long</td></tr>
 *   <tr><td>float4 / float8</td><td>Float / Double (incl. NaN and ±Infinity)</td></tr>
 *   <tr><td>numeric</td><td>BigDecimal (scale as sent), or {@link dev.tideline.core.value.PgSpecial} for NaN/±Infinity</td></tr>
 *   <tr><td>text, varchar, bpchar, name, char</td><td>String (bpchar keeps its padding)</td></tr>
 *   <tr><td>bytea</td><td>byte[]</td></tr>
 *   <tr><td>date</td><td>LocalDate, or PgSpecial for ±infinity</td></tr>
 *   <tr><td>time / timetz</td><td>LocalTime / OffsetTime</td></tr>
 *   <tr><td>timestamp / timestamptz</td><td>LocalDateTime / Instant, or PgSpecial for ±infinity</td></tr>
 *   <tr><td>interval</td><td>{@link dev.tideline.core.value.PgInterval}</td></tr>
 *   <tr><td>uuid</td><td>UUID</td></tr>
 *   <tr><td>json / jsonb</td><td>String (the JSON text)</td></tr>
 *   <tr><td>arrays of the above</td><td>List (nested for multi-dimensional arrays; elements may be null)</td></tr>
 *   <tr><td>anything else (enums, domains, ranges, …)</td><td>String, the type's text output;
 *       byte[] (its binary send form) when the slot was asked for binary values</td></tr>
 * </table>
 * Rows are immutable; byte arrays inside are shared, not copied, so callers must not modify them.
 */
public final class Row {

    private final Object[] values;

    private Row(Object[] values) {
        this.values = values;
    }

    /** A row over the given values (copied; elements are not). */
    public static Row of(Object... values) {
        return new Row(values.clone());
    }

    /** A row over the given values (copied; elements may be null). */
    public static Row of(List<?> values) {
        return new Row(values.toArray());
    }

    /** Wraps an array the caller hands over and will not modify again; for decoders on the hot path. */
    public static Row wrap(Object[] values) {
        return new Row(values);
    }

    public int size() {
        return values.length;
    }

    public Object get(int index) {
        return values[index];
    }

    /** The values as an unmodifiable list (elements may be null). */
    public List<Object> values() {
        return Collections.unmodifiableList(Arrays.asList(values));
    }

    public boolean isUnchangedToast(int index) {
        return values[index] == UnchangedToast.VALUE;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Row other && Arrays.deepEquals(values, other.values);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(values);
    }

    /** Column count only: row values are user data and must not reach logs. */
    @Override
    public String toString() {
        return "Row[" + values.length + " columns]";
    }
}
