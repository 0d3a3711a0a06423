package dev.tideline.gateway.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tideline.core.TableId;
import dev.tideline.core.naming.KvBuckets;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.WithNats;
import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.nats.client.Nats;
import io.nats.client.api.KeyValueEntry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link SnapshotProgressStore} against a real nats-server: plans of tens of thousands of chunks are
 * stored in values far below NATS' 1 MB default max payload, written once per run, and read back
 * exactly by a restarted gateway; records of the earlier single-record format are still read; a new
 * run and {@link SnapshotProgressStore#delete} leave no page behind.
 */
@WithNats
class SnapshotProgressStoreIT {

    private static final String GATEWAY = "progressgw";
    /** NATS' default max_payload: every value the store puts must fit in it. */
    private static final int ONE_MB = 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** 50,000 irregular two-column key ranges (text of varying length, then an integer), as {@link ChunkPlanner#plan} returns them. */
    private static List<ChunkRange> keyPlan(int chunks, long seed) {
        Random random = new Random(seed);
        List<List<String>> bounds = new ArrayList<>();
        for (int i = 1; i < chunks; i++) {
            String text = String.format("customer-%06d-", i) + Long.toString(random.nextLong() & Long.MAX_VALUE, 36).repeat(1 + random.nextInt(3))
                    + " \"quoted\" ü\\";
            bounds.add(List.of(text, Integer.toString(random.nextInt())));
        }
        return StoredPlan.chunks(bounds);
    }

    /** Every value of the table's progress (its record and its plan pages), by key. */
    private static Map<String, KeyValueEntry> values(KeyValue kv, TableId table) throws Exception {
        Map<String, KeyValueEntry> out = new HashMap<>();
        KeyValueEntry head = kv.get(SnapshotProgressStore.key(GATEWAY, table));
        if (head != null) {
            out.put(head.getKey(), head);
        }
        for (String key : kv.keys(KvKeys.snapshotPlanPages(GATEWAY, table))) {
            out.put(key, kv.get(key));
        }
        return out;
    }

    private static int largest(Map<String, KeyValueEntry> values) {
        return values.values().stream().mapToInt(e -> e.getValue().length).max().orElse(0);
    }

    @Test
    void aPlanOf50000KeyRangesIsStoredInValuesUnder1MbWrittenOnceAndReadBackAfterARestart(NatsServer nats) throws Exception {
        TableId table = TableId.of("public", "events");
        List<ChunkRange> plan = keyPlan(50_000, 1);
        SnapshotProgress progress = SnapshotProgress.start(GATEWAY, table, "s50k-1", plan);
        assertTrue(JSON.writeValueAsBytes(progress).length > ONE_MB,
                "the single record of earlier versions would not fit: " + JSON.writeValueAsBytes(progress).length + " bytes");
        Map<String, Long> pageRevisions = new HashMap<>();
        try (Connection client = Nats.connect(nats.url())) {
            SnapshotProgressStore store = new SnapshotProgressStore(client, GATEWAY); // creates the bucket
            KeyValue kv = client.keyValue(KvBuckets.CHECKPOINTS);
            store.write(progress.withBegun());
            progress = progress.withBegun();
            Map<String, KeyValueEntry> written = values(kv, table);
            assertTrue(written.size() > 2, "the plan takes several pages: " + written.keySet());
            assertTrue(largest(written) < ONE_MB, "largest value " + largest(written));
            written.forEach((k, e) -> {
                if (!k.equals(SnapshotProgressStore.key(GATEWAY, table))) {
                    pageRevisions.put(k, e.getRevision());
                }
            });
            assertTrue(kv.get(SnapshotProgressStore.key(GATEWAY, table)).getValue().length < 2048, "the record holds no plan");

            // Chunks finish about in order, a few out of it; each one writes the record (a read number, then done).
            Random random = new Random(2);
            for (int i = 0; i < 2_000; i++) {
                int chunk = i < 1_500 ? i : random.nextInt(plan.size());
                progress = progress.withRead(progress.nextRead());
                store.write(progress);
                progress = progress.withChunkDone(chunk, 100);
                store.write(progress);
            }
            Map<String, KeyValueEntry> after = values(kv, table);
            assertEquals(written.keySet(), after.keySet());
            pageRevisions.forEach((k, revision) -> assertEquals(revision, after.get(k).getRevision(), "page rewritten: " + k));
            assertTrue(largest(after) < ONE_MB, "largest value " + largest(after));
        }
        try (Connection restarted = Nats.connect(nats.url())) {
            SnapshotProgress read = new SnapshotProgressStore(restarted, GATEWAY).read(table).orElseThrow();
            assertEquals(progress.snapshotId(), read.snapshotId());
            assertEquals(plan, read.chunks(), "the same plan");
            assertEquals(progress.done(), read.done(), "the same chunks done");
            assertEquals(progress.chunksDone(), read.chunksDone());
            assertEquals(2_000, read.nextRead());
            assertEquals(progress.rows(), read.rows());
            assertTrue(read.begun());
            assertEquals(SnapshotProgress.RUNNING, read.state());
        }
    }

    @Test
    void everyOtherChunkDoneOfTheLargestPlanStillFitsTheRecord(NatsServer nats) throws Exception {
        TableId table = TableId.of("public", "widest");
        List<List<String>> bounds = new ArrayList<>();
        for (long b = 7; bounds.size() < SnapshotProgress.MAX_CHUNKS - 1; b += 7) {
            bounds.add(List.of(Long.toString(b)));
        }
        List<ChunkRange> plan = StoredPlan.chunks(bounds); // block ranges: stored as first, step, count
        SnapshotProgress progress = SnapshotProgress.start(GATEWAY, table, "smax", plan, 42);
        List<Boolean> done = new ArrayList<>(progress.done());
        for (int i = 0; i < done.size(); i += 2) {
            done.set(i, true); // the worst case for runs: a bitset is written
        }
        progress = new SnapshotProgress(GATEWAY, table.schema(), table.name(), "smax", SnapshotProgress.FAILED, true, plan, done, 7, 9,
                "x".repeat(1_000_000), progress.updatedAt(), 42);
        try (Connection client = Nats.connect(nats.url())) {
            SnapshotProgressStore store = new SnapshotProgressStore(client, GATEWAY); // creates the bucket
            KeyValue kv = client.keyValue(KvBuckets.CHECKPOINTS);
            store.write(progress);
            Map<String, KeyValueEntry> values = values(kv, table);
            assertEquals(1, values.size(), "no pages: " + values.keySet());
            assertTrue(largest(values) < 200_000, "largest value " + largest(values));
            SnapshotProgress read = new SnapshotProgressStore(client, GATEWAY).read(table).orElseThrow();
            assertEquals(plan, read.chunks());
            assertEquals(done, read.done());
            assertEquals(42, read.planFile());
            assertEquals(SnapshotProgressStore.MAX_ERROR_CHARS + 1, read.lastError().length(), "a long error is cut");
        }
    }

    @Test
    void aRecordOfTheSingleRecordFormatIsReadAndItsRunContinuesPaged(NatsServer nats) throws Exception {
        TableId table = TableId.of("sales", "orders");
        SnapshotProgress old = SnapshotProgress.start(GATEWAY, table, "sold-1", keyPlan(40, 3)).withBegun().withRead(0).withRead(1)
                .withChunkDone(0, 10).withChunkDone(3, 12);
        ObjectNode legacy = JSON.valueToTree(old);
        legacy.remove("planFile"); // as records written before it existed
        try (Connection client = Nats.connect(nats.url())) {
            SnapshotProgressStore store = new SnapshotProgressStore(client, GATEWAY); // creates the bucket
            KeyValue kv = client.keyValue(KvBuckets.CHECKPOINTS);
            kv.put(SnapshotProgressStore.key(GATEWAY, table), JSON.writeValueAsBytes(legacy)); // what the earlier store wrote
            SnapshotProgress read = store.read(table).orElseThrow();
            assertEquals(old, read, "read as written");

            SnapshotProgress next = read.withChunkDone(5, 7);
            store.write(next);
            assertEquals(SnapshotProgressStore.FORMAT, JSON.readTree(kv.get(SnapshotProgressStore.key(GATEWAY, table)).getValue())
                    .get("format").asInt(), "converted on its next write");
            assertEquals(1, kv.keys(KvKeys.snapshotPlanPages(GATEWAY, table)).size());
            SnapshotProgress again = new SnapshotProgressStore(client, GATEWAY).read(table).orElseThrow();
            assertEquals(old.snapshotId(), again.snapshotId(), "the same run");
            assertEquals(old.chunks(), again.chunks());
            assertEquals(List.of(0, 3, 5), doneChunks(again));
            assertEquals(29, again.rows());
            assertEquals(2, again.nextRead());
        }
    }

    @Test
    void aNewRunDeletesTheOldRunsPagesAndDeleteRemovesEveryKeyOfTheTableOnly(NatsServer nats) throws Exception {
        TableId table = TableId.of("public", "t");
        TableId neighbour = TableId.of("public", "t2");
        try (Connection client = Nats.connect(nats.url())) {
            SnapshotProgressStore store = new SnapshotProgressStore(client, GATEWAY); // creates the bucket
            KeyValue kv = client.keyValue(KvBuckets.CHECKPOINTS);
            store.write(SnapshotProgress.start(GATEWAY, neighbour, "sn", keyPlan(20_000, 5)));
            store.write(SnapshotProgress.start(GATEWAY, table, "sfirst", keyPlan(20_000, 6)));
            int neighbourKeys = values(kv, neighbour).size();
            assertTrue(kv.keys(KvKeys.snapshotPlanPages(GATEWAY, table)).size() > 1);

            SnapshotProgress refreshed = SnapshotProgress.start(GATEWAY, table, "ssecond", keyPlan(3, 7)); // a full refresh: a new run
            new SnapshotProgressStore(client, GATEWAY).write(refreshed);
            List<String> pages = kv.keys(KvKeys.snapshotPlanPages(GATEWAY, table));
            assertEquals(List.of(KvKeys.snapshotPlanPage(GATEWAY, table, "ssecond", 0)), pages);
            assertEquals(refreshed.chunks(), store.read(table).orElseThrow().chunks());

            kv.delete(pages.get(0)); // by hand: the record now names a page that is gone
            assertTrue(store.read(table).isEmpty(), "unusable progress reads as none: the snapshot starts over");

            store.delete(table);
            assertEquals(Map.of(), values(kv, table));
            assertEquals(neighbourKeys, values(kv, neighbour).size(), "another table's keys are kept");
            assertFalse(store.read(table).isPresent());
            assertNull(kv.get(SnapshotProgressStore.key(GATEWAY, table)));
        }
    }

    @Test
    void tablesThatLeftThePipelineAreForgottenWithAllTheirKeys(NatsServer nats) throws Exception {
        String gateway = "forgetgw";
        TableId stays = TableId.of("app", "stays");
        TableId left = TableId.of("app", "left.the pipeline");
        try (Connection client = Nats.connect(nats.url())) {
            SnapshotProgressStore store = new SnapshotProgressStore(client, gateway);
            KeyValue kv = client.keyValue(KvBuckets.CHECKPOINTS);
            store.write(SnapshotProgress.start(gateway, stays, "s1", keyPlan(20_000, 8)));
            store.write(SnapshotProgress.start(gateway, left, "s2", keyPlan(20_000, 9)).withState(SnapshotProgress.DONE, null));
            new SnapshotProgressStore(client, GATEWAY).write(SnapshotProgress.start(GATEWAY, left, "s3", keyPlan(3, 10))); // another gateway's
            assertTrue(kv.keys(KvKeys.snapshotPlanPages(gateway, left)).size() > 1);

            assertEquals(List.of(left), new SnapshotProgressStore(client, gateway).forgetAllBut(List.of(stays)));
            assertNull(kv.get(SnapshotProgressStore.key(gateway, left)));
            assertEquals(List.of(), kv.keys(KvKeys.snapshotPlanPages(gateway, left)));
            assertEquals(keyPlan(20_000, 8), store.read(stays).orElseThrow().chunks(), "a table of the pipeline is kept");
            assertTrue(new SnapshotProgressStore(client, GATEWAY).read(left).isPresent(), "another gateway's progress is kept");
            assertEquals(List.of(), store.forgetAllBut(List.of(stays)));
        }
    }

    private static List<Integer> doneChunks(SnapshotProgress p) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < p.done().size(); i++) {
            if (p.done().get(i)) {
                out.add(i);
            }
        }
        return out;
    }
}
