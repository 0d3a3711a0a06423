package dev.tideline.sync.engine;

import dev.tideline.sync.delta.FoldLimits;

/**
 * Tuning of the sync engine.
 *
 * @param maxConnections   connections one snapshot may use in parallel (1..16; seed 003 allows up to 16)
 * @param snapshotFraction when the data files a refresh must read exceed this fraction of the table's
 *                         bytes, a snapshot is cheaper than applying changes (seed 003: "if you're
 *                         modifying more than 10% of the source table, consider using [snapshot]")
 * @param fillFactor       Postgres {@code fillfactor} (10..100) of TRIGGERED and CONTINUOUS synced
 *                         tables: the free space left on each page lets a refresh's UPDATE keep the
 *                         new row version on the same page (a HOT update: no index entry, a third
 *                         of the WAL). SNAPSHOT-policy tables are never updated and are always packed full.
 * @param fold             how much of an incremental refresh's changed rows is folded in memory, and where
 *                         the rest is spilled in key-hash partitions
 */
public record SyncOptions(int maxConnections, double snapshotFraction, int fillFactor, FoldLimits fold) {

    /** The fill factor of TRIGGERED/CONTINUOUS tables unless configured otherwise. */
    public static final int DEFAULT_FILL_FACTOR = 90;

    public SyncOptions {
        if (maxConnections < 1 || maxConnections > 16) {
            throw new IllegalArgumentException("tideline.sync.max-connections must be between 1 and 16 (was " + maxConnections + ")");
        }
        if (!(snapshotFraction > 0)) {
            throw new IllegalArgumentException("tideline.sync.snapshot-fraction must be > 0 (was " + snapshotFraction + ")");
        }
        if (fillFactor < 10 || fillFactor > 100) {
            throw new IllegalArgumentException("tideline.sync.fill-factor must be between 10 and 100 (Postgres' fillfactor range) (was "
                    + fillFactor + ")");
        }
        if (fold == null) {
            throw new IllegalArgumentException("fold limits are required");
        }
    }

    /** With the default fill factor and fold limits. */
    public SyncOptions(int maxConnections, double snapshotFraction) {
        this(maxConnections, snapshotFraction, DEFAULT_FILL_FACTOR);
    }

    /** With the default fold limits. */
    public SyncOptions(int maxConnections, double snapshotFraction, int fillFactor) {
        this(maxConnections, snapshotFraction, fillFactor, FoldLimits.defaults());
    }

    /** The same options with other fold limits. */
    public SyncOptions withFold(FoldLimits limits) {
        return new SyncOptions(maxConnections, snapshotFraction, fillFactor, limits);
    }

    public static SyncOptions defaults() {
        return new SyncOptions(Math.min(16, Math.max(2, Runtime.getRuntime().availableProcessors())), 0.10);
    }
}
