package dev.tideline.control.message;

/**
 * "A synced table finished a refresh", published by sync-service on
 * {@link dev.tideline.core.naming.Subjects#syncedTableRefreshed}.
 *
 * @param name           the synced table
 * @param requestId      the {@link RefreshRequest#requestId()} that caused it, or null for CONTINUOUS/automatic ones
 * @param deltaVersion   the Delta version the Postgres table now reflects
 * @param rowsApplied    rows inserted, updated or deleted
 * @param snapshot       whether it was a full snapshot swap
 * @param finishedAtMillis when it finished
 */
public record SyncedTableRefreshed(String name, String requestId, long deltaVersion, long rowsApplied, boolean snapshot,
                                   long finishedAtMillis) {
}
