package dev.tideline.gateway.snapshot;

import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * How far the snapshot of one table got, as stored in the checkpoints bucket: the chunk plan,
 * which chunks are published and acknowledged, and the next chunk read number. A restarted
 * gateway continues from here and reads only the chunks not marked done. {@link SnapshotProgressStore}
 * stores the plan apart from the rest, once per run.
 *
 * @param snapshotId  the snapshot run; a full refresh starts a new one
 * @param state       RUNNING, DONE or FAILED
 * @param begun       whether SNAPSHOT_BEGIN was acknowledged
 * @param chunks      the plan, fixed for the run
 * @param done        per chunk, whether its rows were acknowledged by JetStream
 * @param nextRead    the next unused read number (each read of a chunk gets a fresh one; never reused)
 * @param rows        rows acknowledged so far
 * @param lastError   the error that stopped the last attempt, if any
 * @param updatedAt   when this record was written (ISO-8601)
 * @param planFile    for a plan of block ({@code ctid}) ranges, the table's file
 *                    ({@code pg_relation_filenode}) they number: a rewrite renumbers the blocks and
 *                    voids the plan; 0 for key ranges (and in records written before it existed)
 */
@RegisterForReflection
public record SnapshotProgress(String gatewayId, String schema, String table, String snapshotId, String state, boolean begun,
                               List<ChunkRange> chunks, List<Boolean> done, int nextRead, long rows, String lastError,
                               String updatedAt, long planFile) {

    public static final String RUNNING = "RUNNING";
    public static final String DONE = "DONE";
    public static final String FAILED = "FAILED";

    /**
     * The most chunks a table's snapshot plans: 32 TiB at the default 32 MiB chunks. The plan is stored
     * once, in pages of bounded size, but the record rewritten after every chunk holds one bit per chunk
     * (at most about 167 KB here, well under NATS' default 1 MB max payload; see {@link DoneChunks}).
     */
    public static final int MAX_CHUNKS = 1_000_000;

    public static SnapshotProgress start(String gatewayId, TableId table, String snapshotId, List<ChunkRange> chunks) {
        return start(gatewayId, table, snapshotId, chunks, 0);
    }

    /**
     * @param planFile the table's file the chunks' block ranges number (see the record), 0 for key ranges
     * @throws TidelineException (NEEDS_OPERATOR) for a plan of more than {@link #MAX_CHUNKS} chunks, naming the table
     *                           and the settings that make chunks larger
     */
    public static SnapshotProgress start(String gatewayId, TableId table, String snapshotId, List<ChunkRange> chunks, long planFile) {
        if (chunks.size() > MAX_CHUNKS) {
            throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, "the snapshot of " + table + " planned " + chunks.size()
                    + " chunks; its progress record holds at most " + MAX_CHUNKS,
                    "raise tideline.gateway.snapshot.chunk-bytes (and tideline.gateway.snapshot.rows-per-chunk if the table's rows are "
                            + "narrow) so that " + table + " fits in fewer, larger chunks; a chunk's rows are held in memory, so give "
                            + "the gateway heap for (parallelism + 1) × 1.5 × chunk-bytes");
        }
        List<Boolean> done = new ArrayList<>();
        chunks.forEach(c -> done.add(false));
        return new SnapshotProgress(gatewayId, table.schema(), table.name(), snapshotId, RUNNING, false, chunks, done, 0, 0, null,
                Instant.now().toString(), planFile);
    }

    public TableId tableId() {
        return TableId.of(schema, table);
    }

    public int chunksDone() {
        return (int) done.stream().filter(Boolean::booleanValue).count();
    }

    public boolean allChunksDone() {
        return chunksDone() == chunks.size();
    }

    public SnapshotProgress withBegun() {
        return new SnapshotProgress(gatewayId, schema, table, snapshotId, RUNNING, true, chunks, done, nextRead, rows, lastError,
                Instant.now().toString(), planFile);
    }

    public SnapshotProgress withRead(int read) {
        return new SnapshotProgress(gatewayId, schema, table, snapshotId, state, begun, chunks, done, Math.max(nextRead, read + 1), rows,
                lastError, Instant.now().toString(), planFile);
    }

    public SnapshotProgress withChunkDone(int chunk, long chunkRows) {
        List<Boolean> d = new ArrayList<>(done);
        d.set(chunk, true);
        return new SnapshotProgress(gatewayId, schema, table, snapshotId, state, begun, chunks, d, nextRead, rows + chunkRows, null,
                Instant.now().toString(), planFile);
    }

    public SnapshotProgress withState(String newState, String error) {
        return new SnapshotProgress(gatewayId, schema, table, snapshotId, newState, begun, chunks, done, nextRead, rows, error,
                Instant.now().toString(), planFile);
    }
}
