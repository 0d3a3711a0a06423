package dev.tideline.gateway.capture;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.change.ChangeEvent;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.wire.BatchLimits;
import dev.tideline.core.wire.ChangeBatch;
import dev.tideline.core.wire.EncodedMessage;
import dev.tideline.core.wire.RowChange;
import dev.tideline.core.wire.RowsBatchBuilder;
import dev.tideline.core.wire.WireCodec;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Turns the events of committed transactions into change-stream messages, following the publisher
 * loop of {@link RowsBatchBuilder}: per table a ROWS batch cut by size before the next change, the
 * table's last message of the transaction marked {@code lastInTxn}, TRUNCATE held until the next
 * change of its table or the commit, a schema change cutting the batch and announced by a SCHEMA
 * message before the first row that uses it.
 *
 * <p>Ordinals number the transaction's changes from 0 in stream order: each insert, update and
 * delete, each TRUNCATE statement (one ordinal for all its tables), each transactional logical
 * message. Output depends only on the events and the {@link BatchLimits}, so a re-read transaction
 * yields the same messages and {@code Nats-Msg-Id}s.
 *
 * <p>Not thread-safe.
 */
final class TransactionBatcher {

    private final String gatewayId;
    private final BatchLimits limits;
    private final Consumer<EncodedMessage> out;
    private final Map<TableId, TableInTxn> tables = new LinkedHashMap<>();
    private final ArrayDeque<RowsBatchBuilder> idleBuilders = new ArrayDeque<>();
    /** Last shape announced per table; SCHEMA is sent again when it changes (and once per session). */
    private final Map<TableId, RelationSchema> announced = new HashMap<>();

    private boolean inTxn;
    private Lsn commitLsn;
    private Instant commitTime;
    private long xid;
    private long nextOrdinal;

    TransactionBatcher(String gatewayId, BatchLimits limits, Consumer<EncodedMessage> out) {
        this.gatewayId = gatewayId;
        this.limits = Objects.requireNonNull(limits, "limits");
        this.out = Objects.requireNonNull(out, "out");
    }

    private static final class TableInTxn {
        RowsBatchBuilder builder;
        RelationSchema schema;
        boolean rowsOpen;
        int nextSeq;
        ChangeBatch.Truncate heldTruncate;
    }

    boolean inTransaction() {
        return inTxn;
    }

    /** Changes counted so far in the open transaction. */
    long changes() {
        return nextOrdinal;
    }

    void begin(ChangeEvent.Begin begin) {
        if (inTxn) {
            throw new IllegalStateException("Begin at " + begin.finalLsn() + " inside the transaction committing at " + commitLsn);
        }
        inTxn = true;
        commitLsn = begin.finalLsn();
        commitTime = begin.commitTime();
        xid = begin.xid();
        nextOrdinal = 0;
    }

    /** Feeds one event of the open transaction; Relation, Type and Origin produce nothing by themselves. */
    void accept(ChangeEvent event) {
        if (event instanceof ChangeEvent.Insert e) {
            rowChange(e.relation(), RowChange.insert(nextOrdinal++, e.newRow()));
        } else if (event instanceof ChangeEvent.Update e) {
            rowChange(e.relation(), RowChange.update(nextOrdinal++, e.oldRowKind(), e.oldRow(), e.newRow()));
        } else if (event instanceof ChangeEvent.Delete e) {
            rowChange(e.relation(), RowChange.delete(nextOrdinal++, e.oldRowKind(), e.oldRow()));
        } else if (event instanceof ChangeEvent.Truncate e) {
            requireTxn("TRUNCATE");
            long ordinal = nextOrdinal++;
            for (RelationSchema relation : e.relations()) {
                TableInTxn t = table(relation.table());
                releaseHeldTruncate(t, false);
                closeRows(t, false);
                t.heldTruncate = new ChangeBatch.Truncate(commitLsn, commitTime, xid, t.nextSeq++, false, ordinal, relation.relationOid(),
                        relation.table(), e.cascade(), e.restartIdentity());
            }
        } else if (event instanceof ChangeEvent.LogicalMessage m) {
            if (m.transactional()) {
                requireTxn("logical message");
                out.accept(WireCodec.encode(gatewayId, new ChangeBatch.Message(true, commitLsn, nextOrdinal++, m.lsn(), xid, m.prefix(),
                        m.content())));
            } else {
                out.accept(WireCodec.encode(gatewayId, new ChangeBatch.Message(false, m.lsn(), 0, m.lsn(), 0, m.prefix(), m.content())));
            }
        }
        // Relation: the new shape travels with the next change (compared below); Type, Origin: nothing to publish.
    }

    /** Publishes every table's last message of the transaction. */
    void commit() {
        requireTxn("COMMIT");
        for (TableInTxn t : tables.values()) {
            if (t.heldTruncate != null) {
                releaseHeldTruncate(t, true);
            } else if (t.rowsOpen) {
                closeRows(t, true);
            }
            if (t.builder != null) {
                idleBuilders.push(t.builder);
            }
        }
        tables.clear();
        inTxn = false;
    }

    private void rowChange(RelationSchema schema, RowChange change) {
        requireTxn("row change");
        TableInTxn t = table(schema.table());
        releaseHeldTruncate(t, false);
        if (t.rowsOpen && !t.schema.equals(schema)) {
            closeRows(t, false); // a batch carries one shape
        }
        if (!schema.equals(announced.get(schema.table()))) {
            out.accept(WireCodec.encode(gatewayId, new ChangeBatch.Schema(commitLsn, change.ordinal(), schema)));
            announced.put(schema.table(), schema);
        }
        if (!t.rowsOpen) {
            openRows(t, schema);
        } else if (t.builder.isFull()) {
            out.accept(t.builder.finish(false));
            openRows(t, schema);
        }
        if (!t.builder.add(change)) {
            out.accept(t.builder.finish(false));
            openRows(t, schema);
            t.builder.add(change);
        }
    }

    private void openRows(TableInTxn t, RelationSchema schema) {
        if (t.builder == null) {
            t.builder = idleBuilders.isEmpty() ? new RowsBatchBuilder(gatewayId, limits) : idleBuilders.pop();
        }
        t.builder.start(schema, commitLsn, commitTime, xid, t.nextSeq++);
        t.schema = schema;
        t.rowsOpen = true;
    }

    private void closeRows(TableInTxn t, boolean lastInTxn) {
        if (t.rowsOpen) {
            out.accept(t.builder.finish(lastInTxn));
            t.rowsOpen = false;
        }
    }

    private void releaseHeldTruncate(TableInTxn t, boolean lastInTxn) {
        ChangeBatch.Truncate held = t.heldTruncate;
        if (held != null) {
            out.accept(WireCodec.encode(gatewayId, new ChangeBatch.Truncate(held.commitLsn(), held.commitTime(), held.xid(), held.txnSeq(),
                    lastInTxn, held.ordinal(), held.relationOid(), held.table(), held.cascade(), held.restartIdentity())));
            t.heldTruncate = null;
        }
    }

    private TableInTxn table(TableId table) {
        return tables.computeIfAbsent(table, k -> new TableInTxn());
    }

    private void requireTxn(String what) {
        if (!inTxn) {
            throw new IllegalStateException(what + " outside a transaction");
        }
    }
}
