package dev.tideline.gateway;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The one configuration root of gateway-service ({@code tideline.*}). Every property can also be set
 * as an environment variable ({@code tideline.nats.url} → {@code TIDELINE_NATS_URL}).
 */
@ConfigMapping(prefix = "tideline")
public interface GatewayConfig {

    /** The NATS server holding the staging streams, specs and checkpoints. */
    Nats nats();

    /** Capture settings. */
    Gateway gateway();

    /** Secrets shared with api-service. */
    Secrets secrets();

    /** How replicas of gateway-service split the gateways between them. */
    Lease lease();

    interface Lease {
        /**
         * This replica's name among its peers, {@code [A-Za-z0-9_-]{1,64}}; by default the host name (the pod name
         * on Kubernetes). Keep it stable across restarts; give each replica on one host its own.
         */
        Optional<String> memberId();

        /** How long a gateway stays with a replica that stopped renewing its lease, before another takes it. */
        @WithDefault("15s")
        java.time.Duration ttl();
    }

    interface Nats {
        /** NATS URL(s), comma-separated, e.g. {@code nats://localhost:4222}. */
        @WithDefault("nats://localhost:4222")
        String url();
    }

    interface Secrets {
        /**
         * The key connection passwords are sealed with by api-service ({@code openssl rand -base64 32});
         * the same value in every service. Not needed in standalone mode.
         */
        Optional<String> key();
    }

    interface Gateway {
        /**
         * Name this instance reports in its status records, so several gateway replicas can be told
         * apart. Defaults to the host name.
         */
        @WithDefault("${HOSTNAME:gateway}")
        String instanceName();

        /** Whether this process runs gateways at all (false: only health and metrics, e.g. in tests). */
        @WithDefault("true")
        boolean enabled();

        /** How often each gateway refreshes its status record, lag metric and table progress. */
        @WithDefault("5s")
        Duration statusInterval();

        /**
         * Write a heartbeat ({@code pg_logical_emit_message}) into each source's WAL this often, so
         * that a source whose published tables never change still moves the slot (e.g. Neon, which
         * suspends idle computes, or a database where only unpublished tables are written). Off when unset.
         */
        Optional<Duration> heartbeatInterval();

        /**
         * Where a large source transaction that Postgres streams while it is still open (pgoutput
         * protocol 2) waits for its commit, on disk rather than in memory; one subdirectory per slot.
         * Needs room for the largest open transaction's changes (roughly their WAL size). Defaults to
         * {@code <java.io.tmpdir>/tideline-spill}; in containers, point it at a volume that is not
         * memory-backed.
         */
        Optional<Path> spillDirectory();

        /** Snapshot settings. */
        Snapshot snapshot();

        /** The change stream's limits. */
        Stream stream();

        /** One gateway from configuration, without api-service; used when {@code jdbc-url} is set. */
        Standalone standalone();
    }

    interface Snapshot {
        /** The most rows a chunk holds; chunks are held in memory between their watermarks. */
        @WithDefault("1000000")
        int rowsPerChunk();

        /**
         * About how many bytes of rows a chunk holds (its rows: this divided by the table's average row size, at most
         * {@code rows-per-chunk}). A snapshot holds at most (parallelism + 1) × 1.5 × this of rows plus the 64 MiB
         * in-flight window, so on a small heap the gateway lowers it to max heap / (8 × parallelism). A table's
         * snapshot plans at most 1,000,000 chunks (SnapshotProgress.MAX_CHUNKS); raise this for a larger table.
         */
        @WithDefault("33554432")
        long chunkBytes();

        /** Chunk reads at once, over all tables of a gateway. */
        @WithDefault("4")
        int parallelism();
    }

    interface Stream {
        /** The stream's size limit; when reached, publishing stops (discard new) until the apply side catches up. */
        @WithDefault("10737418240")
        long maxBytes();

        /** How long changes are kept in the stream. */
        @WithDefault("7d")
        Duration maxAge();

        /** How long JetStream remembers message ids to drop re-published duplicates. */
        @WithDefault("2m")
        Duration duplicateWindow();
    }

    interface Standalone {
        /** The gateway id (names the stream {@code TIDELINE_CDC_<id>} and its checkpoints). */
        @WithDefault("standalone")
        String id();

        /**
         * pgjdbc URL of the source database, e.g. {@code jdbc:postgresql://db:5432/app}. Setting it
         * turns standalone mode on: the specs in KV are then ignored.
         */
        Optional<String> jdbcUrl();

        /** The role to connect as (needs REPLICATION and SELECT on the tables). */
        Optional<String> user();

        /** Its password. */
        Optional<String> password();

        /** TLS: {@code disable}, {@code require}, {@code verify-ca} or {@code verify-full} (pgjdbc {@code sslmode}). */
        Optional<String> sslMode();

        /** TLS: the CA certificate file for {@code verify-ca} / {@code verify-full} (pgjdbc {@code sslrootcert}). */
        Optional<String> sslRootCert();

        /** The logical replication slot. */
        @WithDefault("tideline_slot")
        String slot();

        /** The publication. */
        @WithDefault("tideline_pub")
        String publication();

        /** Tables as {@code schema.table}; every table of the publication when unset. */
        Optional<List<String>> tables();

        /** Create the slot (with an exported snapshot for the initial load) when it does not exist. */
        @WithDefault("true")
        boolean createSlot();
    }
}
