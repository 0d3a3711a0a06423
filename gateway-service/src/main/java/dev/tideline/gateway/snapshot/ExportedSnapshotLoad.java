package dev.tideline.gateway.snapshot;

import dev.tideline.core.postgres.SqlStates;
import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.wire.BatchLimits;
import dev.tideline.core.wire.ChangeBatch;
import dev.tideline.core.wire.EncodedMessage;
import dev.tideline.core.wire.EncodedRows;
import dev.tideline.core.wire.WireCodec;
import dev.tideline.gateway.publish.JetStreamPublisher;
import dev.tideline.gateway.source.postgres.PostgresReplicationSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import org.jboss.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.replication.ReplicationSlotInfo;

/**
 * The initial snapshot when the gateway creates the slot: {@code CREATE_REPLICATION_SLOT … LOGICAL
 * pgoutput EXPORT_SNAPSHOT} returns the slot's consistent point {@code P} and a snapshot that sees
 * exactly the transactions committed before {@code P}. Each reader imports it
 * ({@code SET TRANSACTION SNAPSHOT}) before the creating connection is closed, then the chunks of
 * every table are read in parallel and published as SNAPSHOT batches valid at {@code P} — before
 * the capture starts, so every streamed change (all commit after {@code P}) follows them on the
 * table's subject. No watermarks are needed.
 *
 * <p>Progress is stored like the watermark snapshot's, so a table whose load fails (or a gateway
 * that dies mid-load, after which the exported snapshot is gone) is finished by
 * {@link TableSnapshots} with watermarks, from the chunks not yet done.
 */
public final class ExportedSnapshotLoad {

    private static final Logger LOG = Logger.getLogger(ExportedSnapshotLoad.class);
    private static final java.time.Duration LOCK_TIMEOUT = java.time.Duration.ofSeconds(5);

    private final String gatewayId;
    private final SqlConnector pg;
    private final SnapshotProgressStore store;
    private final JetStreamPublisher publisher;
    private final BatchLimits limits;
    private final SnapshotSettings settings;

    public ExportedSnapshotLoad(String gatewayId, SqlConnector pg, SnapshotProgressStore store, JetStreamPublisher publisher, BatchLimits limits,
                                SnapshotSettings settings) {
        this.gatewayId = gatewayId;
        this.pg = pg;
        this.store = store;
        this.publisher = publisher;
        this.limits = limits;
        this.settings = settings;
    }

