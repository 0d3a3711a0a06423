package dev.tideline.apply;

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
     * Where Delta tables live: a local path or {@code file:} URI, or any Hadoop file system URI
     * ({@code s3a://bucket/prefix}). Table {@code catalog.schema.table} is stored under
     * {@code <warehouse>/<catalog>/<schema>/<table>}. A relative path is resolved against the
     * working directory.
     */
    @WithDefault(".tideline/warehouse")
    String warehouse();

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

        /** … or once its oldest complete transaction has waited this long (commit → visible latency). */
        @WithDefault("1s")
        Duration maxBatchDelay();

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

        /** Extra Hadoop configuration for non-local warehouses, e.g. {@code fs.s3a.endpoint}. */
        Map<String, String> hadoop();
    }
}
