package dev.tideline.gateway;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

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

    interface Nats {
        /** NATS URL(s), comma-separated, e.g. {@code nats://localhost:4222}. */
        @WithDefault("nats://localhost:4222")
        String url();
    }

    interface Gateway {
        /**
         * Name this instance reports in its status records, so several gateway replicas can be told
         * apart. Defaults to the host name.
         */
        @WithDefault("${HOSTNAME:gateway}")
        String instanceName();
    }
}
