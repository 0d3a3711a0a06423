package dev.tideline.sync.engine;

/**
 * Tuning of the sync engine.
 *
 * @param maxConnections   connections one snapshot may use in parallel (1..16; seed 003 allows up to 16)
 * @param snapshotFraction when the data files a refresh must read exceed this fraction of the table's
 *                         bytes, a snapshot is cheaper than applying changes (seed 003: "if you're
 *                         modifying more than 10% of the source table, consider using [snapshot]")
 */
public record SyncOptions(int maxConnections, double snapshotFraction) {

    public SyncOptions {
        if (maxConnections < 1 || maxConnections > 16) {
            throw new IllegalArgumentException("maxConnections must be between 1 and 16, was " + maxConnections);
        }
        if (!(snapshotFraction > 0)) {
            throw new IllegalArgumentException("snapshotFraction must be > 0, was " + snapshotFraction);
        }
    }

    public static SyncOptions defaults() {
        return new SyncOptions(Math.min(16, Math.max(2, Runtime.getRuntime().availableProcessors())), 0.10);
    }
}
