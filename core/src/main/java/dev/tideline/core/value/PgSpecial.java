package dev.tideline.core.value;

/**
 * Values of Postgres types that their Java counterpart cannot hold.
 *
 * <ul>
 *   <li>{@code numeric}: {@code NaN}, {@code Infinity}, {@code -Infinity} (BigDecimal has none);</li>
 *   <li>{@code date}, {@code timestamp}, {@code timestamptz}: {@code infinity} and {@code -infinity}.</li>
 * </ul>
 * {@code float4}/{@code float8} use Java's own NaN and infinities instead.
 */
public enum PgSpecial {
    NAN,
    POSITIVE_INFINITY,
    NEGATIVE_INFINITY
}
