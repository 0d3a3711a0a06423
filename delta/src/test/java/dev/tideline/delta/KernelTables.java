package dev.tideline.delta;

import io.delta.kernel.Operation;
import io.delta.kernel.Scan;
import io.delta.kernel.Snapshot;
import io.delta.kernel.TableManager;
import io.delta.kernel.Transaction;
import io.delta.kernel.DataWriteContext;
import io.delta.kernel.TransactionCommitResult;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.internal.util.Utils;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterable;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.DataFileStatus;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Kernel writes and reads of a two-column test table {@code (id BIGINT NOT NULL, name STRING)}, with our own vectors. */
final class KernelTables {

    static final StructType SCHEMA = new StructType().add("id", LongType.LONG, false)
            .add("name", StringType.STRING, true);

    private KernelTables() {
    }

    /** Creates the table (version 0). */
    static void create(Engine engine, String table) {
        TableManager.buildCreateTableTransaction(table, SCHEMA, "tideline-test").build(engine)
                .commit(engine, CloseableIterable.emptyIterable());
    }

    static TransactionCommitResult append(Engine engine, String table, long from, int count, String appId,
                                          long txnVersion) throws Exception {
        Snapshot snapshot = TableManager.loadSnapshot(table).build(engine);
        Transaction txn = snapshot.buildUpdateTableTransaction("tideline-test", Operation.WRITE)
                .withTransactionId(appId, txnVersion).build(engine);
        return txn.commit(engine, appendActions(engine, txn, from, count));
    }

    /** Writes rows {@code from .. from+count-1} as Parquet for {@code txn} and returns its add actions (not committed). */
    static CloseableIterable<Row> appendActions(Engine engine, Transaction txn, long from, int count) throws IOException {
        Row state = txn.getTransactionState(engine);
        long[] ids = new long[count];
        String[] names = new String[count];
        for (int i = 0; i < count; i++) {
            ids[i] = from + i;
            names[i] = "n" + (from + i);
        }
        ColumnarBatch batch = new TestBatch(SCHEMA, count, List.of(new LongVector(ids), new StringVector(names)));
        CloseableIterator<FilteredColumnarBatch> data = Transaction.transformLogicalData(engine, state,
                Utils.toCloseableIterator(List.of(new FilteredColumnarBatch(batch, Optional.empty())).iterator()),
                Map.of());
        DataWriteContext ctx = Transaction.getWriteContext(engine, state, Map.of());
        CloseableIterator<DataFileStatus> files = engine.getParquetHandler()
                .writeParquetFiles(ctx.getTargetDirectory(), data, ctx.getStatisticsColumns());
        List<Row> actions = new ArrayList<>();
        Transaction.generateAppendActions(engine, state, files, ctx).forEachRemaining(actions::add);
        return CloseableIterable.inMemoryIterable(Utils.toCloseableIterator(actions.iterator()));
    }

    static List<Long> readIds(Engine engine, Snapshot snapshot) throws IOException {
        Scan scan = snapshot.getScanBuilder().build();
        Row scanState = scan.getScanState(engine);
        List<Long> ids = new ArrayList<>();
        try (CloseableIterator<FilteredColumnarBatch> scanFiles = scan.getScanFiles(engine)) {
            while (scanFiles.hasNext()) {
                try (CloseableIterator<Row> rows = scanFiles.next().getRows()) {
                    while (rows.hasNext()) {
                        Row scanFile = rows.next();
                        io.delta.kernel.utils.FileStatus file =
                                io.delta.kernel.internal.InternalScanFileUtils.getAddFileStatus(scanFile);
                        StructType physical = io.delta.kernel.internal.data.ScanStateRow
                                .getPhysicalDataReadSchema(scanState);
                        try (CloseableIterator<ColumnarBatch> physicalData = engine.getParquetHandler()
                                .readParquetFiles(Utils.singletonCloseableIterator(file), physical, Optional.empty())
                                .map(r -> r.getData());
                             CloseableIterator<FilteredColumnarBatch> logical =
                                     Scan.transformPhysicalData(engine, scanState, scanFile, physicalData)) {
                            while (logical.hasNext()) {
                                ColumnarBatch b = logical.next().getData();
                                for (int i = 0; i < b.getSize(); i++) {
                                    ids.add(b.getColumnVector(0).getLong(i));
                                }
                            }
                        }
                    }
                }
            }
        }
        return ids;
    }

    private record TestBatch(StructType schema, int size, List<ColumnVector> vectors) implements ColumnarBatch {
        @Override
        public StructType getSchema() {
            return schema;
        }

        @Override
        public ColumnVector getColumnVector(int ordinal) {
            return vectors.get(ordinal);
        }

        @Override
        public int getSize() {
            return size;
        }
    }

    private record LongVector(long[] values) implements ColumnVector {
        @Override
        public DataType getDataType() {
            return LongType.LONG;
        }

        @Override
        public int getSize() {
            return values.length;
        }

        @Override
        public void close() {
        }

        @Override
        public boolean isNullAt(int rowId) {
            return false;
        }

        @Override
        public long getLong(int rowId) {
            return values[rowId];
        }
    }

    private record StringVector(String[] values) implements ColumnVector {
        @Override
        public DataType getDataType() {
            return StringType.STRING;
        }

        @Override
        public int getSize() {
            return values.length;
        }

        @Override
        public void close() {
        }

        @Override
        public boolean isNullAt(int rowId) {
            return values[rowId] == null;
        }

        @Override
        public String getString(int rowId) {
            return values[rowId];
        }
    }

}
