package dev.tideline.core.value;

/**
 * A Postgres {@code interval}, kept in the three fields Postgres itself stores, because they do not
 * convert into one another ({@code 1 month} is not a fixed number of days, nor {@code 1 day} a fixed
 * number of microseconds across DST changes).
 */
public record PgInterval(int months, int days, long microseconds) {
}
