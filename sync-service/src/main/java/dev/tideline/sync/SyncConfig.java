package dev.tideline.sync;

import dev.tideline.delta.S3Settings;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.quarkus.runtime.configuration.MemorySize;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The one configuration root of sync-service ({@code tideline.*}). Every property can also be set
 * as an environment variable ({@code tideline.warehouse} → {@code TIDELINE_WAREHOUSE}).
 */
@ConfigMapping(prefix = "tideline")
public interface SyncConfig {

    /** The NATS server holding specs, checkpoints and the "delta committed" events. */
    Nats nats();

    /**
     * Where the source Delta tables live: a path (relative: to the working directory), a {@code file:} URI,
     * {@code s3://bucket/prefix} (see {@link #s3()}) or a Hadoop file-system URI.
     */
    @WithDefault(".tideline/warehouse")
    String warehouse();

    /**
     * How an {@code s3://} warehouse is reached. Credentials come from the AWS SDK's default chain (environment
     * {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}, {@code AWS_PROFILE}, web identity, container and
     * instance roles), not from here.
     */
    S3 s3();

    /** Key that opens the connection passwords api-service sealed; the same value in every service. */
    Secrets secrets();

    /** The sync engine. */
    Sync sync();

    /** How replicas of sync-service split the synced tables between them. */
    Lease lease();

    interface S3 {
        /** S3-compatible endpoint, e.g. {@code http://minio:9000}; unset: AWS S3 (or the SDK's {@code AWS_ENDPOINT_URL_S3}). */
        Optional<String> endpoint();

        /** Signing region; unset: {@code AWS_REGION} or the profile's, else {@code us-east-1}. */
        Optional<String> region();

        /** Address buckets as {@code <endpoint>/<bucket>} (MinIO, S3Proxy, Ceph RGW) instead of {@code <bucket>.<endpoint>}. */
        @WithDefault("false")
        boolean pathStyleAccess();

        /** These settings for the delta module. */
        default S3Settings settings() {
            return S3Settings.defaults().withEndpoint(endpoint().orElse(null)).withRegion(region().orElse(null))
                    .withPathStyleAccess(pathStyleAccess());
        }
    }

    interface Nats {
        /** NATS URL(s), comma-separated, e.g. {@code nats://localhost:4222}. */
        @WithDefault("nats://localhost:4222")
        String url();
    }

    interface Secrets {
        /** {@code openssl rand -base64 32}, or a passphrase of at least 16 characters (env {@code TIDELINE_SECRETS_KEY}). */
        Optional<String> key();
    }

    interface Lease {
        /**
         * This replica's name among its peers, {@code [A-Za-z0-9_-]{1,64}}; by default the host name (the pod name
         * on Kubernetes). Keep it stable across restarts; give each replica on one host its own.
         */
        Optional<String> memberId();

        /** How long a synced table stays with a replica that stopped renewing its lease, before another takes it. */
        @WithDefault("15s")
        Duration ttl();
    }

    interface Sync {
        /** Run synced tables; false starts only HTTP (health, metrics). */
        @WithDefault("true")
        boolean enabled();

        /** Connections one snapshot uses in parallel, 1..16 (seed 003: up to 16 per synced table). */
        @WithDefault("8")
        int maxConnections();

        /**
         * A TRIGGERED/CONTINUOUS refresh whose changes exceed this fraction of the table is done as a
         * snapshot instead (seed 003: snapshot mode is the better choice above 10%).
         */
        @WithDefault("0.10")
        double snapshotFraction();

        /**
         * Postgres fillfactor (10..100) of TRIGGERED and CONTINUOUS synced tables: free space kept on each page so a
         * refresh's UPDATE can stay on the row's page (HOT: no index entry, a third of the WAL). 100 packs them full,
         * as SNAPSHOT-policy tables always are.
         */
        @WithDefault("90")
        int fillFactor();

        /**
         * Heap an incremental refresh may fill with the changed rows it reads before folding them by key (e.g.
         * {@code 64M}); a larger refresh streams them into key-hash partitions on disk and folds one at a time,
         * so the heap a refresh needs is about twice this, whatever the size of the commit or the table.
         */
        @WithDefault("64M")
        MemorySize foldMemory();

        /** Partitions (2..1024) a refresh past {@code fold-memory} is split into; one still too large is split again. */
        @WithDefault("64")
        int foldPartitions();

        /**
         * Where refreshes past {@code fold-memory} spill their changed rows, one subdirectory per refresh, deleted
         * when it ends (and, after a crash, by the next refresh that spills). Needs room for the rows read by the
         * largest refresh (their bytes plus 18 each: about 100 bytes a row for narrow tables). Defaults to
         * {@code <java.io.tmpdir>/tideline-sync-spill}; in containers, point it at a volume that is not memory-backed.
         */
        Optional<Path> spillDirectory();

        /** How often CONTINUOUS synced tables look for new Delta versions besides apply-service's events. */
        @WithDefault("5s")
        Duration pollInterval();

        /** Longest pause between retries of a failing sync (backoff starts at 1 s and doubles). */
        @WithDefault("60s")
        Duration maxRetryBackoff();
    }
}
