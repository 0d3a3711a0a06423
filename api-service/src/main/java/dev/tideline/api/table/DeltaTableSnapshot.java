package dev.tideline.api.table;

import java.util.List;
import java.util.Map;

/**
 * What the tables endpoint needs from the latest version of a Delta table.
 *
 * @param location              the table root as Hadoop and Delta spell it, {@code file:/abs/path}
 * @param version               the latest committed version
 * @param tableId               the metadata id (a UUID)
 * @param description           the table comment, or null
 * @param columns               top-level columns in schema order
 * @param partitionColumns      partition columns
 * @param configuration         the table properties ({@code delta.*} and user properties)
 * @param createdTimeMillis     the metadata's creation time, or null
 * @param lastCommitMillis      the latest commit's timestamp
 * @param minReaderVersion      protocol reader version
 * @param minWriterVersion      protocol writer version
 */
public record DeltaTableSnapshot(String location, long version, String tableId, String description, List<DeltaColumn> columns,
                                 List<String> partitionColumns, Map<String, String> configuration, Long createdTimeMillis,
                                 long lastCommitMillis, int minReaderVersion, int minWriterVersion) {

    /** The column named exactly {@code name}, or null. */
    public DeltaColumn column(String name) {
        return columns.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
    }
}
