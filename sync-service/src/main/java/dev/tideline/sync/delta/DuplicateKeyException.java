package dev.tideline.sync.delta;

import dev.tideline.core.TidelineException;

/**
 * Two rows of the source table have the same primary key and the synced table has no timeseries
 * key to choose between them (seed 003: "the sync pipeline fails unless you configure deduplication
 * using a Timeseries Key").
 */
public final class DuplicateKeyException extends TidelineException {

    public DuplicateKeyException(String tableName, String key, long version) {
        super(Kind.NEEDS_OPERATOR,
                "source table " + tableName + " has more than one row with primary key " + key
                        + (version >= 0 ? " (at version " + version + ")" : ""),
                "remove the duplicate rows from the source table, choose a primary key that is unique, or set a "
                        + "timeseries_key so that only the latest row per key is kept");
    }
}
