package dev.tideline.apply.delta;

/** How a destination table keeps the source's changes (Lakeflow Connect's {@code scd_type}). */
public enum ScdType {
    /** The table equals the source at the applied LSN: updates overwrite, deletes remove. */
    SCD_TYPE_1,
    /**
     * History: each version of a row is kept with {@code __START_AT} (commit time of the transaction
     * that wrote it) and {@code __END_AT} (commit time of the one that replaced or deleted it; null
     * while current).
     */
    SCD_TYPE_2;

    /** Parses {@code SCD_TYPE_1}/{@code SCD_TYPE_2} (also {@code 1}/{@code 2}); null or blank is type 1. */
    public static ScdType parse(String text) {
        if (text == null || text.isBlank()) {
            return SCD_TYPE_1;
        }
        return switch (text.strip().toUpperCase(java.util.Locale.ROOT)) {
            case "SCD_TYPE_1", "1", "TYPE_1" -> SCD_TYPE_1;
            case "SCD_TYPE_2", "2", "TYPE_2" -> SCD_TYPE_2;
            default -> throw new IllegalArgumentException("scd_type must be SCD_TYPE_1 or SCD_TYPE_2, was '" + text + "'");
        };
    }
}
