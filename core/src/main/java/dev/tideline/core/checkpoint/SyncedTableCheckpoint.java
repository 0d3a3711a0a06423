package dev.tideline.core.checkpoint;

import dev.tideline.core.naming.KvBuckets;
import dev.tideline.core.naming.KvKeys;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * The Delta version a synced table reflects. The target database's own bookkeeping row (written in
 * the same transaction as the data) is the source of truth; this copy in
 * {@link KvBuckets#CHECKPOINTS} under {@link #kvKey()} serves status reporting.
 *
 * <p>JSON: {@code {"synced_table_name":"main.public.orders_synced","delta_version":42,"updated_at":"2024-05-01T12:00:00Z"}}
 */
public record SyncedTableCheckpoint(String syncedTableName, long deltaVersion, Instant updatedAt) {

    private static final String WHAT = "synced table checkpoint";

    public SyncedTableCheckpoint {
        Objects.requireNonNull(syncedTableName, "syncedTableName");
        if (syncedTableName.isEmpty()) {
            throw new IllegalArgumentException("syncedTableName is empty");
        }
        Objects.requireNonNull(updatedAt, "updatedAt");
        if (deltaVersion < 0) {
            throw new IllegalArgumentException("deltaVersion must be >= 0, was " + deltaVersion);
        }
    }

    /** {@code synced.<name-token>}. */
    public String kvKey() {
        return KvKeys.syncedTableCheckpoint(syncedTableName);
    }

    public String toJson() {
        return new FlatJson.Writer()
                .string("synced_table_name", syncedTableName)
                .number("delta_version", deltaVersion)
                .string("updated_at", updatedAt.toString())
                .toString();
    }

    /**
     * Reads {@link #toJson()}'s form; unknown fields are ignored.
     *
     * @throws dev.tideline.core.TidelineException FATAL naming the field when the JSON is not a synced table checkpoint
     */
    public static SyncedTableCheckpoint fromJson(String json) {
        Map<String, Object> f = FlatJson.parse(json, WHAT);
        String name = FlatJson.string(f, "synced_table_name", WHAT);
        long version = FlatJson.number(f, "delta_version", WHAT);
        Instant updatedAt = FlatJson.instant(f, "updated_at", WHAT);
        return FlatJson.build(WHAT, () -> new SyncedTableCheckpoint(name, version, updatedAt));
    }
}
