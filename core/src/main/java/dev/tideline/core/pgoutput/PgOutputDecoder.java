package dev.tideline.core.pgoutput;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.ChangeEvent;
import dev.tideline.core.change.ChangeEvent.OldRowKind;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import dev.tideline.core.value.PgBinaryValues;
import dev.tideline.core.value.PgTextValues;
import dev.tideline.core.value.UnchangedToast;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Decodes pgoutput messages (protocol 1 and 2) into {@link ChangeEvent}s.
 *
 * <p>Stateful: keeps the relation cache (filled by Relation messages, which Postgres sends before a
 * table's first change on each connection and after every schema change) and whether it is inside
 * a stream block (protocol 2, between Stream Start and Stream Stop, where data messages carry a
 * transaction id). Hence one instance per replication connection, fed every message of that
 * connection in order. Not thread-safe.
 *
 * <p>Column values are converted with {@link PgTextValues} ({@code 't'} data) and
 * {@link PgBinaryValues} ({@code 'b'} data, with the {@code binary} option), so streamed rows equal
 * snapshot rows read through the same classes. The returned events never refer to the input buffer.
 *
 * <p>Every message is checked to end exactly where its layout says; anything short, long or
 * unparseable throws {@link TidelineException} ({@link TidelineException.Kind#FATAL}) naming the
 * message type, the byte offset within the message (the type byte is offset 0) and what was
 * expected there; a value that does not parse also names the column and table (with at most 40
 * characters of the value). The Stream Abort of protocol 4 (abort LSN and time appended) is
 * accepted and its extra fields ignored. A message of the
 * two-phase commit protocol (version 3) throws {@link TidelineException.Kind#NEEDS_OPERATOR}.
 */
public final class PgOutputDecoder {

    /** Postgres timestamps count microseconds from 2000-01-01 00:00:00 UTC. */
    private static final long PG_EPOCH_SECOND = 946_684_800L;

    /** Stream Abort in protocol 4 (Postgres 16, parallel apply) adds the abort LSN and timestamp. */
    private static final int STREAM_ABORT_PARALLEL_FIELDS = 16;

    private final Map<Integer, CachedRelation> relations = new HashMap<>();
    private final PgOutputReader in = new PgOutputReader();
    private CachedRelation lastRelation;
    private boolean inStream;

    public PgOutputDecoder() {
    }

    /**
     * Decodes one pgoutput message: the payload of one XLogData ({@code 'w'}) frame, from
     * {@code message.position()} to {@code message.limit()}. Advances the position to the limit,
     * also when it throws.
     *
     * @throws TidelineException {@link TidelineException.Kind#FATAL} on malformed input, naming the
     *                           message type, the byte offset and what was expected; a failed
     *                           message leaves the relation cache and stream state unchanged
     */
    public ChangeEvent decode(ByteBuffer message) {
        byte[] bytes;
        int start;
        int end;
        if (message.hasArray()) {
            bytes = message.array();
            start = message.arrayOffset() + message.position();
            end = message.arrayOffset() + message.limit();
        } else {
            // Direct or read-only buffers: one copy of the message beats per-field buffer calls.
            bytes = new byte[message.remaining()];
            message.duplicate().get(bytes);
            start = 0;
            end = bytes.length;
        }
        message.position(message.limit());
        in.reset(bytes, start, end);
        if (start == end) {
            in.messageName("(empty)");
            throw in.malformed(0, "expected a message type byte, the message is empty");
        }
        byte type = in.int8("a message type byte");
        switch (type) {
            case 'B': return begin();
            case 'C': return commit();
            case 'O': return origin();
            case 'R': return relation();
            case 'Y': return type();
            case 'I': return insert();
            case 'U': return update();
            case 'D': return delete();
            case 'T': return truncate();
            case 'M': return logicalMessage();
            case 'S': return streamStart();
            case 'E': return streamStop();
            case 'c': return streamCommit();
            case 'A': return streamAbort();
            case 'b': case 'P': case 'K': case 'r': case 'p':
                throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                        "pgoutput two-phase commit message '" + (char) type + "' received; Tideline does not support two-phase decoding",
                        "Start replication without the two_phase option and with proto_version '1' or '2', "
                                + "and use a slot created without TWO_PHASE.");
            default:
                in.messageName("(unknown)");
                throw in.malformed(0, "unknown message type byte 0x" + String.format("%02X", type & 0xFF)
                        + (type >= 0x20 && type < 0x7F ? " ('" + (char) type + "')" : "")
                        + "; expected one of B C O R Y I U D T M S E c A");
        }
    }

    /** The schema last announced for this relation OID on this connection, if any. */
    public Optional<RelationSchema> relation(int relationOid) {
        CachedRelation cached = relations.get(relationOid);
        return cached == null ? Optional.empty() : Optional.of(cached.schema);
    }

    private ChangeEvent begin() {
        in.messageName("BEGIN");
        Lsn finalLsn = Lsn.of(in.int64("an 8-byte final LSN"));
        Instant commitTime = timestamp(in.int64("an 8-byte commit timestamp"));
        long xid = in.uint32("a 4-byte transaction id");
        in.end();
        return new ChangeEvent.Begin(finalLsn, commitTime, xid);
    }

    private ChangeEvent commit() {
        in.messageName("COMMIT");
        int flags = in.int8("a 1-byte flags field") & 0xFF;
        Lsn commitLsn = Lsn.of(in.int64("an 8-byte commit LSN"));
        Lsn endLsn = Lsn.of(in.int64("an 8-byte end LSN"));
        Instant commitTime = timestamp(in.int64("an 8-byte commit timestamp"));
        in.end();
        return new ChangeEvent.Commit(flags, commitLsn, endLsn, commitTime);
    }

    private ChangeEvent origin() {
        in.messageName("ORIGIN");
        Lsn lsn = Lsn.of(in.int64("an 8-byte origin commit LSN"));
        String name = in.cstring("the origin name");
        in.end();
        return new ChangeEvent.Origin(lsn, name);
    }

    private ChangeEvent relation() {
        in.messageName("RELATION");
        long xid = streamedXid();
        int oid = in.int32("a 4-byte relation OID");
        int namespaceAt = in.offset();
        String namespace = catalogNamespace(in.cstring("the namespace name"));
        int nameAt = in.offset();
        String name = in.cstring("the relation name");
        int identityAt = in.offset();
        byte identityCode = in.int8("a 1-byte replica identity setting");
        int countAt = in.offset();
        int count = in.int16("a 2-byte column count");
        if (count < 0) {
            throw in.malformed(countAt, "expected a non-negative column count, found " + count);
        }
        List<ColumnSchema> columns = new ArrayList<>(Math.min(count, in.remaining()));
        for (int i = 0; i < count; i++) {
            int flags = in.int8("a 1-byte column flags field");
            String columnName = in.cstring("a column name");
            int typeOid = in.int32("a 4-byte column type OID");
            int typeModifier = in.int32("a 4-byte column type modifier");
            columns.add(new ColumnSchema(columnName, typeOid, typeModifier, (flags & 1) != 0));
        }
        in.end();
        ReplicaIdentity identity;
        try {
            identity = ReplicaIdentity.fromCode((char) (identityCode & 0xFF));
        } catch (IllegalArgumentException e) {
            throw in.malformed(identityAt, e.getMessage(), PgOutputReader.HINT, null);
        }
        TableId table;
        try {
            table = TableId.of(namespace, name);
        } catch (IllegalArgumentException e) {
            throw in.malformed(name.isEmpty() ? nameAt : namespaceAt, e.getMessage(), PgOutputReader.HINT, null);
        }
        RelationSchema schema = new RelationSchema(oid, table, identity, columns);
        CachedRelation cached = new CachedRelation(schema);
        relations.put(oid, cached);
        lastRelation = cached;
        return new ChangeEvent.Relation(xid, schema);
    }

    private ChangeEvent type() {
        in.messageName("TYPE");
        long xid = streamedXid();
        int oid = in.int32("a 4-byte type OID");
        String namespace = catalogNamespace(in.cstring("the namespace name"));
        String name = in.cstring("the type name");
        in.end();
        return new ChangeEvent.TypeDefinition(xid, oid, namespace, name);
    }

    private ChangeEvent insert() {
        in.messageName("INSERT");
        long xid = streamedXid();
        CachedRelation relation = knownRelation();
        expectTupleTag('N', "'N' (new tuple)");
        Row row = tuple(relation);
        in.end();
        return new ChangeEvent.Insert(xid, relation.schema, row);
    }

    private ChangeEvent update() {
        in.messageName("UPDATE");
        long xid = streamedXid();
        CachedRelation relation = knownRelation();
        int tagAt = in.offset();
        byte tag = in.int8("a 1-byte tuple tag 'K', 'O' or 'N'");
        OldRowKind oldKind = OldRowKind.NONE;
        Row oldRow = null;
        if (tag == 'K' || tag == 'O') {
            oldKind = tag == 'K' ? OldRowKind.KEY : OldRowKind.FULL;
            oldRow = tuple(relation);
            tagAt = in.offset();
            tag = in.int8("a 1-byte tuple tag 'N' (new tuple)");
            if (tag != 'N') {
                throw in.malformed(tagAt, "expected tuple tag 'N' (new tuple), found " + describe(tag));
            }
        } else if (tag != 'N') {
            throw in.malformed(tagAt, "expected tuple tag 'K', 'O' or 'N', found " + describe(tag));
        }
        Row newRow = tuple(relation);
        in.end();
        return new ChangeEvent.Update(xid, relation.schema, oldKind, oldRow, newRow);
    }

    private ChangeEvent delete() {
        in.messageName("DELETE");
        long xid = streamedXid();
        CachedRelation relation = knownRelation();
        int tagAt = in.offset();
        byte tag = in.int8("a 1-byte tuple tag 'K' or 'O'");
        if (tag != 'K' && tag != 'O') {
            throw in.malformed(tagAt, "expected tuple tag 'K' (key) or 'O' (old row), found " + describe(tag));
        }
        Row oldRow = tuple(relation);
        in.end();
        return new ChangeEvent.Delete(xid, relation.schema, tag == 'K' ? OldRowKind.KEY : OldRowKind.FULL, oldRow);
    }

    private ChangeEvent truncate() {
        in.messageName("TRUNCATE");
        long xid = streamedXid();
        int countAt = in.offset();
        int count = in.int32("a 4-byte relation count");
        int options = in.int8("a 1-byte options field") & 0xFF;
        if (count < 0 || count > in.remaining() / 4) {
            throw in.malformed(countAt, "expected a relation count that fits the message (" + in.remaining() / 4
                    + " OIDs), found " + count);
        }
        List<RelationSchema> truncated = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int oidAt = in.offset();
            int oid = in.int32("a 4-byte relation OID");
            truncated.add(cached(oid, oidAt).schema);
        }
        in.end();
        return new ChangeEvent.Truncate(xid, truncated, (options & 1) != 0, (options & 2) != 0);
    }

    private ChangeEvent logicalMessage() {
        in.messageName("MESSAGE");
        long xid = streamedXid();
        int flags = in.int8("a 1-byte flags field");
        Lsn lsn = Lsn.of(in.int64("an 8-byte message LSN"));
        String prefix = in.cstring("the message prefix");
        int length = in.int32("a 4-byte content length");
        int at = in.skip(length, "the message content");
        in.end();
        byte[] content = Arrays.copyOfRange(in.bytes(), at, at + length);
        return new ChangeEvent.LogicalMessage(xid, (flags & 1) != 0, lsn, prefix, content);
    }

    private ChangeEvent streamStart() {
        in.messageName("STREAM START");
        long xid = in.uint32("a 4-byte transaction id");
        int first = in.int8("a 1-byte first-segment flag");
        in.end();
        if (inStream) {
            throw in.malformed(0, "a STREAM START inside a stream block; the previous STREAM STOP is missing");
        }
        inStream = true;
        return new ChangeEvent.StreamStart(xid, first == 1);
    }

    private ChangeEvent streamStop() {
        in.messageName("STREAM STOP");
        in.end();
        if (!inStream) {
            throw in.malformed(0, "a STREAM STOP outside a stream block; the STREAM START is missing");
        }
        inStream = false;
        return new ChangeEvent.StreamStop();
    }

    private ChangeEvent streamCommit() {
        in.messageName("STREAM COMMIT");
        long xid = in.uint32("a 4-byte transaction id");
        int flags = in.int8("a 1-byte flags field") & 0xFF;
        Lsn commitLsn = Lsn.of(in.int64("an 8-byte commit LSN"));
        Lsn endLsn = Lsn.of(in.int64("an 8-byte end LSN"));
        Instant commitTime = timestamp(in.int64("an 8-byte commit timestamp"));
        in.end();
        return new ChangeEvent.StreamCommit(xid, flags, commitLsn, endLsn, commitTime);
    }

    private ChangeEvent streamAbort() {
        in.messageName("STREAM ABORT");
        long xid = in.uint32("a 4-byte transaction id");
        long subXid = in.uint32("a 4-byte subtransaction id");
        // Protocol 4 appends the abort LSN and time; the event has no use for them, but anything
        // other than exactly those 16 bytes means a layout we do not know.
        if (in.remaining() != 0 && in.remaining() != STREAM_ABORT_PARALLEL_FIELDS) {
            throw in.malformed(in.offset(), "expected the end of the message or a 16-byte abort LSN and timestamp (protocol 4), "
                    + in.remaining() + " bytes left");
        }
        return new ChangeEvent.StreamAbort(xid, subXid);
    }

    private long streamedXid() {
        return inStream ? in.uint32("a 4-byte transaction id (inside a stream block)") : 0L;
    }

    private CachedRelation knownRelation() {
        int at = in.offset();
        int oid = in.int32("a 4-byte relation OID");
        CachedRelation last = lastRelation;
        if (last != null && last.schema.relationOid() == oid) {
            return last;
        }
        CachedRelation cached = cached(oid, at);
        lastRelation = cached;
        return cached;
    }

    private CachedRelation cached(int oid, int at) {
        CachedRelation cached = relations.get(oid);
        if (cached == null) {
            throw in.malformed(at, "unknown relation OID " + Integer.toUnsignedString(oid)
                            + "; no RELATION message for it was decoded on this connection",
                    "Use one PgOutputDecoder per replication connection and feed it every message from the start: "
                            + "Postgres announces each table with a RELATION message before its first change on a connection.",
                    null);
        }
        return cached;
    }

    private void expectTupleTag(char expected, String what) {
        int at = in.offset();
        byte tag = in.int8("a 1-byte tuple tag " + what);
        if (tag != expected) {
            throw in.malformed(at, "expected tuple tag " + what + ", found " + describe(tag));
        }
    }

    private Row tuple(CachedRelation relation) {
        int countAt = in.offset();
        int count = in.int16("a 2-byte column count");
        ColumnSchema[] columns = relation.columns;
        if (count != columns.length) {
            throw in.malformed(countAt, "tuple has " + count + " columns but relation " + relation.schema.table()
                            + " (OID " + Integer.toUnsignedString(relation.schema.relationOid()) + ") has " + columns.length,
                    "The relation cache is out of step with the stream: use one PgOutputDecoder per replication "
                            + "connection and feed it every message in order.", null);
        }
        Object[] values = new Object[count];
        byte[] bytes = in.bytes();
        for (int i = 0; i < count; i++) {
            int kindAt = in.offset();
            byte kind = in.int8("a 1-byte column kind ('n', 'u', 't' or 'b')");
            switch (kind) {
                case 'n':
                    break;
                case 'u':
                    values[i] = UnchangedToast.VALUE;
                    break;
                case 't': {
                    int length = in.int32("a 4-byte value length");
                    int at = in.skip(length, "the text value bytes");
                    String text = new String(bytes, at, length, StandardCharsets.UTF_8);
                    ColumnSchema column = columns[i];
                    try {
                        values[i] = PgTextValues.decode(column.typeOid(), column.typeModifier(), text);
                    } catch (TidelineException e) {
                        throw valueError(kindAt, relation, column, e);
                    }
                    break;
                }
                case 'b': {
                    int length = in.int32("a 4-byte value length");
                    int at = in.skip(length, "the binary value bytes");
                    ColumnSchema column = columns[i];
                    try {
                        values[i] = PgBinaryValues.decode(column.typeOid(), column.typeModifier(), bytes, at, length);
                    } catch (TidelineException e) {
                        throw valueError(kindAt, relation, column, e);
                    }
                    break;
                }
                default:
                    throw in.malformed(kindAt, "expected column kind 'n', 'u', 't' or 'b' for column " + (i + 1)
                            + " of " + count + ", found " + describe(kind));
            }
        }
        return Row.wrap(values);
    }

    private TidelineException valueError(int at, CachedRelation relation, ColumnSchema column, TidelineException cause) {
        return in.malformed(at, "column \"" + column.name() + "\" of " + relation.schema.table() + ": " + cause.getMessage(),
                cause.hint(), cause);
    }

    private static Instant timestamp(long microsSince2000) {
        return Instant.ofEpochSecond(PG_EPOCH_SECOND + Math.floorDiv(microsSince2000, 1_000_000L),
                Math.floorMod(microsSince2000, 1_000_000L) * 1000);
    }

    /** pgoutput sends an empty namespace for pg_catalog. */
    private static String catalogNamespace(String namespace) {
        return namespace.isEmpty() ? "pg_catalog" : namespace;
    }

    private static String describe(byte b) {
        String hex = String.format("0x%02X", b & 0xFF);
        return b >= 0x20 && b < 0x7F ? "'" + (char) b + "' (" + hex + ")" : hex;
    }

    /** A relation's schema with its columns in an array: the tuple loop indexes it once per value. */
    private static final class CachedRelation {
        final RelationSchema schema;
        final ColumnSchema[] columns;

        CachedRelation(RelationSchema schema) {
            this.schema = schema;
            this.columns = schema.columns().toArray(new ColumnSchema[0]);
        }
    }
}
