package dev.tideline.gateway.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.OrderingKey;
import dev.tideline.core.TableId;
import dev.tideline.core.change.Row;
import dev.tideline.core.naming.Streams;
import dev.tideline.core.naming.Subjects;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.value.UnchangedToast;
import dev.tideline.core.wire.ChangeBatch;
import dev.tideline.core.wire.RowChange;
import dev.tideline.core.wire.WireCodec;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.impl.Headers;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Test consumer following the consumer contract of docs/gateway.md to the letter: replays a
 * gateway's stream <em>in stream order</em> into one map per table (key = the schema's key columns)
 * — changes applied unless their ordering key is at or below the highest the table applied,
 * SNAPSHOT rows as upserts, and at SNAPSHOT_DONE the keys not written since SNAPSHOT_BEGIN removed.
 * Also checks the framing of every chunk read (batches 0..n, the last flagged).
 */
public final class StreamReconstructor {

    private static final class TableState {
        /** Values by column name: rows written before and after a schema change keep the shape they were written in. */
        final Map<List<Object>, Map<String, Object>> rows = new LinkedHashMap<>();
        OrderingKey applied;
        String activeSnapshot;
        Set<List<Object>> writtenSinceBegin;
    }

    private final Map<TableId, TableState> tables = new HashMap<>();
    private final Map<String, TreeMap<Integer, Boolean>> reads = new HashMap<>();
    public final Map<TableId, Integer> snapshotsDone = new HashMap<>();
    long snapshotRows;
    long messages;

    public static StreamReconstructor read(Connection nats, String gatewayId) throws IOException, JetStreamApiException, InterruptedException {
        StreamReconstructor r = new StreamReconstructor();
        r.readFrom(nats, gatewayId, 1);
        r.checkFraming();
        return r;
    }

    /**
     * Applies the stream's messages from sequence {@code from} up to its current last one, as a
     * consumer that keeps its state between reads would.
     *
     * @return the sequence to read from next time
     */
    public long readFrom(Connection nats, String gatewayId, long from) throws IOException, JetStreamApiException, InterruptedException {
        String stream = Streams.changes(gatewayId);
        long last = nats.jetStreamManagement().getStreamInfo(stream).getStreamState().getLastSequence();
        if (last < from) {
            return from;
        }
        JetStream js = nats.jetStream();
        JetStreamSubscription sub = js.subscribe(Subjects.allChanges(gatewayId), PullSubscribeOptions.builder().stream(stream)
                .configuration(ConsumerConfiguration.builder().ackPolicy(AckPolicy.None).deliverPolicy(DeliverPolicy.ByStartSequence)
                        .startSequence(from).build()).build());
        long next = from;
        try {
            while (next <= last) {
                List<Message> batch = sub.fetch(1000, Duration.ofSeconds(2));
                assertTrue(!batch.isEmpty(), "stream " + stream + " ends at " + last + " but only messages before " + next + " arrived");
                for (Message m : batch) {
                    long seq = m.metaData().streamSequence();
                    assertTrue(seq >= next, "sequence " + seq + " after " + next);
                    messages++;
                    apply(WireCodec.decode(headers(m.getHeaders()), m.getData()));
                    next = seq + 1;
                }
            }
        } finally {
            sub.unsubscribe();
        }
        return next;
    }

    private void checkFraming() {
        for (Map.Entry<String, TreeMap<Integer, Boolean>> read : reads.entrySet()) {
            TreeMap<Integer, Boolean> batches = read.getValue();
            for (int b = 0; b < batches.size(); b++) {
                assertTrue(batches.containsKey(b), "chunk read " + read.getKey() + " misses batch " + b + ": " + batches.keySet());
            }
        }
    }

    /** An empty consumer state, for {@link #readFrom}. */
    public static StreamReconstructor empty() {
        return new StreamReconstructor();
    }

