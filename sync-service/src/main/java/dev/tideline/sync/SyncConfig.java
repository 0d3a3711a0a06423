package dev.tideline.sync;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * The one configuration root of sync-service ({@code tideline.*}). Every property can also be set
 * as an environment variable ({@code tideline.warehouse} → {@code TIDELINE_WAREHOUSE}).
 */
@ConfigMapping(prefix = "tideline")
public interface SyncConfig {

    /** The NATS server holding specs, checkpoints and the "delta committed" events. */
    Nats nats();

    /** Where the source Delta tables live (a path, {@code file:} or Hadoop file system URI). */
    @WithDefault(".tideline/warehouse")
    String warehouse();

    interface Nats {
        /** NATS URL(s), comma-separated, e.g. {@code nats://localhost:4222}. */
        @WithDefault("nats://localhost:4222")
        String url();
    }
}
