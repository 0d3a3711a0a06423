package dev.tideline.sync.delta;

import dev.tideline.sync.types.RowKey;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.EOFException;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/**
 * The binary form of a {@link ChangeImage} in a spill file, with the version and file it was read
 * from: {@code int version index, int file index, byte change, int key length, key, int row length
 * (-1: none), row, timeseries value (a type byte, then the value)}. The key and row are already
 * binary COPY tuples, so nothing is formatted; a spill file is a sequence of these records.
 */
final class ImageCodec {

    private static final byte TS_NULL = 0;
    private static final byte TS_LONG = 1;
    private static final byte TS_INT = 2;
    private static final byte TS_SHORT = 3;
    private static final byte TS_BYTE = 4;
    private static final byte TS_DOUBLE = 5;
    private static final byte TS_FLOAT = 6;
    private static final byte TS_DECIMAL = 7;
    private static final byte TS_STRING = 8;

    private ImageCodec() {
    }

    /** An image with the version and file it came from. */
    record Tagged(int version, int file, ChangeImage image) {
    }

    static void write(DataOutput out, int version, int file, ChangeImage image) throws IOException {
        out.writeInt(version);
        out.writeInt(file);
        out.writeByte(image.change());
        byte[] key = image.key().bytes();
        out.writeInt(key.length);
        out.write(key);
        if (image.row() == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(image.row().length);
            out.write(image.row());
        }
        writeTimeseries(out, image.ts());
    }

    /** The next record, or {@code null} at the end of the file. */
    static Tagged read(DataInput in) throws IOException {
        int version;
        try {
            version = in.readInt();
        } catch (EOFException end) {
            return null;
        }
        int file = in.readInt();
        byte change = in.readByte();
        byte[] key = new byte[in.readInt()];
        in.readFully(key);
        int rowLength = in.readInt();
        byte[] row = null;
        if (rowLength >= 0) {
            row = new byte[rowLength];
            in.readFully(row);
        }
        return new Tagged(version, file, new ChangeImage(new RowKey(key), row, readTimeseries(in), change));
    }

    @SuppressWarnings("rawtypes")
    private static void writeTimeseries(DataOutput out, Comparable ts) throws IOException {
        if (ts == null) {
            out.writeByte(TS_NULL);
        } else if (ts instanceof Long v) {
            out.writeByte(TS_LONG);
            out.writeLong(v);
        } else if (ts instanceof Integer v) {
            out.writeByte(TS_INT);
            out.writeInt(v);
        } else if (ts instanceof Short v) {
            out.writeByte(TS_SHORT);
            out.writeShort(v);
        } else if (ts instanceof Byte v) {
            out.writeByte(TS_BYTE);
            out.writeByte(v);
        } else if (ts instanceof Double v) {
            out.writeByte(TS_DOUBLE);
            out.writeDouble(v);
        } else if (ts instanceof Float v) {
            out.writeByte(TS_FLOAT);
            out.writeFloat(v);
        } else if (ts instanceof BigDecimal v) {
            out.writeByte(TS_DECIMAL);
            out.writeInt(v.scale());
            byte[] unscaled = v.unscaledValue().toByteArray();
            out.writeInt(unscaled.length);
            out.write(unscaled);
        } else if (ts instanceof String v) {
            out.writeByte(TS_STRING);
            byte[] utf8 = v.getBytes(StandardCharsets.UTF_8);
            out.writeInt(utf8.length);
            out.write(utf8);
        } else {
            throw new IllegalArgumentException("timeseries value of type " + ts.getClass().getName() + " cannot be spilled");
        }
    }

    @SuppressWarnings("rawtypes")
    private static Comparable readTimeseries(DataInput in) throws IOException {
        byte type = in.readByte();
        return switch (type) {
            case TS_NULL -> null;
            case TS_LONG -> in.readLong();
            case TS_INT -> in.readInt();
            case TS_SHORT -> in.readShort();
            case TS_BYTE -> in.readByte();
            case TS_DOUBLE -> in.readDouble();
            case TS_FLOAT -> in.readFloat();
            case TS_DECIMAL -> {
                int scale = in.readInt();
                byte[] unscaled = new byte[in.readInt()];
                in.readFully(unscaled);
                yield new BigDecimal(new BigInteger(unscaled), scale);
            }
            case TS_STRING -> {
                byte[] utf8 = new byte[in.readInt()];
                in.readFully(utf8);
                yield new String(utf8, StandardCharsets.UTF_8);
            }
            default -> throw new IOException("corrupt spill record: timeseries type " + type);
        };
    }
}
