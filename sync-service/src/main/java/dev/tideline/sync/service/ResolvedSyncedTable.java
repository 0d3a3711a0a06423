package dev.tideline.sync.service;

import dev.tideline.control.spec.SyncedTableSpec;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.postgres.PostgresTarget;

/** A synced table spec with everything resolved: the engine's definition and the target Postgres (password decrypted). */
record ResolvedSyncedTable(SyncedTableSpec spec, SyncedTableDefinition definition, PostgresTarget target) {
}
