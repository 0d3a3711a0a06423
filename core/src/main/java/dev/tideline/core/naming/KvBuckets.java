package dev.tideline.core.naming;

/** NATS KV bucket names ({@code [A-Za-z0-9_-]+}). Keys are built by {@link KvKeys}. */
public final class KvBuckets {

    /** Pipeline, connection and synced-table specs, written by api-service. */
    public static final String SPECS = "tideline-specs";
    /** Checkpoints: gateway confirmed LSNs, per-table applied LSNs and Delta versions, synced versions. */
    public static final String CHECKPOINTS = "tideline-checkpoints";
    /** Latest status of pipelines and synced tables, for the API. */
    public static final String STATUS = "tideline-status";
    /** Leases that keep one table on one writer when services are scaled out. */
    public static final String LEASES = "tideline-leases";

    private KvBuckets() {
    }
}
