package dev.tideline.apply.stream;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.change.ChangeEvent.OldRowKind;
import dev.tideline.core.change.Row;
import dev.tideline.core.naming.Streams;
import dev.tideline.core.naming.Subjects;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.wire.BatchLimits;
import dev.tideline.core.wire.ChangeBatch;
import dev.tideline.core.wire.EncodedMessage;
import dev.tideline.core.wire.RowChange;
import dev.tideline.core.wire.RowsBatchBuilder;
import dev.tideline.core.wire.SnapshotBatchBuilder;
import dev.tideline.core.wire.WireCodec;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A test publisher standing in for the gateway: the gateway's stream (limits retention, file
 * storage, discard new) and real wire-format messages built with core's builders, batches cut small
 * so that transactions span several messages.
 */
public final class StagingStream implements AutoCloseable {

    /** One change of a table inside a transaction, or a TRUNCATE of it (change == null). */
    public record TableChange(RelationSchema schema, RowChange change) {
        static TableChange truncate(RelationSchema schema) {
            return new TableChange(schema, null);
        }
    }

    public final String gatewayId;
    private final String url;
    Connection connection;
    JetStream js;
    JetStreamManagement jsm;
    private final BatchLimits limits;
    private long lsn = 0x1_0000;

    public StagingStream(String url, String gatewayId) throws Exception {
        this(url, gatewayId, new BatchLimits(2048, 64 * 1024));
    }

    /** With the gateway's own message sizes ({@link BatchLimits#DEFAULT}), for benchmarks. */
    public StagingStream(String url, String gatewayId, BatchLimits limits) throws Exception {
        this.gatewayId = gatewayId;
        this.limits = limits;
        this.url = url;
        connect();
        jsm.addStream(StreamConfiguration.builder().name(Streams.changes(gatewayId)).subjects(Subjects.allChanges(gatewayId))
                .storageType(StorageType.File).retentionPolicy(RetentionPolicy.Limits).discardPolicy(DiscardPolicy.New)
                .duplicateWindow(Duration.ofMinutes(2)).build());
    }

    private void connect() throws Exception {
        connection = Nats.connect(new Options.Builder().server(url).maxReconnects(-1).reconnectWait(Duration.ofMillis(200)).build());
        js = connection.jetStream();
        jsm = connection.jetStreamManagement();
    }

    Lsn nextLsn() {
        lsn += 0x40 + (lsn % 7);
        return Lsn.of(lsn);
    }

    Lsn lastLsn() {
        return Lsn.of(lsn);
    }

    /**
     * Publishes one committed source transaction: per table, its changes in order (TRUNCATE as its
     * own message between them), cut into small ROWS messages; returns its commit LSN.
     */
    public Lsn transaction(List<TableChange> changes) throws Exception {
        Held held = transactionHoldingBack(changes, 0);
        return held.lsn();
    }

    /** A transaction whose last {@code messages} messages are not published yet ({@link #publishAll}). */
    public record Held(Lsn lsn, List<EncodedMessage> rest) {
    }

    /** Publishes a transaction except its last {@code heldBack} messages, returned for later. */
    public Held transactionHoldingBack(List<TableChange> changes, int heldBack) throws Exception {
        Lsn commit = nextLsn();
        Instant time = Instant.ofEpochSecond(1_700_000_000L, commit.value() % 1_000_000 * 1000);
        Map<TableId, List<TableChange>> perTable = new java.util.LinkedHashMap<>();
        for (TableChange c : changes) {
            perTable.computeIfAbsent(c.schema().table(), k -> new ArrayList<>()).add(c);
        }
        long ordinal = 0;
        List<EncodedMessage> out = new ArrayList<>();
        for (List<TableChange> tableChanges : perTable.values()) {
            RowsBatchBuilder builder = new RowsBatchBuilder(gatewayId, limits);
            int seq = 0;
            boolean open = false;
            for (int i = 0; i < tableChanges.size(); i++) {
                TableChange c = tableChanges.get(i);
                boolean lastOfTable = i == tableChanges.size() - 1;
                if (c.change() == null) {
                    if (open) {
                        out.add(builder.finish(false));
                        seq++;
                        open = false;
                    }
                    out.add(WireCodec.encode(gatewayId, new ChangeBatch.Truncate(commit, time, 9, seq++, lastOfTable, ordinal++,
                            c.schema().relationOid(), c.schema().table(), false, false)));
                    continue;
                }
                RowChange rc = c.change();
                RowChange numbered = new RowChange(rc.op(), ordinal++, rc.oldRowKind(), rc.oldRow(), rc.newRow());
                if (!open) {
                    builder.start(c.schema(), commit, time, 9, seq);
                    open = true;
                } else if (builder.isFull()) {
                    out.add(builder.finish(false));
                    builder.start(c.schema(), commit, time, 9, ++seq);
                }
                if (!builder.add(numbered)) {
                    out.add(builder.finish(false));
                    builder.start(c.schema(), commit, time, 9, ++seq);
                    builder.add(numbered);
                }
                if (lastOfTable) {
                    out.add(builder.finish(true));
                    open = false;
                }
            }
        }
        int publish = Math.max(0, out.size() - heldBack);
        publishAll(out.subList(0, publish));
        return new Held(commit, new ArrayList<>(out.subList(publish, out.size())));
    }

