package dev.tideline.apply;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

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
     * {@code <warehouse>/<catalog>/<schema>/<table>}.
     */
    @WithDefault(".tideline/warehouse")
    String warehouse();

    interface Nats {
        /** NATS URL(s), comma-separated, e.g. {@code nats://localhost:4222}. */
        @WithDefault("nats://localhost:4222")
        String url();
    }
}
