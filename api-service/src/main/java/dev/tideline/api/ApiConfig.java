package dev.tideline.api;

import dev.tideline.delta.S3Settings;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.util.Optional;

/**
 * The one configuration root of api-service ({@code tideline.*}). Every property can also be set
 * as an environment variable ({@code tideline.api.token} → {@code TIDELINE_API_TOKEN}).
 */
@ConfigMapping(prefix = "tideline")
public interface ApiConfig {

    /** The NATS server where specs, checkpoints and status live. */
    Nats nats();

    /**
     * Where Delta tables live, for the tables and catalogs endpoints: a path (relative: to the working directory), a
     * {@code file:} URI or {@code s3://bucket/prefix} (see {@link #s3()}); other URIs answer 501.
     */
    @WithDefault(".tideline/warehouse")
    String warehouse();

    /**
     * How an {@code s3://} warehouse is reached. Credentials come from the AWS SDK's default chain (environment
     * {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}, {@code AWS_PROFILE}, web identity, container and
     * instance roles), not from here.
     */
    S3 s3();

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

    /** The HTTP API. */
    Api api();

    /** Secrets at rest. */
    Secrets secrets();

    /** The console served at {@code /console}. */
    Console console();

    interface Nats {
        /** NATS URL(s), comma-separated, e.g. {@code nats://localhost:4222}. */
        @WithDefault("nats://localhost:4222")
        String url();
    }

    interface Api {
        /**
         * The bearer token every request but health must carry ({@code Authorization: Bearer <token>}).
         * Required: there is deliberately no default, so an API is never left open by accident.
         */
        String token();

        /** How long a Postgres check (connect, database exists, create database) may take, in seconds. */
        @WithDefault("10")
        int postgresTimeoutSeconds();

        /** Where database instances live that are created without {@code connection_name}. */
        DatabaseInstances databaseInstances();
    }

    /**
     * The Postgres server Tideline provisions database instances on, as Databricks provisions Lakebase instances:
     * {@code POST /api/2.0/database/instances} with only {@code name} and {@code capacity} (all the Databricks SDK
     * sends) creates the instance there. Instances that bring their own Postgres through {@code connection_name}
     * do not need it.
     */
    interface DatabaseInstances {
        /**
         * A pgjdbc URL of the server, e.g. {@code jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres&password=...}
         * (the database part is ignored; {@code sslmode} and {@code sslrootcert} are kept). The role must be allowed
         * to create databases. Unset: an instance without {@code connection_name} is refused with 400 naming this
         * property. {@code deploy/local/up.sh} sets it to the local stack's target Postgres.
         */
        Optional<String> postgresUrl();

        /** The role, when the URL carries no {@code user} parameter. */
        Optional<String> postgresUser();

        /** The role's password, when the URL carries no {@code password} parameter. Never logged or returned. */
        Optional<String> postgresPassword();
    }

    interface Secrets {
        /**
         * The key that seals connection passwords ({@code openssl rand -base64 32}); the same value must be
         * given to gateway-service and sync-service. Required: no default, so passwords are never sealed
         * with a key everybody knows.
         */
        String key();
    }

    interface Console {
        /**
         * How often api-service samples every pipeline's and synced table's lag into the lag history, in seconds
         * (1 to 60). Replicas sampling the same interval store one sample between them.
         */
        @WithDefault("30")
        int lagSampleSeconds();

        /** How long the lag history (NATS stream {@code TIDELINE_LAG}) keeps samples, in hours. */
        @WithDefault("24")
        int lagHistoryHours();

        /** How many hours of lag history the console's charts show. */
        @WithDefault("3")
        int chartHours();

        /** WAL retained by a replication slot above which the console reports the slot degraded, in bytes (default 1 GiB). */
        @WithDefault("1073741824")
        long slotWarningBytes();

        /** How often console pages reload themselves, in seconds; 0 turns it off. */
        @WithDefault("15")
        int refreshSeconds();
    }
}
