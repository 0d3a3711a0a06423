package dev.tideline.sync.engine;

import dev.tideline.core.postgres.SqlStates;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.sync.delta.ChangePlan;
import dev.tideline.sync.delta.ChangesUnavailableException;
import dev.tideline.sync.delta.DeltaChangeReader;
import dev.tideline.sync.delta.StreamedDiff;
import dev.tideline.sync.delta.DeltaSource;
import dev.tideline.sync.delta.NetChanges;
import dev.tideline.sync.model.SchedulingPolicy;
import dev.tideline.sync.model.SyncFaults;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.postgres.Bookkeeping;
import dev.tideline.sync.postgres.IncrementalApplier;
import dev.tideline.sync.postgres.PostgresTarget;
import dev.tideline.sync.postgres.SnapshotLoader;
import dev.tideline.sync.postgres.SyncState;
import dev.tideline.sync.postgres.TableDdl;
import dev.tideline.sync.types.ColumnIdentity;
import dev.tideline.sync.types.CopyRowEncoder;
import dev.tideline.sync.types.PostgresTypeMapping;
import dev.tideline.sync.types.TargetColumn;
import io.delta.kernel.Snapshot;
import io.delta.kernel.types.StructType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Brings one synced table up to the newest version of its Delta table. Decides between a snapshot
 * (first sync, SNAPSHOT policy, full refresh, the table dropped by a user, history gone, a change
 * larger than {@link SyncOptions#snapshotFraction()} of the table, or a delete under a timeseries
 * key) and an incremental refresh (everything else), and runs it.
 *
 * <p>Exactly-once: the version Postgres reflects is read from the target database's bookkeeping
 * row, which every sync writes in the same transaction as its rows; a sync that dies anywhere
 * leaves Postgres at the previous recorded version, and the next sync starts from there. A session
 * advisory lock keeps two syncs of the same table (two replicas) from running at once.
 *
 * <p>Not thread-safe: one sync at a time per instance (the runner serializes them).
 */
public final class SyncedTableSyncer {

    private static final Logger LOG = Logger.getLogger(SyncedTableSyncer.class);
    private static final long MIN_BYTES_FOR_SIZE_RULE = 64L << 20;

    private final SyncedTableDefinition def;
    private final PostgresTarget target;
    private final DeltaSource source;
    private final SyncOptions options;
    private final SyncFaults faults;
    /** Database, schemas and bookkeeping exist (checked once; a failed sync checks again, e.g. after a user dropped them). */
    private boolean prepared;

    public SyncedTableSyncer(SyncedTableDefinition def, PostgresTarget target, DeltaSource source, SyncOptions options, SyncFaults faults) {
        this.def = def;
        this.target = target;
        this.source = source;
        this.options = options;
        this.faults = faults;
    }

    public SyncedTableDefinition definition() {
        return def;
    }

    /**
     * Checks what can be checked before any data moves: names (in the definition), the source
     * table's existence, the type of every column, and that the key columns exist.
     *
     * @return the target columns at the newest version
     * @throws TidelineException NEEDS_OPERATOR naming the table and column at fault
     */
    public List<TargetColumn> validate() {
        Snapshot latest = source.latest();
        List<TargetColumn> columns = PostgresTypeMapping.map(def.sourceTableName(), latest.getSchema());
        new CopyRowEncoder(def.name(), columns, def.primaryKey(), def.timeseriesKey().orElse(null), def.nullBytes());
        return columns;
    }

    /** The version Postgres reflects, from the target's bookkeeping; empty before the first sync. */
    public Optional<SyncState> syncedState() {
        try (Connection c = target.open()) {
            if (!TableDdl.bookkeepingExists(c)) {
                return Optional.empty();
            }
            return Bookkeeping.read(c, def.name(), false);
        } catch (SQLException e) {
            if (SqlStates.INVALID_CATALOG_NAME.equals(e.getSQLState())) { // invalid_catalog_name: the database is created by the first sync
                return Optional.empty();
            }
            throw new TidelineException(TidelineException.Kind.RETRYABLE, "reading the synced version of " + def.name() + " failed: "
                    + e.getMessage(), "check that the target Postgres is up", e);
        }
    }

    /**
     * Syncs to the newest Delta version.
     *
     * @param fullRefresh rebuild the table with a snapshot whatever the policy
     */
    public SyncOutcome sync(boolean fullRefresh) {
        try {
            return syncOnce(fullRefresh);
        } catch (RuntimeException e) {
            prepared = false;
            throw e;
        }
    }

    private SyncOutcome syncOnce(boolean fullRefresh) {
        long started = System.nanoTime();
        if (!prepared) {
            target.ensureDatabase(def.createDatabaseObjectsIfMissing());
        }
        try (Connection lock = target.open()) {
            if (!prepared) {
                prepare(lock);
                prepared = true;
            }
            lock(lock);
            try {
                return syncLocked(lock, fullRefresh, started);
            } finally {
                unlock(lock);
            }
        } catch (SQLException e) {
            throw new TidelineException(TidelineException.Kind.RETRYABLE, "sync of " + def.name() + " failed: " + e.getMessage(),
                    "check that the target Postgres is up", e);
        }
    }

    /** The sync itself, under the table's advisory lock held by {@code lock}. */
    private SyncOutcome syncLocked(Connection lock, boolean fullRefresh, long started) throws SQLException {
        Snapshot latest = source.latest();
        List<TargetColumn> columns = PostgresTypeMapping.map(def.sourceTableName(), latest.getSchema());
        CopyRowEncoder encoder = new CopyRowEncoder(def.name(), columns, def.primaryKey(), def.timeseriesKey().orElse(null), def.nullBytes());
        Optional<SyncState> state = Bookkeeping.read(lock, def.name(), false);
        boolean tableExists = exists(lock);
        if (tableExists && state.isEmpty()) {
            throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                    "Postgres table " + def.target() + " already exists and is not a synced table",
                    "drop it or choose another name for the synced table; Tideline never overwrites tables it did not create");
        }
        String why = snapshotReason(fullRefresh, state, tableExists);
        if (why == null && !state.get().sourceTable().equals(def.sourceTableName())) {
            why = "the synced table now reads " + def.sourceTableName() + " instead of " + state.get().sourceTable();
        }
        if (why == null && state.get().deltaVersion() == latest.getVersion()) {
            return done(SyncOutcome.Mode.NONE, state.get().deltaVersion(), latest, 0, started, "no new version");
        }
        List<String> syncedIds = why == null ? syncedIdentities(state.get()) : null;
        if (why == null && SchemaChanges.replacedWhole(state.get(), syncedIds, columns)) {
            why = "the source table was replaced as a whole (every column is stored anew, as after a snapshot load of its "
                    + "ingestion pipeline or CREATE OR REPLACE TABLE): its rows are loaded again";
        }
        if (why == null) {
            SyncState synced = state.get();
            List<TargetColumn> added = SchemaChanges.added(def.name(), synced, syncedIds, columns);
            DeltaChangeReader reader = new DeltaChangeReader(source, Math.min(4, options.maxConnections()));
            try {
                long t0 = System.nanoTime();
                ChangePlan plan = reader.plan(synced.deltaVersion(), latest);
                long t1 = System.nanoTime();
                DeltaSource.SnapshotFiles live = plan.versions().isEmpty() ? null : source.files(latest);
                long t2 = System.nanoTime();
                why = tooLargeBeforeReading(plan, live);
                if (why == null && DeltaChangeReader.streamable(plan, def.timeseriesKey().isPresent())) {
                    // One commit: its rows are classified as they are read and the updates copied meanwhile.
                    long maxChanges = live == null || live.totalRows() < 0 ? Long.MAX_VALUE
                            : (long) Math.floor(options.snapshotFraction() * live.totalRows());
                    long[] rowsRead = {0};
                    long expectedKeys = expectedRows(plan, live);
                    try {
                        IncrementalApplier.Applied applied = new IncrementalApplier(faults).applyStreamed(lock, def, synced, columns, added,
                                (updates, targetCompares) -> {
                                    NetChanges rest = reader.readStreamed(plan, encoder, options.fold(), maxChanges, updates, targetCompares,
                                            expectedKeys);
                                    rowsRead[0] = rest.rowsRead();
                                    return rest;
                                }, latest.getVersion());
                        long t4 = System.nanoTime();
                        String phases = String.format("plan %d ms, list files %d ms, read %d rows and apply %d ms (%s; read: %s)",
                                (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, rowsRead[0], (t4 - t2) / 1_000_000, applied.phases(),
                                reader.lastStreamedStages());
                        return done(SyncOutcome.Mode.INCREMENTAL, synced.deltaVersion(), latest, applied.rows(), started,
                                "1 version(s) with data changes, read and applied at once; " + phases);
                    } catch (StreamedDiff.Abandoned e) {
                        if (e.tooManyChanges()) {
                            why = e.getMessage() + String.format(" of the table's %d (more than %.0f%%)", live.totalRows(),
                                    options.snapshotFraction() * 100);
                        } else {
                            LOG.infof("synced table %s: %s; refreshing it through the fold instead", def.name(), e.getMessage());
                        }
                    }
                }
                if (why == null) {
                    try (NetChanges changes = reader.read(plan, encoder, def.timeseriesKey().isPresent(), options.fold())) {
                        long t3 = System.nanoTime();
                        why = tooLargeAfterReading(changes, live);
                        if (why == null && changes.deletesUnderTimeseriesKey()) {
                            why = "rows were deleted from a table with a timeseries key";
                        }
                        if (why == null) {
                            IncrementalApplier.Applied applied = new IncrementalApplier(faults).apply(lock, def, synced, columns, added,
                                    changes, latest.getVersion());
                            long t4 = System.nanoTime();
                            String phases = String.format("plan %d ms, list files %d ms, read %d rows %d ms (fold %d ms)%s, apply %d ms (%s)",
                                    (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, changes.rowsRead(), (t3 - t2) / 1_000_000,
                                    reader.lastFoldMillis(),
                                    changes.partitionsFolded() > 1 ? " (folded in " + changes.partitionsFolded() + " partitions on disk)" : "",
                                    (t4 - t3) / 1_000_000, applied.phases());
                            return done(SyncOutcome.Mode.INCREMENTAL, synced.deltaVersion(), latest, applied.rows(), started,
                                    plan.versions().size() + " version(s) with data changes; " + phases);
                        }
                    }
                }
            } catch (ChangesUnavailableException e) {
                why = e.getMessage();
            }
        }
        long from = state.map(SyncState::deltaVersion).orElse(-1L);
        long rows = new SnapshotLoader(target, source, options.maxConnections(), fillFactor(), faults)
                .load(def, source.files(latest), columns);
        return done(SyncOutcome.Mode.SNAPSHOT, from, latest, rows, started, why);
    }

    /**
     * The identities of the synced columns: as recorded in the bookkeeping row, or — for a row written
     * before Tideline recorded them — as the schema of the synced version has them (an entry is
     * {@code null} for a column that schema lacks). {@code null} when that version can no longer be
     * loaded: names and types are then all that can be compared, and the change reader will find the
     * history gone too.
     */
    private List<String> syncedIdentities(SyncState synced) {
        if (synced.columnIds() != null) {
            return synced.columnIds();
        }
        StructType schema;
        try {
            schema = source.at(synced.deltaVersion()).getSchema();
        } catch (RuntimeException e) {
            LOG.warnf("synced table %s: the schema of synced version %d cannot be loaded (%s); columns are compared by name and type only",
                    def.name(), synced.deltaVersion(), e.getMessage());
            return null;
        }
        List<String> ids = new ArrayList<>();
        for (String name : synced.columnNames()) {
            ids.add(schema.indexOf(name) < 0 ? null : ColumnIdentity.of(schema.get(name)));
        }
        return ids;
    }

    /**
     * The seed's 10% rule, before any data file is read: only on tables large enough (64 MiB) that
     * file sizes say something about row counts — small files are mostly Parquet overhead.
     */
    private String tooLargeBeforeReading(ChangePlan plan, DeltaSource.SnapshotFiles live) {
        long bytes = plan.bytesToRead();
        if (live == null || live.totalBytes() < MIN_BYTES_FOR_SIZE_RULE || bytes <= options.snapshotFraction() * live.totalBytes()) {
            return null;
        }
        return String.format("the change reads %d of the table's %d bytes (more than %.0f%%)", bytes, live.totalBytes(),
                options.snapshotFraction() * 100);
    }

    /**
     * About how many rows a one-version change reads, from its bytes and the table's rows per byte
     * (file statistics): half of the bytes read, as a rewrite removes and adds about as much. {@code 0}
     * when the statistics do not say.
     */
    private static long expectedRows(ChangePlan plan, DeltaSource.SnapshotFiles live) {
        if (live == null || live.totalRows() < 0 || live.totalBytes() <= 0) {
            return 0;
        }
        return (long) (live.totalRows() * (plan.bytesToRead() / 2.0) / live.totalBytes());
    }

    /** The seed's 10% rule on rows: changed rows against the table's live rows (from file statistics). */
    private String tooLargeAfterReading(NetChanges changes, DeltaSource.SnapshotFiles live) {
        if (live == null || live.totalRows() < 0 || changes.size() <= options.snapshotFraction() * live.totalRows()) {
            return null;
        }
        return String.format("%d of the table's %d rows changed (more than %.0f%%)", changes.size(), live.totalRows(),
                options.snapshotFraction() * 100);
    }

    /**
     * The synced table was deleted: leave the Postgres table (seed 003: it stays until a user drops
     * it) but make it an ordinary table — the read-only trigger and the bookkeeping row go. Best
     * effort: the table may already be gone.
     */
    public void release() {
        try (Connection c = target.open()) {
            if (!TableDdl.bookkeepingExists(c)) {
                return;
            }
            c.setAutoCommit(false);
            if (exists(c)) {
                try (Statement s = c.createStatement()) {
                    s.execute("DROP TRIGGER IF EXISTS tideline_read_only ON " + def.target().quoted());
                }
            }
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM tideline.synced_tables WHERE synced_table_name = ?")) {
                ps.setString(1, def.name());
                ps.executeUpdate();
            }
            c.commit();
            LOG.infof("synced table %s deleted: syncing stopped, Postgres table %s left in place", def.name(), def.target());
        } catch (SQLException e) {
            LOG.warnf("synced table %s deleted, but releasing %s failed (%s); drop its trigger tideline_read_only by hand if you "
                    + "keep the table", def.name(), def.target(), e.getMessage());
        }
    }

    /**
     * Tables kept up to date by UPDATEs leave room on each page for them; a SNAPSHOT-policy table is
     * only ever replaced whole, so it is packed full.
     */
    private int fillFactor() {
        return def.policy() == SchedulingPolicy.SNAPSHOT ? 100 : options.fillFactor();
    }

    private String snapshotReason(boolean fullRefresh, Optional<SyncState> state, boolean tableExists) {
        if (state.isEmpty()) {
            return "first sync";
        }
        if (!tableExists) {
            return "the Postgres table was dropped; recreating it";
        }
        if (fullRefresh) {
            return "full refresh requested";
        }
        if (def.policy() == SchedulingPolicy.SNAPSHOT) {
            return "SNAPSHOT policy";
        }
        return null;
    }

    private SyncOutcome done(SyncOutcome.Mode mode, long from, Snapshot latest, long rows, long startedNanos, String reason) {
        long to = latest.getVersion();
        long commitMillis;
        try {
            commitMillis = latest.getTimestamp(source.engine());
        } catch (RuntimeException e) {
            commitMillis = -1; // informational only
        }
        SyncOutcome outcome = new SyncOutcome(mode, from, to, rows, Duration.ofNanos(System.nanoTime() - startedNanos), reason, commitMillis);
        if (mode != SyncOutcome.Mode.NONE) {
            LOG.infof("synced table %s: %s %d → %d, %d rows in %d ms (%s)", def.name(), mode, from, to, rows,
                    outcome.duration().toMillis(), reason);
        }
        return outcome;
    }

    /** Creates the database objects Tideline needs (once per syncer; again after a failure). */
    private void prepare(Connection c) throws SQLException {
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            // Concurrent CREATE ... IF NOT EXISTS of the same objects can still collide in the catalogs.
            s.execute("SELECT pg_advisory_xact_lock(hashtextextended('tideline.bookkeeping', 0))");
            Bookkeeping.ensure(c);
            if (!TableDdl.schemaExists(c, def.target().schema())) {
                if (!def.createDatabaseObjectsIfMissing()) {
                    throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                            "schema '" + def.target().schema() + "' does not exist in database '" + def.target().database() + "'",
                            "create it (CREATE SCHEMA " + TableId.quoteIdentifier(def.target().schema())
                                    + ") or set spec.create_database_objects_if_missing to true");
                }
                s.execute("CREATE SCHEMA IF NOT EXISTS " + TableId.quoteIdentifier(def.target().schema()));
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    /** Takes the per-table session lock for this connection's life. */
    private void lock(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(hashtextextended(?, 0))")) {
            ps.setString(1, lockKey());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    throw new TidelineException(TidelineException.Kind.RETRYABLE,
                            "another sync of " + def.name() + " is running (advisory lock held)",
                            "this sync is retried; if it persists, look for a second sync-service replica syncing the same table");
                }
            }
        }
    }

    /**
     * Releases the per-table lock before the connection closes: closing returns before the server
     * session ends, so a lock left to the session's end could still be held when the next sync of
     * this table (a moment later, another connection) tries to take it, and that sync would fail as
     * "another sync is running". Best effort: a broken connection's session ends anyway.
     */
    private void unlock(Connection c) {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_unlock(hashtextextended(?, 0))")) {
            ps.setString(1, lockKey());
            ps.execute();
        } catch (SQLException e) {
            LOG.debugf("synced table %s: releasing the advisory lock failed (%s); it goes with the session", def.name(), e.getMessage());
        }
    }

    /** The advisory lock key of this synced table, taken by {@link #lock} and released by {@link #unlock}. */
    private String lockKey() {
        return "tideline.synced:" + def.name();
    }

    private boolean exists(Connection c) throws SQLException {
        return TableDdl.exists(c, def.target().schema(), def.target().table());
    }
}