    /**
     * Publishes one transaction of one table whose changes are generated as they are published (never
     * all in memory), cut into messages by this stream's limits; returns its commit LSN.
     */
    public Lsn transaction(RelationSchema schema, java.util.Iterator<RowChange> changes) throws Exception {
        Lsn commit = nextLsn();
        Instant time = Instant.ofEpochSecond(1_700_000_000L, commit.value() % 1_000_000 * 1000);
        RowsBatchBuilder builder = new RowsBatchBuilder(gatewayId, limits);
        int seq = 0;
        long ordinal = 0;
        builder.start(schema, commit, time, 9, seq);
        RowChange next = changes.hasNext() ? changes.next() : null;
        while (next != null) {
            RowChange rc = new RowChange(next.op(), ordinal++, next.oldRowKind(), next.oldRow(), next.newRow());
            if (builder.isFull() || !builder.add(rc)) {
                publish(builder.finish(false));
                builder.start(schema, commit, time, 9, ++seq);
                builder.add(rc);
            }
            next = changes.hasNext() ? changes.next() : null;
        }
        publish(builder.finish(true));
        return commit;
    }

    public void publishAll(List<EncodedMessage> messages) throws Exception {
        for (EncodedMessage m : messages) {
            publish(m);
        }
    }

    /** Publishes the batches of one chunk read; {@code complete} false leaves out the last-in-chunk flag (a partial read). */
    int chunk(RelationSchema schema, String snapshotId, Lsn at, int read, List<Row> rows, boolean complete) throws Exception {
        SnapshotBatchBuilder builder = new SnapshotBatchBuilder(gatewayId, limits);
        int batch = 0;
        builder.start(schema, snapshotId, at, read, batch);
        for (Row row : rows) {
            if (builder.isFull() || !builder.add(row)) {
                publish(builder.finish(false));
                builder.start(schema, snapshotId, at, read, ++batch);
                builder.add(row);
            }
        }
        if (!builder.isEmpty()) {
            publish(builder.finish(complete));
        }
        return rows.size();
    }

    /** A snapshot of a table: BEGIN, batches (two interleaved chunks), DONE; valid at the current LSN. */
    Lsn snapshot(RelationSchema schema, String snapshotId, List<Row> rows) throws Exception {
        Lsn at = nextLsn();
        publish(WireCodec.encode(gatewayId, new ChangeBatch.SnapshotBegin(snapshotId, at, schema)));
        SnapshotBatchBuilder builder = new SnapshotBatchBuilder(gatewayId, limits);
        int chunks = rows.isEmpty() ? 0 : 2;
        for (int chunk = 0; chunk < chunks; chunk++) {
            List<Row> part = new ArrayList<>();
            for (int i = chunk; i < rows.size(); i += 2) {
                part.add(rows.get(i));
            }
            int batch = 0;
            builder.start(schema, snapshotId, at, chunk, batch);
            for (int i = 0; i < part.size(); i++) {
                if (builder.isFull() || !builder.add(part.get(i))) {
                    publish(builder.finish(false));
                    builder.start(schema, snapshotId, at, chunk, ++batch);
                    builder.add(part.get(i));
                }
            }
            publish(builder.finish(true));
        }
        publish(WireCodec.encode(gatewayId, new ChangeBatch.SnapshotDone(snapshotId, at, schema.table(), rows.size(), chunks)));
        return at;
    }

    /** Publishes, retrying (same Nats-Msg-Id, so a copy is dropped) while NATS restarts, as the gateway does. */
    void publish(EncodedMessage m) throws Exception {
        Headers headers = new Headers();
        m.headers().forEach(headers::put);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                js.publish(m.subject(), headers, m.body());
                return;
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(250);
                // After a server restart a reconnected client sometimes gets no JetStream answers: start afresh.
                try {
                    connection.close();
                    connect();
                } catch (Exception reconnect) {
                    // the server is still starting; the next round retries
                }
            }
        }
    }

    static TableChange insert(RelationSchema s, Row row) {
        return new TableChange(s, RowChange.insert(0, row));
    }

    static TableChange update(RelationSchema s, Row oldKey, Row row) {
        return new TableChange(s, oldKey == null ? RowChange.update(0, OldRowKind.NONE, null, row)
                : RowChange.update(0, OldRowKind.KEY, oldKey, row));
    }

    static TableChange delete(RelationSchema s, Row oldKey) {
        return new TableChange(s, RowChange.delete(0, OldRowKind.KEY, oldKey));
    }

    @Override
    public void close() throws InterruptedException {
        connection.close();
    }
}
