package dev.tideline.gateway.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.OrderingKey;
import dev.tideline.core.TableId;
import dev.tideline.core.naming.Streams;
import dev.tideline.core.naming.Subjects;
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
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Test consumer: reads a gateway's whole stream, checks the transaction framing (Txn-Seq without
 * gaps, exactly one Txn-Last per table and transaction), and rebuilds each table by applying the
 * changes in ordering-key order. Tables are keyed by their first column.
 */
public final class ChangeStreamReplica {

    /** One change or truncate of one table, at its ordering key. */
    private record Op(TableId table, OrderingKey key, RowChange change) {
    }

    final Map<TableId, Map<Object, List<Object>>> tables = new HashMap<>();
    /** (table, ordering key) pairs seen more than once: a duplicate that de-duplication missed. */
    final List<String> duplicates = new ArrayList<>();
    final List<ChangeBatch.Message> logicalMessages = new ArrayList<>();
    long messages;
    long rowChanges;

    static ChangeStreamReplica read(Connection nats, String gatewayId) throws IOException, JetStreamApiException, InterruptedException {
        ChangeStreamReplica replica = new ChangeStreamReplica();
        String stream = Streams.changes(gatewayId);
        long total = nats.jetStreamManagement().getStreamInfo(stream).getStreamState().getMsgCount();
        List<Op> ops = new ArrayList<>();
        Map<String, Map<Integer, Boolean>> framing = new HashMap<>(); // table@lsn -> txnSeq -> lastInTxn
        JetStream js = nats.jetStream();
        JetStreamSubscription sub = js.subscribe(Subjects.allChanges(gatewayId), PullSubscribeOptions.builder().stream(stream)
                .configuration(ConsumerConfiguration.builder().ackPolicy(AckPolicy.None).deliverPolicy(DeliverPolicy.All).build()).build());
        try {
            while (replica.messages < total) {
                List<Message> batch = sub.fetch(1000, Duration.ofSeconds(2));
                assertTrue(!batch.isEmpty(), "stream " + stream + " holds " + total + " messages but only " + replica.messages + " arrived");
                for (Message m : batch) {
                    replica.messages++;
                    ChangeBatch decoded = WireCodec.decode(headers(m.getHeaders()), m.getData());
                    if (decoded instanceof ChangeBatch.Rows rows) {
                        for (RowChange c : rows.changes()) {
                            ops.add(new Op(rows.table(), new OrderingKey(rows.commitLsn(), c.ordinal()), c));
                        }
                        frame(framing, rows.table() + "@" + rows.commitLsn(), rows.txnSeq(), rows.lastInTxn(), replica);
                    } else if (decoded instanceof ChangeBatch.Truncate t) {
                        ops.add(new Op(t.table(), t.key(), null));
                        frame(framing, t.table() + "@" + t.commitLsn(), t.txnSeq(), t.lastInTxn(), replica);
                    } else if (decoded instanceof ChangeBatch.Message msg) {
                        replica.logicalMessages.add(msg);
                    }
                }
            }
        } finally {
            sub.unsubscribe();
        }
        for (Map.Entry<String, Map<Integer, Boolean>> txn : framing.entrySet()) {
            Map<Integer, Boolean> seqs = txn.getValue();
            for (int seq = 0; seq < seqs.size(); seq++) {
                assertTrue(seqs.containsKey(seq), "missing Txn-Seq " + seq + " of " + txn.getKey() + ": " + seqs);
                assertEquals(seq == seqs.size() - 1, seqs.get(seq), "Txn-Last of message " + seq + " of " + txn.getKey());
            }
        }
        ops.sort(Comparator.comparing(Op::key));
        Set<String> seen = new HashSet<>();
        for (Op op : ops) {
            if (!seen.add(op.table() + "@" + op.key())) {
                replica.duplicates.add(op.table() + "@" + op.key());
                continue;
            }
            Map<Object, List<Object>> table = replica.tables.computeIfAbsent(op.table(), t -> new HashMap<>());
            RowChange c = op.change();
            if (c == null) {
                table.clear();
                continue;
            }
            replica.rowChanges++;
            switch (c.op()) {
                case INSERT -> table.put(c.newRow().get(0), c.newRow().values());
                case UPDATE -> {
                    if (c.oldRow() != null) {
                        table.remove(c.oldRow().get(0));
                    }
                    table.put(c.newRow().get(0), c.newRow().values());
                }
                case DELETE -> table.remove(c.oldRow().get(0));
            }
        }
        return replica;
    }

    private static void frame(Map<String, Map<Integer, Boolean>> framing, String txn, int seq, boolean last, ChangeStreamReplica replica) {
        if (framing.computeIfAbsent(txn, k -> new TreeMap<>()).put(seq, last) != null) {
            replica.duplicates.add(txn + " Txn-Seq " + seq);
        }
    }

    Map<Object, List<Object>> table(TableId table) {
        return tables.getOrDefault(table, Map.of());
    }

    /** {@code SELECT *} of a source table, keyed by its first column, values as JDBC returns them. */
    public static Map<Object, List<Object>> sourceRows(java.sql.Connection pg, TableId table) throws SQLException {
        Map<Object, List<Object>> rows = new HashMap<>();
        try (Statement s = pg.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM " + table.quoted())) {
            ResultSetMetaData md = rs.getMetaData();
            while (rs.next()) {
                List<Object> values = new ArrayList<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    values.add(rs.getObject(i));
                }
                rows.put(values.get(0), values);
            }
        }
        return rows;
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
