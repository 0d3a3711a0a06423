package dev.tideline.gateway.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.change.ChangeEvent;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.PgType;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import dev.tideline.core.wire.BatchKind;
import dev.tideline.core.wire.BatchLimits;
import dev.tideline.core.wire.ChangeBatch;
import dev.tideline.core.wire.EncodedMessage;
import dev.tideline.core.wire.WireCodec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TransactionBatcherTest {

    private static final RelationSchema ORDERS = schema(16384, "orders", "id", "note");
    private static final RelationSchema ORDERS_V2 = schema(16384, "orders", "id", "note", "extra");
    private static final RelationSchema ITEMS = schema(16385, "items", "id", "note");
    private static final Lsn COMMIT = Lsn.parse("1/2000");

    private final List<EncodedMessage> out = new ArrayList<>();
    private final TransactionBatcher batcher = new TransactionBatcher("gw1", new BatchLimits(256, 1024), out::add);

    private static RelationSchema schema(int oid, String table, String... columns) {
        List<ColumnSchema> cols = new ArrayList<>();
        for (int i = 0; i < columns.length; i++) {
            cols.add(new ColumnSchema(columns[i], i == 0 ? PgType.INT8 : PgType.TEXT, -1, i == 0));
        }
        return new RelationSchema(oid, TableId.of("public", table), ReplicaIdentity.DEFAULT, cols);
    }

    private static ChangeEvent insert(RelationSchema schema, long id) {
        Object[] values = new Object[schema.columnCount()];
        values[0] = id;
        values[1] = "note " + "x".repeat(40);
        return new ChangeEvent.Insert(0, schema, Row.of(values));
    }

    private List<ChangeBatch> run(ChangeEvent... events) {
        batcher.begin(new ChangeEvent.Begin(COMMIT, Instant.EPOCH, 7));
        for (ChangeEvent e : events) {
            batcher.accept(e);
        }
        batcher.commit();
        List<ChangeBatch> decoded = new ArrayList<>();
        for (EncodedMessage m : out) {
            decoded.add(WireCodec.decode(m.headers(), m.body()));
        }
        return decoded;
    }

    private static List<ChangeBatch> ofTable(List<ChangeBatch> batches, String table, BatchKind... kinds) {
        List<BatchKind> wanted = List.of(kinds);
        return batches.stream().filter(b -> b.table() != null && b.table().name().equals(table) && wanted.contains(b.kind())).toList();
    }

    @Test
    void aLargeTransactionIsCutBySizeAndOnlyTheLastBatchOfEachTableIsMarked() {
        List<ChangeEvent> events = new ArrayList<>();
        for (long i = 0; i < 40; i++) {
            events.add(insert(i % 4 == 0 ? ITEMS : ORDERS, i));
        }
        List<ChangeBatch> batches = run(events.toArray(ChangeEvent[]::new));
        for (String table : List.of("orders", "items")) {
            List<ChangeBatch> rows = ofTable(batches, table, BatchKind.ROWS);
            assertTrue(rows.size() > 1 || table.equals("items"), table + " batches: " + rows.size());
            for (int i = 0; i < rows.size(); i++) {
                ChangeBatch.Rows r = (ChangeBatch.Rows) rows.get(i);
                assertEquals(i, r.txnSeq());
                assertEquals(i == rows.size() - 1, r.lastInTxn());
            }
        }
        // Ordinals number the whole transaction across tables.
        List<Long> ordinals = new ArrayList<>();
        batches.stream().filter(b -> b instanceof ChangeBatch.Rows).forEach(b -> ((ChangeBatch.Rows) b).changes().forEach(c -> ordinals.add(c.ordinal())));
        assertEquals(40, ordinals.size());
        assertEquals(40, ordinals.stream().distinct().count());
        // Each table's shape is announced once, before its first row.
        assertEquals(BatchKind.SCHEMA, batches.get(0).kind());
        assertEquals(2, batches.stream().filter(b -> b.kind() == BatchKind.SCHEMA).count());
    }

    @Test
    void sameInputSameMessageIds() {
        List<ChangeEvent> events = new ArrayList<>();
        for (long i = 0; i < 30; i++) {
            events.add(insert(ORDERS, i));
        }
        run(events.toArray(ChangeEvent[]::new));
        List<String> first = out.stream().map(EncodedMessage::msgId).toList();
        out.clear();
        TransactionBatcher again = new TransactionBatcher("gw1", new BatchLimits(256, 1024), out::add);
        again.begin(new ChangeEvent.Begin(COMMIT, Instant.EPOCH, 7));
        events.forEach(again::accept);
        again.commit();
        assertEquals(first, out.stream().map(EncodedMessage::msgId).toList());
    }

    @Test
    void aTruncateIsHeldUntilTheNextChangeOrTheCommit() {
        List<ChangeBatch> batches = run(insert(ORDERS, 1),
                new ChangeEvent.Truncate(0, List.of(ORDERS, ITEMS), false, false),
                insert(ORDERS, 2));
        List<ChangeBatch> orders = ofTable(batches, "orders", BatchKind.ROWS, BatchKind.TRUNCATE);
        assertEquals(List.of(BatchKind.ROWS, BatchKind.TRUNCATE, BatchKind.ROWS), orders.stream().map(ChangeBatch::kind).toList());
        ChangeBatch.Truncate truncate = (ChangeBatch.Truncate) orders.get(1);
        assertEquals(1, truncate.txnSeq());
        assertEquals(1, truncate.ordinal());
        assertEquals(false, truncate.lastInTxn());
        assertEquals(true, ((ChangeBatch.Rows) orders.get(2)).lastInTxn());
        assertEquals(2, ((ChangeBatch.Rows) orders.get(2)).txnSeq());
        // items saw only the TRUNCATE: it is the table's last message, with the statement's ordinal.
        ChangeBatch.Truncate items = (ChangeBatch.Truncate) ofTable(batches, "items", BatchKind.TRUNCATE).get(0);
        assertEquals(0, items.txnSeq());
        assertEquals(1, items.ordinal());
        assertTrue(items.lastInTxn());
    }

    @Test
    void aSchemaChangeCutsTheBatchAndIsAnnouncedBeforeItsFirstRow() {
        List<ChangeBatch> batches = run(insert(ORDERS, 1), insert(ORDERS, 2), insert(ORDERS_V2, 3));
        List<BatchKind> kinds = ofTable(batches, "orders", BatchKind.ROWS, BatchKind.SCHEMA).stream().map(ChangeBatch::kind).toList();
        assertEquals(List.of(BatchKind.SCHEMA, BatchKind.ROWS, BatchKind.SCHEMA, BatchKind.ROWS), kinds);
        ChangeBatch.Schema announced = (ChangeBatch.Schema) ofTable(batches, "orders", BatchKind.SCHEMA).get(1);
        assertEquals(2, announced.ordinal());
        assertEquals(ORDERS_V2, announced.schema());
        List<ChangeBatch> rows = ofTable(batches, "orders", BatchKind.ROWS);
        assertEquals(false, ((ChangeBatch.Rows) rows.get(0)).lastInTxn());
        assertEquals(ORDERS_V2, ((ChangeBatch.Rows) rows.get(1)).schema());
        assertEquals(true, ((ChangeBatch.Rows) rows.get(1)).lastInTxn());
    }

    @Test
    void logicalMessagesTakeAnOrdinalWhenTransactional() {
        List<ChangeBatch> batches = run(insert(ORDERS, 1),
                new ChangeEvent.LogicalMessage(7, true, Lsn.parse("1/1000"), "p", new byte[] {1}));
        ChangeBatch.Message message = (ChangeBatch.Message) batches.stream().filter(b -> b instanceof ChangeBatch.Message).findFirst().orElseThrow();
        assertEquals(COMMIT, message.commitLsn());
        assertEquals(1, message.ordinal());
    }
}
