package dev.tideline.spark;

import java.util.List;

/**
 * One generated fixture: the table's options and either an explicit plan of operations (values still drawn from the
 * seed) or, when {@code plan} is empty, {@code steps} operations drawn from the seed.
 *
 * @param columnMapping      {@code none}, {@code name} or {@code id} ({@code delta.columnMapping.mode})
 * @param partitions         partition columns: 0, 1 ({@code p1 STRING}) or 2 ({@code p1 STRING, p2 DATE})
 * @param checkpointInterval {@code delta.checkpointInterval}, 0 for Delta's default (10)
 */
record GeneratedCase(String name, long seed, String columnMapping, int partitions, boolean changeDataFeed, boolean deletionVectors,
        boolean typeWidening, int checkpointInterval, int steps, List<String> plan) {

    /** The cases checked into sync-service/src/test/resources/spark-tables/generated. */
    static List<GeneratedCase> all() {
        return List.of(
                // issue 11: a, b swapped by three renames, synced before and after (one refresh sees all three)
                new GeneratedCase("swap-columns", 11_001, "name", 0, false, false, false, 0, 0,
                        List.of("insert", "insert", "update", "swap", "update", "insert", "merge")),
                // issue 11: a column dropped and re-added under the same name (one refresh sees both)
                new GeneratedCase("drop-readd-column", 11_002, "name", 0, true, true, false, 0, 0,
                        List.of("insert", "update", "readd", "update", "insert", "delete", "readd", "merge")),
                // issue 11: partitioned by two columns, change data feed, no deletion vectors: cdc files without partition columns
                new GeneratedCase("partitioned-cdf-no-dv", 11_003, "none", 2, true, false, false, 0, 0,
                        List.of("insert", "insert", "update", "delete", "merge", "move", "optimize", "insert", "delete", "merge")),
                // turning column mapping on for an existing table must not look like new columns; then rename and re-add
                new GeneratedCase("upgrade-to-column-mapping", 11_004, "none", 1, true, false, false, 0, 0,
                        List.of("insert", "update", "enable-mapping", "insert", "update", "rename", "merge", "readd", "delete")),
                new GeneratedCase("random-name-cdf-dv-p1", 1_001, "name", 1, true, true, false, 3, 16, List.of()),
                new GeneratedCase("random-none-cdf-p2-checkpoints", 1_002, "none", 2, true, false, false, 4, 14, List.of()),
                new GeneratedCase("random-name-dv-widening", 1_003, "name", 0, false, true, true, 0, 16, List.of()),
                new GeneratedCase("random-id-cdf-p2", 1_004, "id", 2, true, false, false, 5, 16, List.of()),
                new GeneratedCase("random-none-widening-checkpoints", 1_005, "none", 0, false, false, true, 2, 14, List.of()),
                new GeneratedCase("random-name-cdf-p1-swaps", 1_006, "name", 1, true, false, false, 0, 16, List.of()));
    }

    String describe() {
        return "columnMapping=" + columnMapping + ", partitions=" + partitions + ", changeDataFeed=" + changeDataFeed
                + ", deletionVectors=" + deletionVectors + ", typeWidening=" + typeWidening + ", checkpointInterval="
                + (checkpointInterval == 0 ? "default" : checkpointInterval) + (plan.isEmpty() ? ", random steps=" + steps : ", plan=" + plan);
    }
}
