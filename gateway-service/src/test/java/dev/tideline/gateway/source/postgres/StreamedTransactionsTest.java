package dev.tideline.gateway.source.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.change.ChangeEvent;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.PgType;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamedTransactionsTest {

    private static final RelationSchema T = new RelationSchema(1, TableId.of("public", "t"), ReplicaIdentity.DEFAULT,
            List.of(new ColumnSchema("id", PgType.INT8, -1, true)));

    private final StreamedTransactions txns = new StreamedTransactions();

    private static ChangeEvent.Insert insert(long xid, long id) {
        return new ChangeEvent.Insert(xid, T, Row.of(id));
    }

    private List<ChangeEvent> drain() {
        List<ChangeEvent> events = new ArrayList<>();
        ChangeEvent e;
        while ((e = txns.next()) != null) {
            events.add(e);
        }
        return events;
    }

    @Test
    void streamedChangesAreReleasedOnlyAtCommitAsOneTransaction() {
        txns.accept(new ChangeEvent.StreamStart(10, true));
        txns.accept(insert(10, 1));
        txns.accept(new ChangeEvent.StreamStop());
        // A small transaction commits in between and passes straight through.
        ChangeEvent.Begin begin = new ChangeEvent.Begin(Lsn.of(50), Instant.EPOCH, 11);
        txns.accept(begin);
        assertEquals(List.of(begin), drain());
        txns.accept(new ChangeEvent.StreamStart(10, false));
        txns.accept(insert(10, 2));
        txns.accept(new ChangeEvent.StreamStop());
        assertEquals(List.of(), drain());

        txns.accept(new ChangeEvent.StreamCommit(10, 0, Lsn.of(100), Lsn.of(108), Instant.EPOCH));
        assertEquals(List.of(new ChangeEvent.Begin(Lsn.of(100), Instant.EPOCH, 10), insert(10, 1), insert(10, 2),
                new ChangeEvent.Commit(0, Lsn.of(100), Lsn.of(108), Instant.EPOCH)), drain());
        assertEquals(0, txns.bufferedTransactions());
    }

    @Test
    void abortsDropTheTransactionOrOnlyTheSubtransaction() {
        txns.accept(new ChangeEvent.StreamStart(20, true));
        txns.accept(insert(20, 1));
        txns.accept(insert(21, 2)); // subtransaction 21
        txns.accept(insert(20, 3));
        txns.accept(new ChangeEvent.StreamStop());
        txns.accept(new ChangeEvent.StreamAbort(20, 21));
        txns.accept(new ChangeEvent.StreamStart(30, true));
        txns.accept(insert(30, 9));
        txns.accept(new ChangeEvent.StreamStop());
        txns.accept(new ChangeEvent.StreamAbort(30, 30));
        assertNull(txns.next());

        txns.accept(new ChangeEvent.StreamCommit(20, 0, Lsn.of(200), Lsn.of(208), Instant.EPOCH));
        List<ChangeEvent> events = drain();
        assertEquals(List.of(insert(20, 1), insert(20, 3)), events.subList(1, 3));
        assertEquals(4, events.size());
        assertEquals(0, txns.bufferedTransactions());
    }
}
