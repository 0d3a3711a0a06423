package dev.tideline.apply;

import dev.tideline.delta.S3Settings;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The one configuration root of apply-service ({@code tideline.*}). Every property can also be set
 * as an environment variable ({@code tideline.warehouse} → {@code TIDELINE_WAREHOUSE}).
 */
@ConfigMapping(prefix = "tideline")
public interface ApplyConfig {

    /** The NATS server holding the staging streams, specs and checkpoints. */
    Nats nats();

    /**
     * Where Delta tables live: a local path or {@code file:} URI, {@code s3://bucket/prefix} (see {@link #s3()}),
     * or another Hadoop file-system URI ({@code abfss://…}) with its file system on the class path. Table {@code catalog.schema.table} is stored under
     * {@code <warehouse>/<catalog>/<schema>/<table>}. A relative path is resolved against the
     * working directory.
     */
    @WithDefault(".tideline/warehouse")
    String warehouse();

    /**
     * How an {@code s3://} warehouse is reached. Credentials come from the AWS SDK's default chain (environment
     * {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}, {@code AWS_PROFILE}, web identity, container and
     * instance roles), not from here.
     */
    S3 s3();

    /** How pipelines are applied. */
    Apply apply();

    /** How replicas of apply-service split the ingestion pipelines between them. */
    Lease lease();

    interface Lease {
        /**
         * This replica's name among its peers, {@code [A-Za-z0-9_-]{1,64}}; by default the host name (the pod name
         * on Kubernetes). Keep it stable across restarts; give each replica on one host its own.
         */
        Optional<String> memberId();

        /** How long a pipeline stays with a replica that stopped renewing its lease, before another takes it. */
        @WithDefault("15s")
        Duration ttl();
    }

    interface S3 {
        /** S3-compatible endpoint, e.g. {@code http://minio:9000}; unset: AWS S3 (or the SDK's {@code AWS_ENDPOINT_URL_S3}). */
        Optional<String> endpoint();

        /** Signing region; unset: {@code AWS_REGION} or the profile's, else {@code us-east-1}. */
        Optional<String> region();

        /** Address buckets as {@code <endpoint>/<bucket>} (MinIO, S3Proxy, Ceph RGW) instead of {@code <bucket>.<endpoint>}. */
        @WithDefault("false")
        boolean pathStyleAccess();

        /**
         * Skip the start-up proof that the store honours {@code If-None-Match: *} (two writers of one Delta version
         * can then both succeed). Only for a store without conditional writes that exactly one replica writes.
         */
        @WithDefault("false")
        boolean singleWriter();

        /** Files larger than this are uploaded in parts of this size; also the memory one file being written holds. */
        @WithDefault("16777216")
        long partSizeBytes();

        /** These settings for the delta module. */
        default S3Settings settings() {
            return S3Settings.defaults().withEndpoint(endpoint().orElse(null)).withRegion(region().orElse(null))
                    .withPathStyleAccess(pathStyleAccess()).withSingleWriter(singleWriter())
                    .withPartSizeBytes(partSizeBytes());
        }
    }

    interface Nats {
        /** NATS URL(s), comma-separated, e.g. {@code nats://localhost:4222}. */
        @WithDefault("nats://localhost:4222")
        String url();
    }

    interface Apply {
        /** Run the ingestion pipelines found in KV. Off: the service only serves health and metrics. */
        @WithDefault("true")
        boolean enabled();

        /** A table commits once this many row changes of complete source transactions are buffered. */
        @WithDefault("50000")
        int maxBatchRows();

        /** … or once its oldest complete transaction has waited this long: the upper bound of the batching delay. */
        @WithDefault("1s")
        Duration maxBatchDelay();

        /**
         * A table with no more messages immediately available commits once its oldest complete transaction
         * waited this long: 0 commits at once (group commit — transactions arriving during a commit go into
         * the next one); {@code max-batch-delay} restores the fixed delay. At most {@code max-batch-delay}.
         */
        @WithDefault("0s")
        Duration minBatchDelay();

        /**
         * Tables of one pipeline that commit at the same time (threads per pipeline, never per table). A
         * commit mostly waits on storage and NATS, so overlapping the commits of the tables due together
         * keeps latency low when many tables are written at once; 1 commits them one after another.
         */
        @WithDefault("4")
        int commitThreads();

        /** Messages per pull from the staging stream. */
        @WithDefault("1000")
        int fetchSize();

        /** JetStream redelivers a message not acknowledged within this time. */
        @WithDefault("60s")
        Duration ackWait();

        /** Parquet codec: ZSTD (default), SNAPPY, GZIP or UNCOMPRESSED. */
        @WithDefault("ZSTD")
        String parquetCompression();

        /** Size at which a data file is closed and a new one started. */
        @WithDefault("134217728")
        long targetFileSizeBytes();

        /** A data file below this size counts as small. */
        @WithDefault("8388608")
        long smallFileBytes();

        /** Compact a table's small files of similar size (within 4x) once this many of them exist. */
        @WithDefault("32")
        int compactAfterFiles();

        /**
         * A commit's new rows, when at most this many and of flat columns only, are written as one uncompressed
         * Parquet file by Tideline's own writer instead of parquet-mr (whose per-file cost dominates small files);
         * compaction rewrites such files with {@link #parquetCompression()}. 0 writes every file with parquet-mr.
         */
        @WithDefault("2048")
        int plainFileMaxRows();

        /**
         * Of the checkpoints Kernel asks for (every {@code delta.checkpointInterval} versions), one is written only
         * when the table's previous checkpoint is at least this old, or {@link #checkpointMaxCommits()} commits back
         * (see {@code CheckpointSpacing}). 0 writes every one.
         */
        @WithDefault("10m")
        Duration checkpointMinAge();

        /** Commits after a checkpoint at which the next one Kernel asks for is written whatever its age. */
        @WithDefault("100")
        int checkpointMaxCommits();

        /** Extra Hadoop configuration for non-local warehouses, e.g. {@code fs.s3a.endpoint}. */
        Map<String, String> hadoop();
    }
}
