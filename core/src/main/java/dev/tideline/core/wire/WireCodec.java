package dev.tideline.core.wire;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.ChangeEvent.OldRowKind;
import dev.tideline.core.change.Row;
import dev.tideline.core.naming.IdentifierTokens;
import dev.tideline.core.naming.ResourceIds;
import dev.tideline.core.naming.Subjects;
import dev.tideline.core.schema.RelationSchema;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Encodes {@link ChangeBatch}es into JetStream messages and decodes them back. The byte layout is
 * specified in {@code docs/reference/events.md}; this class and its package-private reader and writer
 * are its only implementation. Stateless and thread-safe.
 *
 * <p>The gateway's hot path uses {@link RowsBatchBuilder} and {@link SnapshotBatchBuilder}, which
 * produce exactly the bytes {@link #encode} produces for the same batch.
 */
public final class WireCodec {

    /**
     * The newest format version this code writes, and the newest it reads. Format 2 adds the
     * pg-binary value tag; a body is written as format 2 only when it holds such a value, every other
     * body stays format 1 byte for byte, so a consumer that reads only format 1 keeps reading it.
     */
    public static final int FORMAT_VERSION = 2;
    /** The version of bodies without pg-binary values. */
    static final int BASE_VERSION = 1;
    static final String BASE_VERSION_TEXT = Integer.toString(BASE_VERSION);
    static final String FORMAT_VERSION_TEXT = Integer.toString(FORMAT_VERSION);

    private static final int ROWS_LAST_IN_TXN = 1;
    private static final int TRUNCATE_LAST_IN_TXN = 1;
    private static final int TRUNCATE_CASCADE = 2;
    private static final int TRUNCATE_RESTART_IDENTITY = 4;
    private static final int MESSAGE_TRANSACTIONAL = 1;
    /** Sanity cap on rows of a zero-column table, whose rows take no bytes and so cannot be bounded by the body size. */
    private static final int MAX_EMPTY_ROWS = 1 << 20;

    private WireCodec() {
    }

    /**
     * Encodes a batch for publishing by the given gateway.
     *
     * @throws TidelineException (FATAL) when a value has a Java type without a wire encoding
     */
    public static EncodedMessage encode(String gatewayId, ChangeBatch batch) {
        ResourceIds.requireValid("gateway id", gatewayId);
        if (batch instanceof ChangeBatch.Rows rows) {
            RowsBatchBuilder builder = new RowsBatchBuilder(gatewayId, BatchLimits.UNLIMITED)
                    .start(rows.schema(), rows.commitLsn(), rows.commitTime(), rows.xid(), rows.txnSeq());
            for (RowChange change : rows.changes()) {
                builder.add(change);
            }
            return builder.finish(rows.lastInTxn());
        }
        if (batch instanceof ChangeBatch.Snapshot snapshot) {
            SnapshotBatchBuilder builder = new SnapshotBatchBuilder(gatewayId, BatchLimits.UNLIMITED)
                    .start(snapshot.schema(), snapshot.snapshotId(), snapshot.validAtLsn(), snapshot.chunk(), snapshot.batch());
            for (Row row : snapshot.rows()) {
                builder.add(row);
            }
            return builder.finish(snapshot.lastInChunk());
        }
        WireWriter w = new WireWriter(256);
        BatchBody.prelude(w, batch.kind());
        Map<String, String> headers = new HashMap<>(16);
        headers.put(WireHeaders.FORMAT, BASE_VERSION_TEXT);
        headers.put(WireHeaders.KIND, batch.kind().name());
        String subject;
        if (batch instanceof ChangeBatch.SnapshotBegin begin) {
            w.u8(0);
            w.u64(begin.validAtLsn().value());
            w.str(begin.snapshotId());
            w.schema(begin.schema());
            snapshotHeaders(headers, begin.table(), begin.snapshotId(), begin.validAtLsn());
            subject = Subjects.changes(gatewayId, begin.table());
        } else if (batch instanceof ChangeBatch.SnapshotDone done) {
            w.u8(0);
            w.u64(done.validAtLsn().value());
            w.str(done.snapshotId());
            w.str(done.table().schema());
            w.str(done.table().name());
            w.uvarint(done.rowCount());
            w.uvarint(done.chunkCount());
            snapshotHeaders(headers, done.table(), done.snapshotId(), done.validAtLsn());
            headers.put(WireHeaders.ROW_COUNT, Long.toString(done.rowCount()));
            headers.put(WireHeaders.CHUNK, Integer.toString(done.chunkCount()));
            subject = Subjects.changes(gatewayId, done.table());
        } else if (batch instanceof ChangeBatch.Schema schema) {
            w.u8(0);
            w.u64(schema.commitLsn().value());
            w.uvarint(schema.ordinal());
            w.schema(schema.schema());
            headers.put(WireHeaders.TABLE, tableToken(schema.table()));
            headers.put(WireHeaders.COMMIT_LSN, schema.commitLsn().toString());
            headers.put(WireHeaders.ORDINAL, Long.toString(schema.ordinal()));
            subject = Subjects.changes(gatewayId, schema.table());
        } else if (batch instanceof ChangeBatch.Truncate truncate) {
            w.u8((truncate.lastInTxn() ? TRUNCATE_LAST_IN_TXN : 0) | (truncate.cascade() ? TRUNCATE_CASCADE : 0)
                    | (truncate.restartIdentity() ? TRUNCATE_RESTART_IDENTITY : 0));
            w.u64(truncate.commitLsn().value());
            w.instant(truncate.commitTime());
            w.uvarint(truncate.xid());
            w.uvarint(truncate.txnSeq());
            w.uvarint(truncate.ordinal());
            w.uvarint(Integer.toUnsignedLong(truncate.relationOid()));
            w.str(truncate.table().schema());
            w.str(truncate.table().name());
            headers.put(WireHeaders.TABLE, tableToken(truncate.table()));
            headers.put(WireHeaders.COMMIT_LSN, truncate.commitLsn().toString());
            headers.put(WireHeaders.ORDINAL, Long.toString(truncate.ordinal()));
            headers.put(WireHeaders.TXN_SEQ, Integer.toString(truncate.txnSeq()));
            headers.put(WireHeaders.TXN_LAST, Boolean.toString(truncate.lastInTxn()));
            subject = Subjects.changes(gatewayId, truncate.table());
        } else if (batch instanceof ChangeBatch.Message message) {
            w.u8(message.transactional() ? MESSAGE_TRANSACTIONAL : 0);
            w.u64(message.commitLsn().value());
            w.uvarint(message.ordinal());
            w.u64(message.messageLsn().value());
            w.uvarint(message.xid());
            w.str(message.prefix());
            w.bytes(message.content());
            headers.put(WireHeaders.COMMIT_LSN, message.commitLsn().toString());
            headers.put(WireHeaders.ORDINAL, Long.toString(message.ordinal()));
            subject = Subjects.messages(gatewayId);
        } else {
            throw new IllegalArgumentException("unknown batch type " + batch.getClass().getName());
        }
        headers.put(WireHeaders.NATS_MSG_ID, WireHeaders.natsMsgId(gatewayId, headers));
        return new EncodedMessage(subject, headers, w.toArray());
    }

    /** Decodes a body alone (the headers are only a copy of what it holds). */
    public static ChangeBatch decode(byte[] body) {
        return decode(Map.of(), body);
    }

    /**
     * Decodes a message.
     *
     * @param headers the message's headers, or an empty map; only {@link WireHeaders#FORMAT} is
     *                consulted, to refuse a newer format before touching the body
     * @throws TidelineException NEEDS_OPERATOR when the message was written in a newer format;
     *                           FATAL, naming the field and byte offset, when it is malformed
     */
    public static ChangeBatch decode(Map<String, String> headers, byte[] body) {
        if (headers != null) {
            String format = headers.get(WireHeaders.FORMAT);
            if (format != null) {
                int version;
                try {
                    version = Integer.parseInt(format.trim());
                } catch (NumberFormatException e) {
                    throw new TidelineException(TidelineException.Kind.FATAL,
                            "corrupt Tideline message: header " + WireHeaders.FORMAT + " is '" + format + "', not a number",
                            "the message was not written by a Tideline gateway", e);
                }
                requireKnownVersion(version);
            }
        }
        if (body == null) {
            throw new TidelineException(TidelineException.Kind.FATAL, "corrupt Tideline message: no body",
                    "the message was not written by a Tideline gateway");
        }
        WireReader r = new WireReader(body);
        try {
            return decodeBody(r);
        } catch (TidelineException e) {
            throw e;
        } catch (RuntimeException e) {
            // Invariants checked by the model's constructors (e.g. a delete without an old row).
            throw r.error("body", r.position(), e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    private static ChangeBatch decodeBody(WireReader r) {
        int magic0 = r.u8("magic");
        int magic1 = r.u8("magic");
        if (magic0 != BatchBody.MAGIC_0 || magic1 != BatchBody.MAGIC_1) {
            throw r.error("magic", 0, "expected the bytes 'T' 'L' (0x54 0x4C)");
        }
        int version = r.u8("format_version");
        if (version == 0) {
            throw r.error("format_version", 2, "version 0 does not exist");
        }
        requireKnownVersion(version);
        r.formatVersion(version);
        int kindCode = r.u8("kind");
        BatchKind kind = BatchKind.fromCode(kindCode);
        if (kind == null) {
            throw r.error("kind", 3, "unknown message kind " + kindCode);
        }
        int flagsAt = r.position();
        int flags = r.u8("flags");
        ChangeBatch batch = switch (kind) {
            case ROWS -> decodeRows(r, flags(r, flags, flagsAt, ROWS_LAST_IN_TXN));
            case SNAPSHOT -> decodeSnapshot(r, flags(r, flags, flagsAt, 1));
            case SNAPSHOT_BEGIN -> {
                flags(r, flags, flagsAt, 0);
                Lsn lsn = Lsn.of(r.u64("valid_at_lsn"));
                String snapshotId = snapshotId(r);
                yield new ChangeBatch.SnapshotBegin(snapshotId, lsn, r.schema());
            }
            case SNAPSHOT_DONE -> {
                flags(r, flags, flagsAt, 0);
                Lsn lsn = Lsn.of(r.u64("valid_at_lsn"));
                String snapshotId = snapshotId(r);
                TableId table = r.tableId("table");
                long rowCount = r.nonNegative("row_count");
                int chunkCount = r.count("chunk_count");
                yield new ChangeBatch.SnapshotDone(snapshotId, lsn, table, rowCount, chunkCount);
            }
            case SCHEMA -> {
                flags(r, flags, flagsAt, 0);
                Lsn lsn = Lsn.of(r.u64("commit_lsn"));
                long ordinal = r.nonNegative("ordinal");
                yield new ChangeBatch.Schema(lsn, ordinal, r.schema());
            }
            case TRUNCATE -> {
                flags(r, flags, flagsAt, TRUNCATE_LAST_IN_TXN | TRUNCATE_CASCADE | TRUNCATE_RESTART_IDENTITY);
                Lsn lsn = Lsn.of(r.u64("commit_lsn"));
                Instant commitTime = r.instant("commit_time");
                long xid = r.nonNegative("xid");
                int txnSeq = r.count("txn_seq");
                long ordinal = r.nonNegative("ordinal");
                int relationOid = r.oid("relation_oid");
                TableId table = r.tableId("table");
                yield new ChangeBatch.Truncate(lsn, commitTime, xid, txnSeq, (flags & TRUNCATE_LAST_IN_TXN) != 0, ordinal,
                        relationOid, table, (flags & TRUNCATE_CASCADE) != 0, (flags & TRUNCATE_RESTART_IDENTITY) != 0);
            }
            case MESSAGE -> {
                flags(r, flags, flagsAt, MESSAGE_TRANSACTIONAL);
                Lsn lsn = Lsn.of(r.u64("commit_lsn"));
                long ordinal = r.nonNegative("ordinal");
                Lsn messageLsn = Lsn.of(r.u64("message_lsn"));
                long xid = r.nonNegative("xid");
                String prefix = r.str("prefix");
                byte[] content = r.bytes("content");
                yield new ChangeBatch.Message((flags & MESSAGE_TRANSACTIONAL) != 0, lsn, ordinal, messageLsn, xid, prefix, content);
            }
        };
        r.expectEnd();
        return batch;
    }

    private static ChangeBatch.Rows decodeRows(WireReader r, int flags) {
        Lsn commitLsn = Lsn.of(r.u64("commit_lsn"));
        Instant commitTime = r.instant("commit_time");
        long xid = r.nonNegative("xid");
        int txnSeq = r.count("txn_seq");
        RelationSchema schema = r.schema();
        int columns = schema.columnCount();
        int countAt = r.position();
        int rowCount = r.count("row_count");
        if (rowCount == 0) {
            throw r.error("row_count", countAt, "a ROWS message holds at least one row");
        }
        // Each change takes at least 2 bytes (op, ordinal delta).
        if (rowCount > r.remaining() / 2) {
            throw r.error("row_count", countAt, rowCount + " rows cannot fit in the " + r.remaining() + " byte(s) left");
        }
        List<RowChange> changes = new ArrayList<>(rowCount);
        long ordinal = -1;
        for (int i = 0; i < rowCount; i++) {
            r.at(i, -1);
            int opAt = r.position();
            int opByte = r.u8("row.op");
            RowChange.Op op = switch (opByte & 0x0F) {
                case 1 -> RowChange.Op.INSERT;
                case 2 -> RowChange.Op.UPDATE;
                case 3 -> RowChange.Op.DELETE;
                default -> throw r.error("row.op", opAt, "unknown operation " + (opByte & 0x0F));
            };
            OldRowKind oldRowKind = switch (opByte >>> 4) {
                case 0 -> OldRowKind.NONE;
                case 1 -> OldRowKind.KEY;
                case 2 -> OldRowKind.FULL;
                default -> throw r.error("row.op", opAt, "unknown old-row kind " + (opByte >>> 4));
            };
            if ((op == RowChange.Op.INSERT && oldRowKind != OldRowKind.NONE)
                    || (op == RowChange.Op.DELETE && oldRowKind == OldRowKind.NONE)) {
                throw r.error("row.op", opAt, op + " with old-row kind " + oldRowKind + " is not a valid change");
            }
            int deltaAt = r.position();
            long delta = r.nonNegative("row.ordinal_delta");
            if (i > 0 && delta == 0) {
                throw r.error("row.ordinal_delta", deltaAt, "ordinals must strictly increase within a message");
            }
            long next = i == 0 ? delta : ordinal + delta;
            if (next < 0) {
                throw r.error("row.ordinal_delta", deltaAt, "ordinal overflows 2^63-1");
            }
            ordinal = next;
            Row oldRow = oldRowKind != OldRowKind.NONE ? r.row(columns) : null;
            Row newRow = op != RowChange.Op.DELETE ? r.row(columns) : null;
            changes.add(new RowChange(op, ordinal, oldRowKind, oldRow, newRow));
        }
        r.at(-1, -1);
        return new ChangeBatch.Rows(commitLsn, commitTime, xid, txnSeq, (flags & ROWS_LAST_IN_TXN) != 0, schema, changes);
    }

    private static ChangeBatch.Snapshot decodeSnapshot(WireReader r, int flags) {
        Lsn validAt = Lsn.of(r.u64("valid_at_lsn"));
        String snapshotId = snapshotId(r);
        int chunk = r.count("chunk");
        int batch = r.count("batch");
        RelationSchema schema = r.schema();
        int columns = schema.columnCount();
        int countAt = r.position();
        int rowCount = r.count("row_count");
        if (rowCount == 0) {
            throw r.error("row_count", countAt, "a SNAPSHOT message holds at least one row");
        }
        if (columns > 0 ? rowCount > r.remaining() / columns : rowCount > MAX_EMPTY_ROWS) {
            throw r.error("row_count", countAt, rowCount + " rows cannot fit in the " + r.remaining() + " byte(s) left");
        }
        List<Row> rows = new ArrayList<>(rowCount);
        for (int i = 0; i < rowCount; i++) {
            r.at(i, -1);
            rows.add(r.row(columns));
        }
        r.at(-1, -1);
        return new ChangeBatch.Snapshot(snapshotId, validAt, chunk, batch, (flags & 1) != 0, schema, rows);
    }

    private static String snapshotId(WireReader r) {
        int at = r.position();
        String id = r.str("snapshot_id");
        if (!ResourceIds.isValid(id)) {
            throw r.error("snapshot_id", at, "not a valid snapshot id");
        }
        return id;
    }

    private static int flags(WireReader r, int flags, int at, int allowed) {
        if ((flags & ~allowed) != 0) {
            throw r.error("flags", at, "unknown flag bits 0x" + Integer.toHexString(flags & ~allowed));
        }
        return flags;
    }

    private static void requireKnownVersion(int version) {
        if (version > FORMAT_VERSION) {
            throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                    "message in Tideline format " + version + " was written by a newer Tideline; this consumer reads formats up to "
                            + FORMAT_VERSION + "; upgrade the consumer",
                    "upgrade apply-service (and any consumer of your own) to the gateway's Tideline version; "
                            + "the message stays in the stream and is read after the upgrade");
        }
    }

    private static void snapshotHeaders(Map<String, String> headers, TableId table, String snapshotId, Lsn validAt) {
        headers.put(WireHeaders.TABLE, tableToken(table));
        headers.put(WireHeaders.SNAPSHOT_ID, snapshotId);
        headers.put(WireHeaders.SNAPSHOT_LSN, validAt.toString());
    }

    static String tableToken(TableId table) {
        return IdentifierTokens.encode(table.schema()) + '.' + IdentifierTokens.encode(table.name());
    }
}