    private void apply(ChangeBatch batch) {
        if (batch instanceof ChangeBatch.Rows rows) {
            TableState t = table(rows.table());
            for (RowChange c : rows.changes()) {
                OrderingKey key = new OrderingKey(rows.commitLsn(), c.ordinal());
                if (t.applied != null && key.compareTo(t.applied) <= 0) {
                    continue; // a duplicate
                }
                t.applied = key;
                change(t, rows.schema(), c);
            }
        } else if (batch instanceof ChangeBatch.Truncate truncate) {
            TableState t = table(truncate.table());
            if (t.applied != null && truncate.key().compareTo(t.applied) <= 0) {
                return;
            }
            t.applied = truncate.key();
            t.rows.clear();
        } else if (batch instanceof ChangeBatch.SnapshotBegin begin) {
            TableState t = table(begin.table());
            if (!begin.snapshotId().equals(t.activeSnapshot)) {
                t.activeSnapshot = begin.snapshotId();
                t.writtenSinceBegin = new HashSet<>();
            }
        } else if (batch instanceof ChangeBatch.Snapshot snapshot) {
            TableState t = table(snapshot.table());
            int[] keys = keyColumns(snapshot.schema());
            for (Row row : snapshot.rows()) {
                List<Object> key = key(row, keys);
                t.rows.put(key, named(snapshot.schema(), row.values()));
                written(t, key);
                snapshotRows++;
            }
            TreeMap<Integer, Boolean> batches = reads.computeIfAbsent(snapshot.snapshotId() + "/" + snapshot.chunk(), k -> new TreeMap<>());
            assertEquals(null, batches.put(snapshot.batch(), snapshot.lastInChunk()), "batch " + snapshot.batch() + " twice");
        } else if (batch instanceof ChangeBatch.SnapshotDone done) {
            TableState t = table(done.table());
            if (done.snapshotId().equals(t.activeSnapshot)) {
                t.rows.keySet().removeIf(k -> !t.writtenSinceBegin.contains(k));
                t.activeSnapshot = null;
                t.writtenSinceBegin = null;
                snapshotsDone.merge(done.table(), 1, Integer::sum);
            }
        }
    }

    private void change(TableState t, RelationSchema schema, RowChange c) {
        int[] keys = keyColumns(schema);
        switch (c.op()) {
            case INSERT -> {
                List<Object> key = key(c.newRow(), keys);
                t.rows.put(key, named(schema, c.newRow().values()));
                written(t, key);
            }
            case UPDATE -> {
                List<Object> newKey = key(c.newRow(), keys);
                List<Object> oldKey = c.oldRow() == null ? newKey : key(c.oldRow(), keys);
                Map<String, Object> previous = t.rows.remove(oldKey);
                Map<String, Object> values = named(schema, c.newRow().values());
                for (Map.Entry<String, Object> e : values.entrySet()) {
                    if (e.getValue() == UnchangedToast.VALUE) {
                        e.setValue(previous == null ? null : previous.get(e.getKey()));
                    }
                }
                t.rows.put(newKey, values);
                written(t, newKey);
            }
            case DELETE -> t.rows.remove(key(c.oldRow(), keys));
        }
    }

    private static Map<String, Object> named(RelationSchema schema, List<Object> values) {
        Map<String, Object> named = new LinkedHashMap<>();
        for (int i = 0; i < values.size(); i++) {
            named.put(schema.column(i).name(), values.get(i));
        }
        return named;
    }

    private static void written(TableState t, List<Object> key) {
        if (t.writtenSinceBegin != null) {
            t.writtenSinceBegin.add(key);
        }
    }

    private TableState table(TableId table) {
        return tables.computeIfAbsent(table, k -> new TableState());
    }

    private static int[] keyColumns(RelationSchema schema) {
        int[] keys = java.util.stream.IntStream.range(0, schema.columnCount()).filter(i -> schema.column(i).key()).toArray();
        return keys.length == 0 ? java.util.stream.IntStream.range(0, schema.columnCount()).toArray() : keys;
    }

    private static List<Object> key(Row row, int[] keys) {
        List<Object> key = new ArrayList<>();
        for (int k : keys) {
            Object v = row.get(k);
            key.add(v instanceof byte[] b ? java.nio.ByteBuffer.wrap(b) : v);
        }
        return key;
    }

    /** How many rows the consumer holds for the table, under whatever keys they were written. */
    public int size(TableId table) {
        TableState t = tables.get(table);
        return t == null ? 0 : t.rows.size();
    }

    /** The rows of a table keyed by its first column, as decoded (values are the wire's Java types). */
    public Map<Object, List<Object>> rows(TableId table) {
        return byFirstColumn(table);
    }

    /** The table keyed by its first column, as {@link ChangeStreamReplica#sourceRows} keys the source. */
    public Map<Object, List<Object>> byFirstColumn(TableId table) {
        Map<Object, List<Object>> out = new HashMap<>();
        TableState t = tables.get(table);
        if (t != null) {
            t.rows.values().forEach(v -> {
                List<Object> values = new ArrayList<>(v.values());
                out.put(values.get(0), values);
            });
        }
        return out;
    }

    /**
     * The table keyed by its first column, each row by column name, in the shape it was last written
     * in (a row untouched since a column was added lacks it; one untouched since a column was dropped
     * still has it), as a consumer that evolves its table by column name holds it.
     */
    public Map<Object, Map<String, Object>> byFirstColumnNamed(TableId table) {
        Map<Object, Map<String, Object>> out = new HashMap<>();
        TableState t = tables.get(table);
        if (t != null) {
            t.rows.values().forEach(v -> out.put(v.values().iterator().next(), v));
        }
        return out;
    }

    private static Map<String, String> headers(Headers headers) {
        Map<String, String> map = new HashMap<>();
        if (headers != null) {
            for (String key : headers.keySet()) {
                map.put(key, headers.getFirst(key));
            }
        }
        return map;
    }
}
