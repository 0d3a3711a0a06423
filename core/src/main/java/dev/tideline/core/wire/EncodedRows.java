package dev.tideline.core.wire;

import dev.tideline.core.change.Row;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.value.PgBinaryValues;
import java.util.Arrays;
import java.util.Objects;

/**
 * Rows of one table already in their wire encoding, built value by value from what Postgres sent
 * (a {@code COPY … (FORMAT binary)} field goes in as is, behind a tag and a length) so that a
 * producer never decodes a value it only passes on. {@link SnapshotBatchBuilder#add(EncodedRows, int)}
 * copies such rows into a batch; {@link #row} and {@link #value} decode one when it must be looked at
 * (keys, for example) into exactly the values a consumer will read.
 *
 * <p>Per column, {@link #acceptsPgBinary} says which form a value may take: the binary send form
 * for types {@link PgBinaryValues#isTyped} accepts, the text output form ({@link #addText}) for all
 * others, which then reach consumers as strings, as from the text decoder. Rows appended with
 * {@link #addRow(Row)} are encoded from typed values like any batch row. Not thread-safe.
 */
public final class EncodedRows {

    private final RelationSchema schema;
    private final boolean[] binaryColumns;
    private final WireWriter data;
    private int[] starts = new int[256];
    private int count;
    /** The next column of the row being built, or -1 when none is open. */
    private int column = -1;
    private boolean pgBinary;

    /**
     * @param schema       the rows' shape; every row has exactly its columns
     * @param initialBytes a guess of the encoded size, to size the buffer
     */
    public EncodedRows(RelationSchema schema, int initialBytes) {
        this.schema = Objects.requireNonNull(schema, "schema");
        this.binaryColumns = new boolean[schema.columnCount()];
        for (int i = 0; i < binaryColumns.length; i++) {
            binaryColumns[i] = PgBinaryValues.isTyped(schema.column(i).typeOid());
        }
        this.data = new WireWriter(initialBytes);
    }

    public RelationSchema schema() {
        return schema;
    }

    /** Whether values of this column go in binary ({@link #addPgBinary}); otherwise as text ({@link #addText}). */
    public boolean acceptsPgBinary(int column) {
        return binaryColumns[column];
    }

    /** Opens a row; its values follow in column order, then {@link #endRow()}. */
    public void startRow() {
        if (column >= 0) {
            throw new IllegalStateException("the previous row is not ended");
        }
        if (count == starts.length) {
            starts = Arrays.copyOf(starts, count * 2);
        }
        starts[count] = data.size();
        column = 0;
    }

    /** SQL NULL. */
    public void addNull() {
        column = current() + 1;
        data.u8(ValueTag.NULL);
    }

    /**
     * A value in Postgres' binary send form, {@code bytes[offset, offset + length)}.
     *
     * @throws IllegalArgumentException when the column does not {@linkplain #acceptsPgBinary accept} it
     */
    public void addPgBinary(byte[] bytes, int offset, int length) {
        int c = current();
        if (!binaryColumns[c]) {
            throw new IllegalArgumentException("column \"" + schema.column(c).name() + "\" of " + schema.table()
                    + " has a type without typed binary decoding; add its text form");
        }
        column++;
        data.u8(ValueTag.PG_BINARY);
        data.uvarint(length);
        data.raw(bytes, offset, length);
        pgBinary = true;
    }

    /**
     * A value in its type's text output form, UTF-8, {@code utf8[offset, offset + length)}; consumers
     * read it as a string.
     *
     * @throws IllegalArgumentException when the column {@linkplain #acceptsPgBinary takes binary} values
     */
    public void addText(byte[] utf8, int offset, int length) {
        int c = current();
        if (binaryColumns[c]) {
            throw new IllegalArgumentException("column \"" + schema.column(c).name() + "\" of " + schema.table()
                    + " has a typed binary decoding; add its binary form");
        }
        column++;
        data.u8(ValueTag.STRING);
        data.uvarint(length);
        data.raw(utf8, offset, length);
    }

    /** The column the next value is for. */
    private int current() {
        if (column < 0) {
            throw new IllegalStateException("startRow() first");
        }
        if (column == binaryColumns.length) {
            throw new IllegalArgumentException("a row of " + schema.table() + " has more than its " + binaryColumns.length + " columns");
        }
        return column;
    }

    /**
     * Closes the row.
     *
     * @throws IllegalArgumentException when it has fewer values than the schema has columns
     */
    public void endRow() {
        if (column != binaryColumns.length) {
            throw new IllegalArgumentException("a row of " + schema.table() + " has " + Math.max(column, 0) + " values but the schema has "
                    + binaryColumns.length + " columns");
        }
        column = -1;
        count++;
    }

    /**
     * Appends a row of typed values (see {@link Row} for the types).
     *
     * @throws IllegalArgumentException naming the column when a value has no wire encoding, or when
     *                                  the row's width is not the schema's
     */
    public void addRow(Row row) {
        if (row.size() != binaryColumns.length) {
            throw new IllegalArgumentException("a row of " + schema.table() + " has " + row.size() + " values but the schema has "
                    + binaryColumns.length + " columns");
        }
        startRow();
        int mark = data.size();
        try {
            data.row(row, schema);
        } catch (IllegalArgumentException e) {
            data.truncate(mark);
            column = -1;
            throw e;
        }
        column = -1;
        count++;
    }

    /** Appends row {@code index} of {@code from}, which must have the same columns. */
    public void addRow(EncodedRows from, int index) {
        if (!from.schema.columns().equals(schema.columns())) {
            throw new IllegalArgumentException("rows of a different shape of " + schema.table() + " cannot be mixed");
        }
        startRow();
        data.raw(from.data.array(), from.start(index), from.end(index) - from.start(index));
        pgBinary |= from.pgBinary;
        column = -1;
        count++;
    }

    /** The number of complete rows. */
    public int size() {
        return count;
    }

    /** The encoded size of all rows, in bytes. */
    public int byteSize() {
        return column >= 0 ? starts[count] : data.size();
    }

    /**
     * Row {@code index} decoded into typed values, as a consumer reads it.
     *
     * @throws dev.tideline.core.TidelineException (FATAL) when a binary value is not valid for its type
     */
    public Row row(int index) {
        WireReader r = new WireReader(data.array(), start(index), end(index), schema);
        return r.row(binaryColumns.length);
    }

    /** One value of row {@code index}, decoded as {@link #row} would. */
    public Object value(int index, int column) {
        return row(index).get(column);
    }

    boolean pgBinary() {
        return pgBinary;
    }

    byte[] buffer() {
        return data.array();
    }

    int start(int index) {
        Objects.checkIndex(index, count);
        return starts[index];
    }

    int end(int index) {
        Objects.checkIndex(index, count);
        return index + 1 < count ? starts[index + 1] : (column >= 0 ? starts[count] : data.size());
    }
}