    /**
     * Creates the slot and loads the tables at its consistent point.
     *
     * @return the consistent point; tables not loaded completely stay RUNNING in their progress
     * @throws TidelineException when the slot cannot be created (nothing was published then)
     */
    public Lsn createSlotAndLoad(PostgresReplicationSource.Connector replication, String slotName, List<TableId> tables)
            throws InterruptedException {
        List<Connection> readers = new ArrayList<>();
        Lsn consistentPoint;
        try {
            try (Connection creator = replication.connect()) {
                ReplicationSlotInfo slot = creator.unwrap(PGConnection.class).getReplicationAPI().createReplicationSlot().logical()
                        .withSlotName(slotName).withOutputPlugin("pgoutput").make();
                consistentPoint = Lsn.of(slot.getConsistentPoint().asLong());
                // The exported snapshot lives only while the creating connection stays idle: import it everywhere first.
                int n = Math.max(1, settings.parallelism());
                for (int i = 0; i < n; i++) {
                    Connection c = pg.connect();
                    readers.add(c);
                    c.setAutoCommit(false);
                    c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                    try (Statement s = c.createStatement()) {
                        s.execute("SET TRANSACTION SNAPSHOT '" + slot.getSnapshotName().replace("'", "''") + "'");
                    }
                }
                LOG.infof("created slot %s at %s with exported snapshot %s; loading %d tables", slotName, consistentPoint,
                        slot.getSnapshotName(), tables.size());
            }
            load(readers, consistentPoint, tables);
            return consistentPoint;
        } catch (SQLException e) {
            throw new TidelineException(SqlStates.kind(e.getSQLState()),
                    "create slot " + slotName + " with an exported snapshot failed: " + e.getMessage() + SqlStates.describe(e.getSQLState()),
                    "check max_replication_slots and that the role has REPLICATION; an existing slot is used as is", e);
        } finally {
            for (Connection c : readers) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // the snapshot transaction only read
                }
            }
        }
    }

    private record Work(TableId table, int chunk) {
    }

    private void load(List<Connection> readers, Lsn at, List<TableId> tables) throws SQLException, InterruptedException {
        Map<TableId, SourceTable> sources = new LinkedHashMap<>();
        Map<TableId, SnapshotProgress> progress = new LinkedHashMap<>();
        ConcurrentLinkedQueue<Work> work = new ConcurrentLinkedQueue<>();
        Map<TableId, Integer> chunkBytes = new java.util.concurrent.ConcurrentHashMap<>(); // per table, the next chunk's buffer size
        Connection planner = readers.get(0);
        for (TableId table : tables) {
            try {
                SourceTable source = SourceTable.load(planner, table, settings.publication());
                lockUnchangedSince(readers, source);
                String id = "x" + Long.toString(System.currentTimeMillis(), 36) + "-"
                        + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 30), 36);
                // Block ranges number the file locked unchanged above; a watermark run finishing them checks it is still that file.
                SnapshotProgress p = SnapshotProgress.start(gatewayId, table, id, ChunkPlanner.plan(planner, source, settings),
                        source.chunkedByCtid() ? TableSnapshot.relationFile(planner, table) : 0);
                await(publish(WireCodec.encode(gatewayId, new ChangeBatch.SnapshotBegin(id, at, source.schema()))));
                p = p.withBegun();
                store.write(p);
                sources.put(table, source);
                progress.put(table, p);
                for (int i = 0; i < p.chunks().size(); i++) {
                    work.add(new Work(table, i));
                }
            } catch (TidelineException e) {
                LOG.warnf("table %s is not loaded from the exported snapshot (%s); its snapshot runs with watermarks", table, e.getMessage());
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(readers.size());
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Connection reader : readers) {
                futures.add(pool.submit(() -> {
                    Work w;
                    while ((w = work.poll()) != null) {
                        SnapshotProgress p;
                        int read;
                        synchronized (progress) {
                            p = progress.get(w.table());
                            if (p == null) {
                                continue; // the table failed
                            }
                            read = p.nextRead();
                            p = p.withRead(read);
                            progress.put(w.table(), p);
                            store.write(p);
                        }
                        try {
                            EncodedRows rows = ChunkReader.read(reader, sources.get(w.table()), p.chunks().get(w.chunk()),
                                    chunkBytes.getOrDefault(w.table(), 0));
                            chunkBytes.merge(w.table(), ChunkReader.bufferHint(rows), Math::max);
                            publishChunk(p.snapshotId(), at, read, rows);
                            synchronized (progress) {
                                SnapshotProgress done = progress.get(w.table()).withChunkDone(w.chunk(), rows.size());
                                progress.put(w.table(), done);
                                store.write(done);
                            }
                        } catch (SQLException | RuntimeException e) {
                            LOG.warnf("table %s: chunk %d failed in the exported snapshot (%s); the table finishes with watermarks",
                                    w.table(), w.chunk(), e.toString());
                            synchronized (progress) {
                                progress.remove(w.table());
                            }
                            if (e instanceof SQLException) {
                                return null; // this reader's transaction is unusable
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    LOG.warn("an exported-snapshot reader failed", e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        for (Map.Entry<TableId, SnapshotProgress> e : progress.entrySet()) {
            SnapshotProgress p = e.getValue();
            if (p.allChunksDone()) {
                await(publish(WireCodec.encode(gatewayId, new ChangeBatch.SnapshotDone(p.snapshotId(), at, e.getKey(), p.rows(), p.nextRead()))));
                store.write(p.withState(SnapshotProgress.DONE, null));
                LOG.infof("snapshot %s of %s loaded at %s: %d rows", p.snapshotId(), e.getKey(), at, p.rows());
            }
        }
    }

    /**
     * Locks the table in every reader's transaction, so that no ALTER TABLE can change it while it is
     * read, and refuses it when it was rewritten (ALTER COLUMN TYPE, VACUUM FULL, …) after the
     * exported snapshot was taken: the rewritten rows carry the rewriting transaction's id, so the
     * exported snapshot would see the table empty. Such a table is finished with watermarks.
     * ({@code pg_class} read with SQL is as of the snapshot; {@code pg_relation_filenode} is current.)
     */
    private static void lockUnchangedSince(List<Connection> readers, SourceTable source) throws SQLException {
        for (Connection reader : readers) {
            // Bounded, and behind a savepoint: an ALTER TABLE queued behind one reader's lock would
            // block the next reader's LOCK until the load ends, which waits for that reader. A
            // timeout rolls back to the savepoint, so the reader's exported snapshot stays usable.
            try (Statement s = reader.createStatement()) {
                s.execute("SAVEPOINT tideline_lock");
                s.execute("SET LOCAL lock_timeout = '" + LOCK_TIMEOUT.toMillis() + "ms'");
                try {
                    s.execute("LOCK TABLE " + source.id().quoted() + " IN ACCESS SHARE MODE");
                } catch (SQLException e) {
                    s.execute("ROLLBACK TO SAVEPOINT tideline_lock");
                    throw new TidelineException(TidelineException.Kind.RETRYABLE, "table " + source.id() + " could not be locked within "
                            + LOCK_TIMEOUT.toSeconds() + " s for the exported snapshot: " + e.getMessage(),
                            "nothing to do: its snapshot runs with watermarks while streaming", e);
                }
                s.execute("RELEASE SAVEPOINT tideline_lock");
            }
        }
        try (Statement s = readers.get(0).createStatement(); java.sql.ResultSet rs = s.executeQuery(
                "SELECT c.relfilenode = pg_relation_filenode(c.oid) OR c.relkind = 'p' FROM pg_class c WHERE c.oid = "
                        + Integer.toUnsignedString(source.schema().relationOid()))) {
            if (!rs.next() || !rs.getBoolean(1)) {
                throw new TidelineException(TidelineException.Kind.RETRYABLE, "table " + source.id()
                        + " was rewritten or dropped after the slot's exported snapshot was taken",
                        "nothing to do: its snapshot runs with watermarks while streaming");
            }
        }
    }

    private void publishChunk(String snapshotId, Lsn at, int read, EncodedRows rows) throws InterruptedException {
        List<CompletableFuture<?>> acks = new ArrayList<>();
        SnapshotBatches.encode(gatewayId, limits, snapshotId, at, read, rows, m -> acks.add(publish(m)));
        await(CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)));
    }

    private CompletableFuture<?> publish(EncodedMessage message) throws InterruptedException {
        synchronized (publisher) { // the publisher takes one publishing thread at a time
            return publisher.publish(message);
        }
    }

    private static void await(CompletableFuture<?> future) throws InterruptedException {
        try {
            future.get();
        } catch (ExecutionException e) {
            throw JetStreamPublisher.wrap("publish the snapshot", e.getCause());
        }
    }
}
