package dev.tideline.gateway.snapshot;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.naming.IdentifierTokens;
import dev.tideline.core.naming.KvBuckets;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.core.naming.ResourceIds;
import dev.tideline.gateway.publish.JetStreamPublisher;
import dev.tideline.gateway.publish.NatsKvCheckpointStore;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Stores {@link SnapshotProgress} in the checkpoints bucket, in records whose size does not grow with
 * the table (a NATS message, KV values included, is at most 1 MB by default):
 * <ul>
 *   <li>{@code snapshot.<gateway>.<schema-token>.<table-token>}, the <em>progress record</em>, rewritten
 *       after every chunk: the run, its state and counters, the plan's shape, and which chunks are done
 *       ({@link DoneChunks}: at most one bit per chunk, so at most about 167 KB at {@link SnapshotProgress#MAX_CHUNKS});</li>
 *   <li>a plan of evenly spaced bounds (block ranges, integer ranges) inside it as first bound, step and
 *       count ({@link StoredPlan.Steps});</li>
 *   <li>any other plan (key ranges) in <em>plan pages</em> of at most {@value #PAGE_BYTES} bytes of bounds,
 *       {@link KvKeys#snapshotPlanPage {@code <progress key>.plan.<snapshot-id>.<page>}}, written once by the
 *       run's first write, before its progress record, and never again.</li>
 * </ul>
 * A progress record therefore only ever names pages that exist; the pages of the run a new run replaces (a
 * full refresh) are deleted, by name, after the new run's record is written. Pages of a run that stopped before
 * its first record was written are left until the table's progress is deleted ({@link #delete}). A record written in the
 * single-record format of earlier versions (the whole plan and a flag per chunk) is still read, and the
 * run's next write converts it: a gateway upgraded mid-snapshot resumes the run.
 *
 * <p>One writer per table (its snapshot coordinator); last writer wins. Thread-safe. Creates the bucket if missing.
 */
public final class SnapshotProgressStore {

    private static final Logger LOG = Logger.getLogger(SnapshotProgressStore.class);
    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** The paged format; records without {@code format} are the single-record format of earlier versions. */
    static final int FORMAT = 2;
    /** A plan page's bounds, in JSON bytes: a quarter of NATS' default max payload, so a page never comes near it. */
    static final int PAGE_BYTES = 256 * 1024;
    /** A longer error is cut: the progress record must stay small whatever a driver's message holds. */
    static final int MAX_ERROR_CHARS = 2000;

    /**
     * The progress record.
     *
     * @param chunks how many chunks the plan has
     * @param plan   where its bounds are
     * @param done   {@link DoneChunks}' text
     */
    @RegisterForReflection
    record Head(int format, String gatewayId, String schema, String table, String snapshotId, String state, boolean begun, int chunks,
                PlanRef plan, String done, int nextRead, long rows, String lastError, String updatedAt, long planFile) {
    }

    /** Steps ({@code first}, {@code step}: {@code chunks - 1} bounds) or {@code pages} pages of bounds (0 for one chunk). */
    @RegisterForReflection
    record PlanRef(Long first, Long step, Integer pages) {
    }

    /** One plan page: bounds {@code first …} of run {@code snapshotId}. */
    @RegisterForReflection
    record Page(String snapshotId, int first, List<List<String>> bounds) {
    }

    private final Connection nats;
    private final String gatewayId;
    /** Per table, the run whose plan this store wrote or read, and where it is: later writes of that run write the record only. */
    private final Map<TableId, StoredRun> stored = new ConcurrentHashMap<>();

    private record StoredRun(String snapshotId, PlanRef plan) {
    }

    public SnapshotProgressStore(Connection nats, String gatewayId) {
        this.nats = nats;
        this.gatewayId = ResourceIds.requireValid("gateway id", gatewayId);
        new NatsKvCheckpointStore(nats).ensureBucket();
    }

    /** The KV key of a table's progress record. */
    public static String key(String gatewayId, TableId table) {
        return KvKeys.snapshotProgress(gatewayId, table);
    }

    /**
     * The table's progress, if any. Empty too when the record names plan pages that are gone (someone
     * deleted keys by hand): the table's snapshot then starts over, which is logged.
     */
    public Optional<SnapshotProgress> read(TableId table) {
        try {
            KeyValue kv = bucket();
            KeyValueEntry entry = kv.get(key(gatewayId, table));
            if (entry == null || entry.getValue() == null || entry.getValue().length == 0) {
                return Optional.empty();
            }
            JsonNode node = JSON.readTree(entry.getValue());
            if (!node.has("format")) {
                SnapshotProgress p = JSON.treeToValue(node, SnapshotProgress.class);
                LOG.infof("snapshot %s of %s: progress in the single-record format of an earlier version (%d chunks); the run resumes "
                        + "and its next write stores it paged", p.snapshotId(), table, p.chunks() == null ? 0 : p.chunks().size());
                return Optional.of(p);
            }
            Head h = JSON.treeToValue(node, Head.class);
            if (h.format() != FORMAT) {
                throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, "the snapshot progress of " + table + " (key "
                        + key(gatewayId, table) + ") has format " + h.format() + ", which this gateway does not know",
                        "run the gateway version that wrote it, or run a full refresh of the table");
            }
            List<List<String>> bounds = bounds(kv, table, h);
            if (bounds == null) {
                return Optional.empty();
            }
            stored.put(table, new StoredRun(h.snapshotId(), h.plan()));
            return Optional.of(new SnapshotProgress(h.gatewayId(), h.schema(), h.table(), h.snapshotId(), h.state(), h.begun(),
                    StoredPlan.chunks(bounds), DoneChunks.decode(h.done(), h.chunks()), h.nextRead(), h.rows(), h.lastError(),
                    h.updatedAt(), h.planFile()));
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            throw JetStreamPublisher.wrap("read snapshot progress of " + table, e); // a TidelineException passes as it is
        }
    }

    /**
     * Stores the progress. The first write of a run (in this store) writes its plan first, then the
     * record, then deletes the plan pages of the run it replaces (by name); later ones write the record only.
     */
    public void write(SnapshotProgress progress) {
        TableId table = progress.tableId();
        try {
            KeyValue kv = bucket();
            StoredRun previous = stored.get(table);
            StoredRun run = previous;
            boolean first = run == null || !run.snapshotId().equals(progress.snapshotId());
            if (first) {
                if (previous == null) {
                    previous = recordedRun(kv, table); // a run this store never read: a full refresh replaces it
                }
                run = new StoredRun(progress.snapshotId(), writePlan(kv, table, progress));
            }
            kv.put(key(gatewayId, table), JSON.writeValueAsBytes(head(progress, run.plan())));
            if (first) {
                stored.put(table, run);
                if (previous != null) {
                    deleteRunPages(kv, table, previous);
                }
            }
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            throw JetStreamPublisher.wrap("write snapshot progress of " + table, e);
        }
    }

    /** Forgets a table's progress — its record and every plan page — so that its next snapshot starts over. */
    public void delete(TableId table) {
        try {
            KeyValue kv = bucket();
            stored.remove(table);
            kv.delete(key(gatewayId, table));
            deleteAllPages(kv, table);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            throw JetStreamPublisher.wrap("delete snapshot progress of " + table, e);
        }
    }

    /**
     * Forgets the progress of every table of this gateway not among {@code tables} (tables that left the
     * pipeline): should one come back, its changes in between were never streamed, so it must be
     * snapshotted again rather than found DONE. Call before any snapshot of the gateway runs.
     *
     * @return the tables forgotten
     */
    public List<TableId> forgetAllBut(java.util.Collection<TableId> tables) {
        try {
            KeyValue kv = bucket();
            java.util.Set<TableId> kept = java.util.Set.copyOf(tables);
            List<TableId> forgotten = new ArrayList<>();
            for (String key : kv.keys(KvKeys.snapshotProgressAll(gatewayId))) {
                String[] parts = key.split("\\.");
                TableId table;
                try {
                    table = TableId.of(IdentifierTokens.decode(parts[2]), IdentifierTokens.decode(parts[3]));
                } catch (IllegalArgumentException e) {
                    continue; // not a key this store wrote: none of its business
                }
                if (!kept.contains(table)) {
                    delete(table);
                    forgotten.add(table);
                }
            }
            return forgotten;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw JetStreamPublisher.wrap("list the snapshot progress of gateway " + gatewayId, e);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            throw JetStreamPublisher.wrap("list the snapshot progress of gateway " + gatewayId, e);
        }
    }

    private static Head head(SnapshotProgress p, PlanRef plan) {
        String error = p.lastError() == null || p.lastError().length() <= MAX_ERROR_CHARS ? p.lastError()
                : p.lastError().substring(0, MAX_ERROR_CHARS) + "…";
        return new Head(FORMAT, p.gatewayId(), p.schema(), p.table(), p.snapshotId(), p.state(), p.begun(), p.chunks().size(), plan,
                DoneChunks.encode(p.done()), p.nextRead(), p.rows(), error, p.updatedAt(), p.planFile());
    }

    private PlanRef writePlan(KeyValue kv, TableId table, SnapshotProgress p) throws IOException, JetStreamApiException {
        List<List<String>> bounds = StoredPlan.bounds(p.chunks());
        Optional<StoredPlan.Steps> steps = StoredPlan.Steps.of(bounds);
        if (steps.isPresent()) {
            return new PlanRef(steps.get().first(), steps.get().step(), null);
        }
        List<List<List<String>>> pages = StoredPlan.pages(bounds, PAGE_BYTES, SnapshotProgressStore::jsonBytes);
        int first = 0;
        for (int i = 0; i < pages.size(); i++) {
            kv.put(KvKeys.snapshotPlanPage(gatewayId, table, p.snapshotId(), i), JSON.writeValueAsBytes(new Page(p.snapshotId(), first,
                    pages.get(i))));
            first += pages.get(i).size();
        }
        return new PlanRef(null, null, pages.size());
    }

    /** The plan's bounds; null (logged) when a page is missing or does not fit the record. */
    private List<List<String>> bounds(KeyValue kv, TableId table, Head h) throws IOException, JetStreamApiException {
        PlanRef plan = h.plan();
        if (plan.first() != null) {
            return new StoredPlan.Steps(plan.first(), plan.step(), h.chunks() - 1).bounds();
        }
        List<List<String>> bounds = new ArrayList<>(Math.max(0, h.chunks() - 1));
        for (int i = 0; i < plan.pages(); i++) {
            String key = KvKeys.snapshotPlanPage(gatewayId, table, h.snapshotId(), i);
            KeyValueEntry entry = kv.get(key);
            Page page = entry == null || entry.getValue() == null || entry.getValue().length == 0 ? null
                    : JSON.readValue(entry.getValue(), Page.class);
            if (page == null || !h.snapshotId().equals(page.snapshotId()) || page.first() != bounds.size()) {
                LOG.warnf("snapshot %s of %s: plan page %s is missing or does not follow the previous one; the table's snapshot starts over",
                        h.snapshotId(), table, key);
                return null;
            }
            bounds.addAll(page.bounds());
        }
        if (bounds.size() != h.chunks() - 1) {
            LOG.warnf("snapshot %s of %s: the plan pages hold %d bounds, the progress record expects %d; the table's snapshot starts over",
                    h.snapshotId(), table, bounds.size(), h.chunks() - 1);
            return null;
        }
        return bounds;
    }

    /** The run the table's progress record names now, or null (none, or a record of the single-record format). */
    private StoredRun recordedRun(KeyValue kv, TableId table) throws IOException, JetStreamApiException {
        KeyValueEntry entry = kv.get(key(gatewayId, table));
        if (entry == null || entry.getValue() == null || entry.getValue().length == 0) {
            return null;
        }
        JsonNode node = JSON.readTree(entry.getValue());
        if (!node.has("format")) {
            return null;
        }
        Head h = JSON.treeToValue(node, Head.class);
        return h.plan() == null ? null : new StoredRun(h.snapshotId(), h.plan());
    }

    /**
     * Deletes the plan pages of a run this store read or wrote, by name. Named rather than listed: listing keys
     * creates a consumer on the bucket's stream, and every table of a thousand-table snapshot starts a run.
     */
    private void deleteRunPages(KeyValue kv, TableId table, StoredRun run) throws IOException, JetStreamApiException {
        Integer pages = run.plan().pages();
        for (int i = 0; pages != null && i < pages; i++) {
            kv.delete(KvKeys.snapshotPlanPage(gatewayId, table, run.snapshotId(), i));
        }
    }

    /** Deletes every plan page of the table, whatever its run (listed: this also finds pages no record names). */
    private void deleteAllPages(KeyValue kv, TableId table) throws IOException, JetStreamApiException {
        List<String> keys;
        try {
            keys = kv.keys(KvKeys.snapshotPlanPages(gatewayId, table));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while listing plan pages", e);
        }
        for (String key : keys) {
            kv.delete(key);
        }
    }

    private static int jsonBytes(List<String> bound) {
        try {
            return JSON.writeValueAsBytes(bound).length;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private KeyValue bucket() throws IOException {
        return nats.keyValue(KvBuckets.CHECKPOINTS);
    }
}
