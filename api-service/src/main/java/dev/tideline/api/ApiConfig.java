package dev.tideline.api;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * The one configuration root of api-service ({@code tideline.*}). Every property can also be set
 * as an environment variable ({@code tideline.api.token} → {@code TIDELINE_API_TOKEN}).
 */
@ConfigMapping(prefix = "tideline")
public interface ApiConfig {

    /** The NATS server where specs, checkpoints and status live. */
    Nats nats();

    /** Where Delta tables live, for the tables endpoint (a path, {@code file:} or Hadoop file system URI). */
    @WithDefault(".tideline/warehouse")
    String warehouse();

    /** The HTTP API. */
    Api api();

    /** Secrets at rest. */
    Secrets secrets();

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
    }

    interface Secrets {
        /**
         * The key that seals connection passwords ({@code openssl rand -base64 32}); the same value must be
         * given to gateway-service and sync-service. Required: no default, so passwords are never sealed
         * with a key everybody knows.
         */
        String key();
    }
}
