package dev.tideline.sync.delta;

import dev.tideline.delta.CloseableIterators;
import dev.tideline.delta.kernel.KernelInternals;
import io.delta.kernel.Scan;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.MapValue;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.engine.FileReadResult;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.types.BinaryType;
import io.delta.kernel.types.BooleanType;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.MetadataColumnSpec;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.FileStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.function.LongPredicate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads single data files of a Delta table as logical rows. Kernel 4.4 has no public way to read one
 * data file with its deletion vector and partition values, except through a "scan file" row; the
 * change reader needs that for files named by {@code add}/{@code remove}/{@code cdc} actions of older
 * versions, so this class builds such rows ({@link KernelInternals#scanFileRow}, like every use of
 * Kernel's internal classes, behind the facade in {@code dev.tideline.delta.kernel}).
 */
final class KernelFiles {

    private KernelFiles() {
    }

    /**
     * A file action's partition values with every partition column present. Spark writes the {@code remove} of a
     * file whose partition values are all NULL with an empty map ({@code "partitionValues":{}}; its {@code add} had
     * {@code {"p": null}}), and Kernel's {@code transformPhysicalData} adds partition columns only for a non-empty
     * map — so such a file came back without them and the rename to the logical schema failed ("Given new schema
     * data type is not same as the existing schema"). Missing columns are NULL, which is what an absent value means.
     *
     * @param physicalPartitionColumns the table's partition columns by physical name (the map's keys)
     */
    static MapValue partitionValues(MapValue given, List<String> physicalPartitionColumns) {
        if (physicalPartitionColumns.isEmpty()) {
            return given;
        }
        Map<String, String> values = given == null ? new HashMap<>() : new HashMap<>(KernelInternals.toJavaMap(given));
        if (values.keySet().containsAll(physicalPartitionColumns)) {
            return given;
        }
        for (String column : physicalPartitionColumns) {
            values.putIfAbsent(column, null);
        }
        return KernelInternals.stringMapValue(values);
    }

    /** The table root recorded in a scan state. */
    static String tableRoot(Row scanState) {
        return KernelInternals.tableRoot(scanState);
    }

    /** The physical schema Parquet files are read with (includes the row index column when deletion vectors exist). */
    static StructType physicalReadSchema(Row scanState) {
        return KernelInternals.physicalReadSchema(scanState);
    }

    private static final java.util.regex.Pattern NUM_RECORDS = java.util.regex.Pattern.compile("\"numRecords\"\\s*:\\s*(\\d+)");

    /**
     * Live rows of a scan file (read with statistics): {@code numRecords} of its statistics minus
     * its deletion vector's cardinality; {@code -1} when the writer recorded no statistics.
     */
    static long liveRows(Row scanFile) {
        Row add = scanFile.getStruct(scanFile.getSchema().indexOf("add"));
        int statsOrdinal = add.getSchema().indexOf("stats");
        if (statsOrdinal < 0 || add.isNullAt(statsOrdinal)) {
            return -1;
        }
        java.util.regex.Matcher m = NUM_RECORDS.matcher(add.getString(statsOrdinal));
        if (!m.find()) {
            return -1;
        }
        long rows = Long.parseLong(m.group(1));
        int dvOrdinal = add.getSchema().indexOf("deletionVector");
        if (dvOrdinal >= 0 && !add.isNullAt(dvOrdinal)) {
            Row dv = add.getStruct(dvOrdinal);
            int cardinality = dv.getSchema().indexOf("cardinality");
            if (cardinality >= 0 && !dv.isNullAt(cardinality)) {
                rows -= dv.getLong(cardinality);
            }
        }
        return rows;
    }

    static FileStatus fileStatus(Row scanFile) {
        return KernelInternals.fileStatusOf(scanFile);
    }

    /**
     * Top-level STRING columns read as BINARY: the Parquet reader then hands over the UTF-8 bytes
     * as stored, which binary COPY sends as they are, instead of decoding each value into a Java
     * string that is encoded straight back (a quarter of a snapshot's Java time). Only without
     * column mapping: Kernel then renames the batch to the logical schema and insists the types
     * match. {@code CopyRowEncoder} accepts both forms.
     */
    private static StructType stringsAsBinary(StructType physical) {
        StructType out = new StructType();
        for (StructField field : physical.fields()) {
            out = out.add(field.getDataType() instanceof StringType
                    ? new StructField(field.getName(), BinaryType.BINARY, field.isNullable(), field.getMetadata())
                    : field);
        }
        return out;
    }

    /**
     * Reads the rows at some positions of one data file, ignoring its deletion vector: the batches
     * come with a selection vector marking the rows whose Parquet row index {@code positions} accepts.
     * With a scan state of a few columns (e.g. the primary key) this is the cheap way to learn which
     * keys a deletion vector removed. The caller closes the iterator.
     *
     * @param scanFile  a scan-file row without deletion vector (see {@link KernelInternals#scanFileRow})
     * @param positions the row indexes wanted (a test per row, so that no array of them need be held)
     */
    static CloseableIterator<FilteredColumnarBatch> readPositions(Engine engine, Row scanState, Row scanFile, LongPredicate positions) {
        StructType physical = fileReadSchema(scanState);
        if (!physical.contains(MetadataColumnSpec.ROW_INDEX)) {
            // An internal column: transformPhysicalData drops it again from what it returns.
            physical = physical.add(StructField.DEFAULT_ROW_INDEX_COLUMN);
        }
        int rowIndex = physical.indexOf(MetadataColumnSpec.ROW_INDEX);
        // transformPhysicalData maps batches one to one and in order, and drops the row index column:
        // the selection is computed from each raw batch on its way in and attached on its way out.
        ArrayDeque<boolean[]> selections = new ArrayDeque<>();
        try {
            CloseableIterator<ColumnarBatch> data = parquetBatches(engine, scanFile, physical)
                    .map(batch -> {
                        selections.add(select(batch.getColumnVector(rowIndex), batch.getSize(), positions));
                        return batch;
                    });
            return Scan.transformPhysicalData(engine, scanState, scanFile, data)
                    .map(batch -> new FilteredColumnarBatch(batch.getData(), Optional.of(new SelectionVector(selections.poll()))));
        } catch (IOException e) {
            throw new UncheckedIOException("reading Delta data file " + fileStatus(scanFile).getPath() + " failed", e);
        }
    }

    private static boolean[] select(ColumnVector rowIndexes, int size, LongPredicate positions) {
        boolean[] selected = new boolean[size];
        for (int i = 0; i < size; i++) {
            selected[i] = positions.test(rowIndexes.getLong(i));
        }
        return selected;
    }

    /** A boolean column vector over an array, the selection vector of {@link #readPositions}. */
    private record SelectionVector(boolean[] selected) implements ColumnVector {
        @Override
        public DataType getDataType() {
            return BooleanType.BOOLEAN;
        }

        @Override
        public int getSize() {
            return selected.length;
        }

        @Override
        public void close() {
        }

        @Override
        public boolean isNullAt(int rowId) {
            return false;
        }

        @Override
        public boolean getBoolean(int rowId) {
            return selected[rowId];
        }
    }

    /**
     * Reads one data file as logical rows: deletion vector applied (as a selection vector),
     * partition columns added from the scan file's partition values, column mapping undone (the
     * physical names are those of the scan state's schema). The caller closes the iterator.
     */
    static CloseableIterator<FilteredColumnarBatch> read(Engine engine, Row scanState, Row scanFile) {
        try {
            return Scan.transformPhysicalData(engine, scanState, scanFile, parquetBatches(engine, scanFile, fileReadSchema(scanState)));
        } catch (IOException e) {
            throw new UncheckedIOException("reading Delta data file " + fileStatus(scanFile).getPath() + " failed", e);
        }
    }

    /**
     * Reads one change data file (a {@code cdc} action's {@code _change_data} file) as logical rows
     * with its {@code changeType} column last. Kernel's {@code transformPhysicalData} accepts exactly the
     * table's physical columns — it adds the partition columns and insists that their count plus the
     * batch's equals the logical schema's — so an extra physical column only got through on unpartitioned
     * tables. The change type is therefore read alongside, taken out of each batch before the transform
     * and put back after it (the transform maps batches one to one, in order). Partition values come
     * from the {@code cdc} action, as Spark writes change data files without the partition columns.
     */
    static CloseableIterator<FilteredColumnarBatch> readChangeData(Engine engine, Row scanState, Row scanFile, StructField changeType) {
        StructType physical = fileReadSchema(scanState).add(changeType);
        int ordinal = physical.length() - 1;
        ArrayDeque<ColumnVector> changeTypes = new ArrayDeque<>();
        try {
            CloseableIterator<ColumnarBatch> data = parquetBatches(engine, scanFile, physical)
                    .map(batch -> {
                        changeTypes.add(batch.getColumnVector(ordinal));
                        return batch.withDeletedColumnAt(ordinal);
                    });
            return Scan.transformPhysicalData(engine, scanState, scanFile, data)
                    .map(batch -> new FilteredColumnarBatch(
                            batch.getData().withNewColumn(batch.getData().getSchema().length(), changeType, changeTypes.poll()),
                            batch.getSelectionVector()));
        } catch (IOException e) {
            throw new UncheckedIOException("reading Delta change data file " + fileStatus(scanFile).getPath() + " failed", e);
        }
    }

    /** The physical columns to read from a data file; strings as raw UTF-8 bytes when no column mapping renames them. */
    private static StructType fileReadSchema(Row scanState) {
        StructType physical = physicalReadSchema(scanState);
        if (!KernelInternals.hasColumnMapping(scanState)) {
            physical = stringsAsBinary(physical);
        }
        return physical;
    }

    /** The data file's Parquet batches in {@code physical}'s columns. */
    private static CloseableIterator<ColumnarBatch> parquetBatches(Engine engine, Row scanFile, StructType physical) throws IOException {
        FileStatus file = fileStatus(scanFile);
        if (file.getSize() <= 0) {
            // Older writers leave the size out of remove/cdc actions; the Parquet reader needs the real one.
            file = engine.getFileSystemClient().getFileStatus(file.getPath());
        }
        return engine.getParquetHandler().readParquetFiles(CloseableIterators.singleton(file), physical, Optional.empty())
                .map(FileReadResult::getData);
    }
}
