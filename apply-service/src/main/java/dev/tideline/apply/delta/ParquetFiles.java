package dev.tideline.apply.delta;

import dev.tideline.core.TableId;
import dev.tideline.delta.CloseableIterators;
import io.delta.kernel.DataWriteContext;
import io.delta.kernel.Scan;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.engine.FileReadResult;
import io.delta.kernel.expressions.Column;
import io.delta.kernel.statistics.DataFileStatistics;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.DataFileStatus;
import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Reads and writes the Parquet data files of one table through the engine's Parquet handler.
 *
 * <ul>
 *   <li><b>Reading</b> reshapes rows to a {@link TableLayout} (columns matched by name, a column the
 *       file does not have reads as null): a committed file's live rows (its deletion vector applied by
 *       Kernel's {@code transformPhysicalData}), or the rows at given physical positions — the only way a
 *       file a staged commit wrote, and not committed, is read.</li>
 *   <li><b>Writing</b> sorts rows by key (SCD type 2: then by start time) so that files keep narrow key
 *       ranges. A change commit's small batch of flat rows becomes one {@link PlainParquetFile}; other batches
 *       (and every full refresh and compaction) go through Kernel's writer, split at the engine's target file size.
 *       Each written file carries exact statistics ({@link FileStatistics#exactOnly}) for Kernel's default columns
 *       plus every key column.
 *       Written files are referenced by nothing until a commit adds them.</li>
 * </ul>
 * Stateless apart from the engine; not a cache.
 */
final class ParquetFiles {

    private static final Logger LOG = Logger.getLogger(ParquetFiles.class);

    private final Engine engine;
    private final TableId source;
    private final int rowsPerBatch;
    private final int plainFileMaxRows;

    /**
     * @param source           the source table, for log lines
     * @param rowsPerBatch     rows per in-memory columnar batch handed to the Parquet writer
     * @param plainFileMaxRows batches of at most this many flat rows are written as one {@link PlainParquetFile}
     */
    ParquetFiles(Engine engine, TableId source, int rowsPerBatch, int plainFileMaxRows) {
        this.engine = engine;
        this.source = source;
        this.rowsPerBatch = rowsPerBatch;
        this.plainFileMaxRows = plainFileMaxRows;
    }

    /**
     * Reads rows of a data file, reshaped to {@code target} (columns matched by name, missing ones
     * null): those at the given physical positions, or, when {@code positions} is null, every row its
     * deletion vector keeps.
     *
     * @param scanState    the state of a full scan of the snapshot the file belongs to
     * @param physicalRead the physical schema that scan reads data files with
     * @param logical      that snapshot's (logical) schema
     */
    List<Object[]> read(FileEntry file, Row scanState, StructType physicalRead, StructType logical, TableLayout target,
                        List<Integer> positions)
            throws IOException {
        BitSet wanted = null;
        if (positions != null) {
            wanted = new BitSet();
            positions.forEach(wanted::set);
        }
        int position = 0;
        int[] from = new int[target.columnCount()];
        for (int i = 0; i < from.length; i++) {
            from[i] = logical.indexOf(target.schema().at(i).getName());
        }
        if (file.staged()) {
            return readStagedRows(file, physicalRead, from, wanted);
        }
        List<Object[]> out = new ArrayList<>();
        try (CloseableIterator<FileReadResult> data = engine.getParquetHandler().readParquetFiles(
                CloseableIterators.singleton(file.status()), physicalRead, Optional.empty());
             CloseableIterator<FilteredColumnarBatch> batches = Scan.transformPhysicalData(engine, scanState, file.scanFileRow,
                     data.map(FileReadResult::getData))) {
            while (batches.hasNext()) {
                FilteredColumnarBatch batch = batches.next();
                ColumnarBatch b = batch.getData();
                Optional<ColumnVector> selection = batch.getSelectionVector();
                ColumnVector[] vectors = new ColumnVector[from.length];
                for (int i = 0; i < from.length; i++) {
                    vectors[i] = from[i] < 0 ? null : b.getColumnVector(from[i]);
                }
                int batchStart = position;
                position += b.getSize();
                for (int r = 0; r < b.getSize(); r++) {
                    if (wanted != null ? !wanted.get(batchStart + r)
                            : selection.isPresent() && (selection.get().isNullAt(r) || !selection.get().getBoolean(r))) {
                        continue;
                    }
                    Object[] row = new Object[from.length];
                    for (int i = 0; i < from.length; i++) {
                        row[i] = vectors[i] == null ? null : VectorValues.get(vectors[i], r);
                    }
                    out.add(row);
                }
            }
        }
        return out;
    }

    /**
     * Reads the rows at {@code wanted} positions of a file a staged commit wrote: in the current
     * physical schema (columns by position, as the transaction that wrote it laid them out; a column
     * added since reads as null), no deletion vector to apply (the positions are live by construction).
     */
    private List<Object[]> readStagedRows(FileEntry file, StructType physicalRead, int[] from, BitSet wanted) throws IOException {
        if (wanted == null) {
            throw new IllegalStateException("a staged file is read by position only: " + file.add.getPath());
        }
        List<Object[]> out = new ArrayList<>();
        int position = 0;
        try (CloseableIterator<FileReadResult> data = engine.getParquetHandler().readParquetFiles(
                CloseableIterators.singleton(file.status()), physicalRead, Optional.empty())) {
            while (data.hasNext()) {
                ColumnarBatch b = data.next().getData();
                for (int r = 0; r < b.getSize(); r++) {
                    if (!wanted.get(position + r)) {
                        continue;
                    }
                    Object[] row = new Object[from.length];
                    for (int i = 0; i < from.length; i++) {
                        row[i] = from[i] < 0 ? null : VectorValues.get(b.getColumnVector(from[i]), r);
                    }
                    out.add(row);
                }
                position += b.getSize();
            }
        }
        return out;
    }

    /** Receives the keys of a file {@link #write} wrote, taken from the rows written (see {@link FileKeys#ofWritten}). */
    interface WrittenKeys {
        void accept(DataFileStatus file, FileKeys keys);
    }

    /**
     * Writes rows sorted by key into long-lived files — a full refresh's, a compaction's — through Kernel's writer
     * (parquet-mr, the configured codec), split at the engine's target file size, handing {@code keysOut} each written
     * file's keys when the table's key is one {@code bigint}/{@code int} column (SCD type 1), so that the next commit
     * need not read them back. Files are cut in row order, so a file's rows are the next {@code numRecords} of the
     * sorted rows; when the files' counts do not add up to the rows written, no keys are handed out.
     */
    List<DataFileStatus> write(DataWriteContext ctx, StructType physical, List<Column> statsColumns, TableLayout target,
                               List<Object[]> rows, WrittenKeys keysOut) throws IOException {
        return write(ctx, physical, statsColumns, target, rows, false, keysOut);
    }

    /**
     * As {@link #write(DataWriteContext, StructType, List, TableLayout, List, WrittenKeys)}, for the new rows of a
     * change commit: usually few, and short-lived (compaction rewrites small files), so a batch of at most
     * {@code plainFileMaxRows} flat rows becomes one {@link PlainParquetFile}.
     */
    List<DataFileStatus> writeChanges(DataWriteContext ctx, StructType physical, List<Column> statsColumns, TableLayout target,
                                      List<Object[]> rows, WrittenKeys keysOut) throws IOException {
        return write(ctx, physical, statsColumns, target, rows, true, keysOut);
    }

    private List<DataFileStatus> write(DataWriteContext ctx, StructType physical, List<Column> statsColumns, TableLayout target,
                                       List<Object[]> rows, boolean plainAllowed, WrittenKeys keysOut) throws IOException {
        // Keys computed once per row, not once per comparison.
        List<Map.Entry<RowKey, Object[]>> keyed = new ArrayList<>(rows.size());
        for (Object[] row : rows) {
            keyed.add(Map.entry(target.keyOf(row), row));
        }
        keyed.sort((a, b) -> {
            int c = a.getKey().compareTo(b.getKey());
            if (c != 0 || target.scdType() != ScdType.SCD_TYPE_2) {
                return c;
            }
            return RowKey.compareValues(a.getValue()[target.startAtIndex()], b.getValue()[target.startAtIndex()]);
        });
        List<Object[]> sorted = new ArrayList<>(keyed.size());
        keyed.forEach(e -> sorted.add(e.getValue()));
        List<DataFileStatus> out = new ArrayList<>();
        DataFileStatus plain = plainAllowed && PlainParquetFile.writes(physical, sorted.size(), plainFileMaxRows, engine)
                ? PlainParquetFile.write(engine, ctx.getTargetDirectory(), physical, statsColumns, sorted) : null;
        if (plain != null) {
            out.add(FileStatistics.exactOnly(plain, physical));
        } else {
            writeThroughKernel(ctx, physical, statsColumns, sorted, out);
        }
        if (keysOut != null) {
            handOutKeys(out, sorted, physical, target, keysOut);
        }
        return out;
    }

    /** Through Kernel's writer (parquet-mr, the configured codec), in batches of {@code rowsPerBatch} rows. */
    private void writeThroughKernel(DataWriteContext ctx, StructType physical, List<Column> statsColumns, List<Object[]> sorted,
                                    List<DataFileStatus> out) throws IOException {
        int per = rowsPerBatch;
        List<FilteredColumnarBatch> batches = new ArrayList<>();
        for (int i = 0; i < sorted.size(); i += per) {
            batches.add(new FilteredColumnarBatch(new RowBatch(physical, sorted.subList(i, Math.min(sorted.size(), i + per))),
                    Optional.empty()));
        }
        try (CloseableIterator<DataFileStatus> files = engine.getParquetHandler().writeParquetFiles(ctx.getTargetDirectory(),
                CloseableIterators.of(batches.iterator()), statsColumns)) {
            files.forEachRemaining(f -> out.add(FileStatistics.exactOnly(f, physical)));
        }
    }

    private static void handOutKeys(List<DataFileStatus> files, List<Object[]> sorted, StructType physical, TableLayout target,
                                    WrittenKeys keysOut) {
        if (target.keyIndexes().length != 1 || target.scdType() == ScdType.SCD_TYPE_2) {
            return;
        }
        int keyIndex = target.keyIndexes()[0];
        DataType type = physical.at(keyIndex).getDataType();
        if (!(type instanceof LongType || type instanceof IntegerType)) {
            return;
        }
        List<FileKeys> keys = new ArrayList<>(files.size());
        int from = 0;
        for (DataFileStatus f : files) {
            long n = f.getStatistics().map(DataFileStatistics::getNumRecords).orElse(-1L);
            if (n < 0 || from + n > sorted.size()) {
                return;
            }
            FileKeys k = FileKeys.ofWritten(sorted.subList(from, from + (int) n), keyIndex, type instanceof IntegerType);
            if (k == null) {
                return;
            }
            keys.add(k);
            from += (int) n;
        }
        if (from != sorted.size()) {
            return;
        }
        for (int i = 0; i < files.size(); i++) {
            keysOut.accept(files.get(i), keys.get(i));
        }
    }

    /** Kernel's default statistics columns plus every key column (copy-on-write prunes on them). */
    static List<Column> statsColumns(DataWriteContext ctx, StructType physical, TableLayout target) {
        Set<Column> columns = new LinkedHashSet<>(ctx.getStatisticsColumns());
        for (int k : target.keyIndexes()) {
            columns.add(new Column(physical.at(k).getName()));
        }
        return new ArrayList<>(columns);
    }

    /** Deletes a data file no commit references; a failure leaves it for VACUUM. */
    void deleteQuietly(FileEntry file) {
        try {
            engine.getFileSystemClient().delete(file.status().getPath());
        } catch (IOException | RuntimeException e) {
            LOG.debugf("table %s: could not delete unreferenced file %s: %s", source, file.status().getPath(), e.toString());
        }
    }
}
