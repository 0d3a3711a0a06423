package dev.tideline.core.checkpoint;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.naming.KvBuckets;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.core.naming.ResourceIds;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * What apply-service has committed for one source table of an ingestion pipeline: every source
 * transaction with a commit LSN at or below {@code appliedCommitLsn} is in Delta version
 * {@code deltaVersion} (or earlier). The Delta commit's own transaction identifier is the source of
 * truth; this record, in {@link KvBuckets#CHECKPOINTS} under {@link #kvKey()}, is written after it,
 * for status reporting and to save a Delta log read on start.
 *
 * <p>JSON: {@code {"pipeline_id":"p1","source_schema":"public","source_table":"orders",
 * "applied_commit_lsn":"16/B374D848","delta_version":42,"updated_at":"2024-05-01T12:00:00Z"}}
 */
public record TableApplyCheckpoint(String pipelineId, TableId source, Lsn appliedCommitLsn, long deltaVersion, Instant updatedAt) {

    private static final String WHAT = "table apply checkpoint";

    public TableApplyCheckpoint {
        ResourceIds.requireValid("pipeline id", pipelineId);
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(appliedCommitLsn, "appliedCommitLsn");
        Objects.requireNonNull(updatedAt, "updatedAt");
        if (deltaVersion < 0) {
            throw new IllegalArgumentException("deltaVersion must be >= 0, was " + deltaVersion);
        }
    }

    /** {@code apply.<pipeline>.<schema-token>.<table-token>}. */
    public String kvKey() {
        return KvKeys.tableApplyCheckpoint(pipelineId, source);
    }

    public String toJson() {
        return new FlatJson.Writer()
                .string("pipeline_id", pipelineId)
                .string("source_schema", source.schema())
                .string("source_table", source.name())
                .string("applied_commit_lsn", appliedCommitLsn.toString())
                .number("delta_version", deltaVersion)
                .string("updated_at", updatedAt.toString())
                .toString();
    }

    /**
     * Reads {@link #toJson()}'s form; unknown fields are ignored.
     *
     * @throws dev.tideline.core.TidelineException FATAL naming the field when the JSON is not a table apply checkpoint
     */
    public static TableApplyCheckpoint fromJson(String json) {
        Map<String, Object> f = FlatJson.parse(json, WHAT);
        String pipelineId = FlatJson.string(f, "pipeline_id", WHAT);
        String schema = FlatJson.string(f, "source_schema", WHAT);
        String table = FlatJson.string(f, "source_table", WHAT);
        Lsn lsn = FlatJson.lsn(f, "applied_commit_lsn", WHAT);
        long version = FlatJson.number(f, "delta_version", WHAT);
        Instant updatedAt = FlatJson.instant(f, "updated_at", WHAT);
        return FlatJson.build(WHAT, () -> new TableApplyCheckpoint(pipelineId, TableId.of(schema, table), lsn, version, updatedAt));
    }
}
