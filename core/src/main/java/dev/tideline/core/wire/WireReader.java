package dev.tideline.core.wire;

import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import dev.tideline.core.value.PgBinaryValues;
import dev.tideline.core.value.PgInterval;
import dev.tideline.core.value.PgSpecial;
import dev.tideline.core.value.UnchangedToast;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Reads a body with bounds checks on every field: malformed input ends in a
 * {@link TidelineException} naming the field and the byte offset, never in an
 * {@code ArrayIndexOutOfBoundsException} or an allocation sized by a corrupt length.
 */
final class WireReader {

    private final byte[] buf;
    private final int end;
    private int pos;
    // Where we are, for error messages; plain ints so the hot path allocates nothing.
    private int rowIndex = -1;
    private int columnIndex = -1;
    private RelationSchema schema;
    /** Format 1 bodies have no pg-binary tag; set from the body's version byte. */
    private boolean pgBinaryAllowed = true;

    WireReader(byte[] buf) {
        this.buf = buf;
        this.end = buf.length;
    }

    /** Reads the rows in {@code buf[from, to)} of a table of the given shape (no body around them). */
    WireReader(byte[] buf, int from, int to, RelationSchema schema) {
        this.buf = buf;
        this.pos = from;
        this.end = to;
        this.schema = schema;
    }

    void formatVersion(int version) {
        pgBinaryAllowed = version >= 2;
    }

    int position() {
        return pos;
    }

    int remaining() {
        return end - pos;
    }

    void at(int rowIndex, int columnIndex) {
        this.rowIndex = rowIndex;
        this.columnIndex = columnIndex;
    }

    TidelineException error(String field, int offset, String detail) {
        StringBuilder where = new StringBuilder();
        if (rowIndex >= 0) {
            where.append(" of row ").append(rowIndex);
            if (columnIndex >= 0) {
                where.append(", column ").append(columnIndex);
                if (schema != null && columnIndex < schema.columnCount()) {
                    where.append(" \"").append(schema.column(columnIndex).name()).append('"');
                }
            }
        }
        return new TidelineException(TidelineException.Kind.FATAL,
                "corrupt Tideline message: field '" + field + "'" + where + " at byte offset " + offset + ": " + detail,
                "the message was damaged or not written by a Tideline gateway; inspect it with 'nats stream get' "
                        + "and, if the stream holds corrupt data, run a full refresh of the table");
    }

    private void need(int n, String field) {
        if (n > end - pos) {
            throw error(field, pos, "needs " + n + " byte(s) but the body ends after " + (end - pos));
        }
    }

    int u8(String field) {
        need(1, field);
        return buf[pos++] & 0xFF;
    }

