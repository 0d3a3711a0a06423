package dev.tideline.core.wire;

import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.value.PgInterval;
import dev.tideline.core.value.PgSpecial;
import dev.tideline.core.value.UnchangedToast;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/** A growable, reusable byte buffer with the body's primitive encodings. Not thread-safe. */
final class WireWriter {

    private byte[] buf;
    private int pos;

    WireWriter(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    int size() {
        return pos;
    }

    void reset() {
        pos = 0;
    }

    /** Drops everything written after {@code size}; used to take back a row that did not fit. */
    void truncate(int size) {
        pos = size;
    }

    byte[] toArray() {
        return Arrays.copyOf(buf, pos);
    }

    void copyTo(byte[] target, int offset) {
        System.arraycopy(buf, 0, target, offset, pos);
    }

    private void ensure(int n) {
        if (pos + n > buf.length) {
            long wanted = Math.max((long) buf.length * 2, (long) pos + n);
            if (wanted > Integer.MAX_VALUE - 16) {
                throw new IllegalStateException("message body over 2 GiB");
            }
            buf = Arrays.copyOf(buf, (int) wanted);
        }
    }

    /** The buffer itself (valid up to {@link #size()}); for copying rows out without a copy of the whole. */
    byte[] array() {
        return buf;
    }

    /** Appends {@code b[off, off + len)} as is. */
    void raw(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, pos, len);
        pos += len;
    }

    void u8(int v) {
        ensure(1);
        buf[pos++] = (byte) v;
    }

    void u64(long v) {
        ensure(8);
        for (int shift = 56; shift >= 0; shift -= 8) {
            buf[pos++] = (byte) (v >>> shift);
        }
    }

    void u32(int v) {
        ensure(4);
        buf[pos++] = (byte) (v >>> 24);
        buf[pos++] = (byte) (v >>> 16);
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
    }

    /** Unsigned LEB128. */
    void uvarint(long v) {
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[pos++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[pos++] = (byte) v;
    }

    /** Zigzag, then unsigned LEB128. */
    void svarint(long v) {
        uvarint((v << 1) ^ (v >> 63));
    }

    static int uvarintSize(long v) {
        int n = 1;
        while ((v & ~0x7FL) != 0) {
            v >>>= 7;
            n++;
        }
        return n;
    }

    void bytes(byte[] b) {
        uvarint(b.length);
        ensure(b.length);
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
    }

    void str(String s) {
        int n = s.length();
        // ASCII fast path: write the chars straight into the buffer, no intermediate byte[].
        if (n < 128) {
            ensure(n + 1);
            int start = pos;
            buf[pos++] = (byte) n;
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                if (c >= 0x80) {
                    pos = start;
                    bytes(s.getBytes(StandardCharsets.UTF_8));
                    return;
                }
                buf[pos++] = (byte) c;
            }
            return;
        }
        bytes(s.getBytes(StandardCharsets.UTF_8));
    }

    void instant(Instant t) {
        svarint(t.getEpochSecond());
        uvarint(t.getNano());
    }

    void schema(RelationSchema schema) {
        uvarint(Integer.toUnsignedLong(schema.relationOid()));
        str(schema.table().schema());
        str(schema.table().name());
        u8(schema.replicaIdentity().code());
        uvarint(schema.columnCount());
        for (ColumnSchema column : schema.columns()) {
            str(column.name());
            uvarint(Integer.toUnsignedLong(column.typeOid()));
            svarint(column.typeModifier());
            u8(column.key() ? 1 : 0);
        }
    }

    /**
     * Writes a row's values (no count: the schema gives it).
     *
     * @throws IllegalArgumentException naming the column when a value has no wire tag
     */
    void row(Row row, RelationSchema schema) {
        int n = row.size();
        for (int i = 0; i < n; i++) {
            Object v = row.get(i);
            try {
                value(v, 0);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("column \"" + schema.column(i).name() + "\" of " + schema.table() + ": "
                        + e.getMessage(), e);
            }
        }
    }

    void value(Object v, int depth) {
        // Ordered by how common the types are in practice.
        if (v == null) {
            u8(ValueTag.NULL);
        } else if (v instanceof String s) {
            u8(ValueTag.STRING);
            str(s);
        } else if (v instanceof Integer i) {
            u8(ValueTag.INT4);
            svarint(i);
        } else if (v instanceof Long l) {
            u8(ValueTag.INT8);
            svarint(l);
        } else if (v instanceof BigDecimal d) {
            decimal(d);
        } else if (v instanceof Instant t) {
            u8(ValueTag.TIMESTAMPTZ);
            instant(t);
        } else if (v instanceof Boolean b) {
            u8(b ? ValueTag.TRUE : ValueTag.FALSE);
        } else if (v instanceof Short s) {
            u8(ValueTag.INT2);
            svarint(s);
        } else if (v instanceof Double d) {
            u8(ValueTag.FLOAT8);
            u64(Double.doubleToRawLongBits(d));
        } else if (v instanceof Float f) {
            u8(ValueTag.FLOAT4);
            u32(Float.floatToRawIntBits(f));
        } else if (v instanceof LocalDateTime t) {
            u8(ValueTag.TIMESTAMP);
            svarint(t.toEpochSecond(ZoneOffset.UTC));
            uvarint(t.getNano());
        } else if (v instanceof LocalDate d) {
            u8(ValueTag.DATE);
            svarint(d.toEpochDay());
        } else if (v instanceof UUID u) {
            u8(ValueTag.UUID);
            u64(u.getMostSignificantBits());
            u64(u.getLeastSignificantBits());
        } else if (v instanceof byte[] b) {
            u8(ValueTag.BYTES);
            bytes(b);
        } else if (v == UnchangedToast.VALUE) {
            u8(ValueTag.UNCHANGED_TOAST);
        } else if (v instanceof LocalTime t) {
            u8(ValueTag.TIME);
            uvarint(t.toNanoOfDay());
        } else if (v instanceof OffsetTime t) {
            u8(ValueTag.TIMETZ);
            uvarint(t.toLocalTime().toNanoOfDay());
            svarint(t.getOffset().getTotalSeconds());
        } else if (v instanceof PgInterval i) {
            u8(ValueTag.INTERVAL);
            svarint(i.months());
            svarint(i.days());
            svarint(i.microseconds());
        } else if (v instanceof PgSpecial s) {
            u8(ValueTag.SPECIAL);
            u8(s == PgSpecial.NAN ? 0 : s == PgSpecial.POSITIVE_INFINITY ? 1 : 2);
        } else if (v instanceof List<?> list) {
            if (depth >= ValueTag.MAX_LIST_DEPTH) {
                throw new IllegalArgumentException("lists nest deeper than " + ValueTag.MAX_LIST_DEPTH + " levels");
            }
            u8(ValueTag.LIST);
            uvarint(list.size());
            for (Object element : list) {
                value(element, depth + 1);
            }
        } else {
            throw new IllegalArgumentException("a value of Java type " + v.getClass().getName()
                    + " has no wire encoding (see dev.tideline.core.change.Row for the allowed types)");
        }
    }

    private void decimal(BigDecimal d) {
        BigInteger unscaled = d.unscaledValue();
        if (unscaled.bitLength() < 64) {
            u8(ValueTag.DECIMAL);
            svarint(d.scale());
            svarint(unscaled.longValue());
        } else {
            u8(ValueTag.BIG_DECIMAL);
            svarint(d.scale());
            bytes(unscaled.toByteArray());
        }
    }
}