    long u64(String field) {
        need(8, field);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (buf[pos++] & 0xFF);
        }
        return v;
    }

    int u32(String field) {
        need(4, field);
        int v = ((buf[pos] & 0xFF) << 24) | ((buf[pos + 1] & 0xFF) << 16) | ((buf[pos + 2] & 0xFF) << 8) | (buf[pos + 3] & 0xFF);
        pos += 4;
        return v;
    }

    long uvarint(String field) {
        int start = pos;
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) {
                throw error(field, start, "varint runs past the end of the body");
            }
            int b = buf[pos++];
            if (shift == 63 && (b & 0xFE) != 0) {
                throw error(field, start, "varint overflows 64 bits");
            }
            v |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return v;
            }
        }
        throw error(field, start, "varint longer than 10 bytes");
    }

    long svarint(String field) {
        long v = uvarint(field);
        return (v >>> 1) ^ -(v & 1);
    }

    /** An unsigned varint that must fit a non-negative int (counts, sequence numbers). */
    int count(String field) {
        int start = pos;
        long v = uvarint(field);
        if (v > Integer.MAX_VALUE) {
            throw error(field, start, "value " + Long.toUnsignedString(v) + " does not fit a 31-bit count");
        }
        return (int) v;
    }

    /** A non-negative long (ordinals, row counts, xids). */
    long nonNegative(String field) {
        int start = pos;
        long v = uvarint(field);
        if (v < 0) {
            throw error(field, start, "value " + Long.toUnsignedString(v) + " exceeds 2^63-1");
        }
        return v;
    }

    int oid(String field) {
        int start = pos;
        long v = uvarint(field);
        if (v > 0xFFFF_FFFFL || v < 0) {
            throw error(field, start, "OID " + Long.toUnsignedString(v) + " does not fit 32 bits");
        }
        return (int) v;
    }

    int int32(String field) {
        int start = pos;
        long v = svarint(field);
        if (v != (int) v) {
            throw error(field, start, "value " + v + " does not fit 32 bits");
        }
        return (int) v;
    }

    /** Validates a length prefix against what is left, before anything is allocated. */
    private int length(String field) {
        int start = pos;
        long len = uvarint(field);
        if (len < 0 || len > end - pos) {
            throw error(field, start, "length " + Long.toUnsignedString(len) + " exceeds the " + (end - pos) + " byte(s) left");
        }
        return (int) len;
    }

    String str(String field) {
        int len = length(field);
        String s = new String(buf, pos, len, StandardCharsets.UTF_8);
        pos += len;
        return s;
    }

    byte[] bytes(String field) {
        int len = length(field);
        byte[] b = new byte[len];
        System.arraycopy(buf, pos, b, 0, len);
        pos += len;
        return b;
    }

    Instant instant(String field) {
        int start = pos;
        long seconds = svarint(field);
        long nanos = uvarint(field);
        if (nanos < 0 || nanos > 999_999_999L) {
            throw error(field, start, "nanoseconds " + Long.toUnsignedString(nanos) + " out of range");
        }
        try {
            return Instant.ofEpochSecond(seconds, nanos);
        } catch (DateTimeException e) {
            throw error(field, start, "instant out of range: " + e.getMessage());
        }
    }

    TableId tableId(String field) {
        int start = pos;
        String schemaName = str(field + ".schema");
        String tableName = str(field + ".name");
        try {
            return TableId.of(schemaName, tableName);
        } catch (IllegalArgumentException e) {
            throw error(field, start, e.getMessage());
        }
    }

    RelationSchema schema() {
        int relationOid = oid("schema.relation_oid");
        TableId table = tableId("schema.table");
        int identityStart = pos;
        int identityCode = u8("schema.replica_identity");
        ReplicaIdentity identity;
        try {
            identity = ReplicaIdentity.fromCode((char) identityCode);
        } catch (IllegalArgumentException e) {
            throw error("schema.replica_identity", identityStart, e.getMessage());
        }
        int countStart = pos;
        int columnCount = count("schema.column_count");
        // Each column takes at least 4 bytes (empty name, oid, typmod, flags).
        if (columnCount > remaining() / 4) {
            throw error("schema.column_count", countStart, columnCount + " columns cannot fit in the " + remaining() + " byte(s) left");
        }
        List<ColumnSchema> columns = new ArrayList<>(columnCount);
        for (int i = 0; i < columnCount; i++) {
            String name = str("schema.column.name");
            int typeOid = oid("schema.column.type_oid");
            int typmod = int32("schema.column.type_modifier");
            int flagsAt = pos;
            int flags = u8("schema.column.flags");
            if ((flags & ~1) != 0) {
                throw error("schema.column.flags", flagsAt, "unknown flag bits 0x" + Integer.toHexString(flags));
            }
            columns.add(new ColumnSchema(name, typeOid, typmod, (flags & 1) != 0));
        }
        RelationSchema result = new RelationSchema(relationOid, table, identity, columns);
        this.schema = result;
        return result;
    }

    Row row(int columnCount) {
        Object[] values = new Object[columnCount];
        for (int i = 0; i < columnCount; i++) {
            columnIndex = i;
            values[i] = value(0);
        }
        columnIndex = -1;
        return Row.wrap(values);
    }

    Object value(int depth) {
        int start = pos;
        int tag = u8("value.tag");
        switch (tag) {
            case ValueTag.NULL:
                return null;
            case ValueTag.UNCHANGED_TOAST:
                return UnchangedToast.VALUE;
            case ValueTag.FALSE:
                return Boolean.FALSE;
            case ValueTag.TRUE:
                return Boolean.TRUE;
            case ValueTag.INT2: {
                long v = svarint("value.int2");
                if (v != (short) v) {
                    throw error("value.int2", start, v + " does not fit int2");
                }
                return (short) v;
            }
            case ValueTag.INT4: {
                long v = svarint("value.int4");
                if (v != (int) v) {
                    throw error("value.int4", start, v + " does not fit int4");
                }
                return (int) v;
            }
            case ValueTag.INT8:
                return svarint("value.int8");
            case ValueTag.FLOAT4:
                return Float.intBitsToFloat(u32("value.float4"));
            case ValueTag.FLOAT8:
                return Double.longBitsToDouble(u64("value.float8"));
            case ValueTag.DECIMAL: {
                int scale = int32("value.decimal.scale");
                return BigDecimal.valueOf(svarint("value.decimal.unscaled"), scale);
            }
            case ValueTag.BIG_DECIMAL: {
                int scale = int32("value.decimal.scale");
                int lenAt = pos;
                byte[] unscaled = bytes("value.decimal.unscaled");
                if (unscaled.length == 0) {
                    throw error("value.decimal.unscaled", lenAt, "empty two's-complement integer");
                }
                return new BigDecimal(new BigInteger(unscaled), scale);
            }
            case ValueTag.SPECIAL: {
                int code = u8("value.special");
                switch (code) {
                    case 0:
                        return PgSpecial.NAN;
                    case 1:
                        return PgSpecial.POSITIVE_INFINITY;
                    case 2:
                        return PgSpecial.NEGATIVE_INFINITY;
                    default:
                        throw error("value.special", pos - 1, "unknown special value code " + code);
                }
            }
            case ValueTag.STRING:
                return str("value.string");
            case ValueTag.BYTES:
                return bytes("value.bytes");
            case ValueTag.DATE: {
                long day = svarint("value.date");
                try {
                    return LocalDate.ofEpochDay(day);
                } catch (DateTimeException e) {
                    throw error("value.date", start, "epoch day " + day + " out of range");
                }
            }
            case ValueTag.TIME:
                return LocalTime.ofNanoOfDay(nanoOfDay("value.time", start));
            case ValueTag.TIMETZ: {
                LocalTime time = LocalTime.ofNanoOfDay(nanoOfDay("value.timetz", start));
                int offset = int32("value.timetz.offset");
                try {
                    return OffsetTime.of(time, ZoneOffset.ofTotalSeconds(offset));
                } catch (DateTimeException e) {
                    throw error("value.timetz.offset", start, "offset " + offset + "s out of range");
                }
            }
            case ValueTag.TIMESTAMP: {
                long seconds = svarint("value.timestamp");
                long nanos = uvarint("value.timestamp.nanos");
                if (nanos < 0 || nanos > 999_999_999L) {
                    throw error("value.timestamp.nanos", start, "nanoseconds out of range");
                }
                try {
                    return LocalDateTime.ofEpochSecond(seconds, (int) nanos, ZoneOffset.UTC);
                } catch (DateTimeException e) {
                    throw error("value.timestamp", start, "timestamp out of range");
                }
            }
            case ValueTag.TIMESTAMPTZ:
                return instant("value.timestamptz");
            case ValueTag.INTERVAL: {
                int months = int32("value.interval.months");
                int days = int32("value.interval.days");
                return new PgInterval(months, days, svarint("value.interval.microseconds"));
            }
            case ValueTag.UUID:
                return new UUID(u64("value.uuid"), u64("value.uuid"));
            case ValueTag.LIST: {
                if (depth >= ValueTag.MAX_LIST_DEPTH) {
                    throw error("value.list", start, "lists nest deeper than " + ValueTag.MAX_LIST_DEPTH + " levels");
                }
                int countAt = pos;
                int count = count("value.list.count");
                if (count > remaining()) {
                    throw error("value.list.count", countAt, count + " elements cannot fit in the " + remaining() + " byte(s) left");
                }
                List<Object> list = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    list.add(value(depth + 1));
                }
                // Unmodifiable but null-tolerant, like the decoder's own lists.
                return java.util.Collections.unmodifiableList(list);
            }
            case ValueTag.PG_BINARY:
                return pgBinary(depth, start);
            default:
                throw error("value.tag", start, "unknown value tag " + tag);
        }
    }

    /** The column a pg-binary value belongs to; such values exist only as column values of a format 2 row. */
    private ColumnSchema pgColumn(int tag, String field, int depth, int start) {
        if (!pgBinaryAllowed) {
            throw error("value.tag", start, "unknown value tag " + tag + " in a format 1 body");
        }
        if (depth != 0 || schema == null || columnIndex < 0 || columnIndex >= schema.columnCount()) {
            throw error(field, start, "a pg-binary value is allowed only as a column value of a row");
        }
        return schema.column(columnIndex);
    }

    /** A column value in Postgres' binary send form, typed by its column's type OID. */
    private Object pgBinary(int depth, int start) {
        ColumnSchema column = pgColumn(ValueTag.PG_BINARY, "value.pg_binary", depth, start);
        if (!PgBinaryValues.isTyped(column.typeOid())) {
            throw error("value.pg_binary", start, "type oid " + Integer.toUnsignedString(column.typeOid())
                    + " has no typed binary decoding, so it cannot be sent as a pg-binary value");
        }
        int len = length("value.pg_binary");
        Object value;
        try {
            value = PgBinaryValues.decode(column.typeOid(), column.typeModifier(), buf, pos, len);
        } catch (TidelineException e) {
            throw error("value.pg_binary", start, e.getMessage());
        }
        pos += len;
        return value;
    }

    private long nanoOfDay(String field, int start) {
        long nanos = uvarint(field);
        if (nanos < 0 || nanos >= 86_400_000_000_000L) {
            throw error(field, start, "nano of day " + Long.toUnsignedString(nanos) + " out of range");
        }
        return nanos;
    }

    void expectEnd() {
        if (pos != end) {
            rowIndex = -1;
            throw error("end", pos, (end - pos) + " unexpected trailing byte(s)");
        }
    }
}
