package dev.tideline.sync.testdelta;

import io.delta.kernel.Operation;
import io.delta.kernel.Scan;
import io.delta.kernel.Snapshot;
import io.delta.kernel.TableManager;
import io.delta.kernel.Transaction;
import io.delta.kernel.TransactionCommitResult;
import io.delta.kernel.DataWriteContext;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.engine.FileReadResult;
import io.delta.kernel.hook.PostCommitHook;
import io.delta.kernel.internal.InternalScanFileUtils;
import io.delta.kernel.internal.actions.AddFile;
import io.delta.kernel.internal.actions.SingleAction;
import io.delta.kernel.internal.data.ScanStateRow;
import io.delta.kernel.internal.util.Utils;
import io.delta.kernel.types.BooleanType;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterable;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.DataFileStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Writes Delta tables for tests with Delta Kernel, the way a plain writer does: appends, and
 * copy-on-write mutations (remove the touched files, add rewritten ones) through Kernel's internal
 * remove actions, as SPIKES.md describes. Also reads a table back at a version, as the oracle of
 * equality tests.
 */
public final class DeltaTestTable {

    private final Engine engine;
    private final String path;
    private final StructType schema;

    private DeltaTestTable(Engine engine, String path, StructType schema) {
        this.engine = engine;
        this.path = path;
        this.schema = schema;
    }

    /** Creates an empty table (version 0) with a checkpoint every 3 commits, so tests cross checkpoints. */
    public static DeltaTestTable create(Engine engine, String path, StructType schema) {
        return create(engine, path, schema, Map.of("delta.checkpointInterval", "3"));
    }

    public static DeltaTestTable create(Engine engine, String path, StructType schema, Map<String, String> properties) {
        Transaction txn = TableManager.buildCreateTableTransaction(path, schema, "tideline-sync-test")
                .withTableProperties(properties).build(engine);
        commit(engine, txn, List.of());
        return new DeltaTestTable(engine, path, schema);
    }

    /** An existing table (e.g. a golden table written by Spark), for reading it back. */
    public static DeltaTestTable open(Engine engine, String path) {
        return new DeltaTestTable(engine, path, TableManager.loadSnapshot(path).build(engine).getSchema());
    }

    public String path() {
        return path;
    }

    public StructType schema() {
        return schema;
    }

    public long version() {
        return snapshot().getVersion();
    }

    public Snapshot snapshot() {
        return TableManager.loadSnapshot(path).build(engine);
    }

    /** Appends rows ({@code Object[]} in schema order) in one commit; returns the new version. */
    public long append(List<Object[]> rows) {
        Transaction txn = snapshot().buildUpdateTableTransaction("tideline-sync-test", Operation.WRITE).build(engine);
        return commit(engine, txn, writeFiles(txn, rows));
    }

    /** Schema evolution: the new schema must extend the old one (Kernel checks); returns the new version. */
    public DeltaTestTable evolve(StructType newSchema) {
        Transaction txn = snapshot().buildUpdateTableTransaction("tideline-sync-test", Operation.MANUAL_UPDATE)
                .withUpdatedSchema(newSchema).build(engine);
        commit(engine, txn, List.of());
        return new DeltaTestTable(engine, path, newSchema);
    }

    /**
     * Adds columns the way Spark's {@code ALTER TABLE ADD COLUMNS} does on a table without column
     * mapping (which Kernel refuses): a commit holding only a new {@code metaData} action, written
     * by hand with the table's metadata and the new schema.
     */
    public DeltaTestTable addColumnsByHand(StructType newSchema) {
        try {
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            java.nio.file.Path log = java.nio.file.Path.of(java.net.URI.create(path + "/_delta_log"));
            com.fasterxml.jackson.databind.node.ObjectNode metadata = null;
            for (String line : java.nio.file.Files.readAllLines(log.resolve(String.format("%020d.json", 0)))) {
                com.fasterxml.jackson.databind.JsonNode node = json.readTree(line);
                if (node.has("metaData")) {
                    metadata = (com.fasterxml.jackson.databind.node.ObjectNode) node.get("metaData");
                }
            }
            metadata.put("schemaString", newSchema.toJson());
            long next = version() + 1;
            java.nio.file.Files.writeString(log.resolve(String.format("%020d.json", next)),
                    json.writeValueAsString(json.createObjectNode().set("metaData", metadata)) + "\n",
                    java.nio.file.StandardOpenOption.CREATE_NEW);
            return new DeltaTestTable(engine, path, newSchema);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Copy-on-write in one commit: every file holding a row that {@code affected} selects is removed
     * and rewritten with {@code change} applied to those rows ({@code null} result: row deleted).
     */
    public long mutate(Predicate<Object[]> affected, Function<Object[], Object[]> change) {
        Snapshot snapshot = snapshot();
        Transaction txn = snapshot.buildUpdateTableTransaction("tideline-sync-test", Operation.WRITE).build(engine);
        List<Row> actions = new ArrayList<>();
        List<Object[]> rewritten = new ArrayList<>();
        Scan scan = snapshot.getScanBuilder().build();
        Row scanState = scan.getScanState(engine);
        try (CloseableIterator<FilteredColumnarBatch> files = scan.getScanFiles(engine, true)) {
            while (files.hasNext()) {
                try (CloseableIterator<Row> rows = files.next().getRows()) {
                    while (rows.hasNext()) {
                        Row scanFile = rows.next();
                        List<Object[]> content = readFile(scanState, scanFile);
                        if (content.stream().noneMatch(affected)) {
                            continue;
                        }
                        AddFile add = new AddFile(scanFile.getStruct(InternalScanFileUtils.ADD_FILE_ORDINAL));
                        actions.add(SingleAction.createRemoveFileSingleAction(add.toRemoveFileRow(true, Optional.empty())));
                        for (Object[] row : content) {
                            Object[] out = affected.test(row) ? change.apply(row.clone()) : row;
                            if (out != null) {
                                rewritten.add(out);
                            }
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!rewritten.isEmpty()) {
            actions.addAll(writeFiles(txn, rewritten));
        }
        return commit(engine, txn, actions);
    }

    /** Every row at {@code version} (LONG, INT, STRING, DOUBLE, DECIMAL, BOOLEAN columns as Java values). */
    public List<Object[]> rowsAt(long version) {
        Snapshot snapshot = TableManager.loadSnapshot(path).atVersion(version).build(engine);
        Scan scan = snapshot.getScanBuilder().build();
        Row scanState = scan.getScanState(engine);
        List<Object[]> out = new ArrayList<>();
        try (CloseableIterator<FilteredColumnarBatch> files = scan.getScanFiles(engine)) {
            while (files.hasNext()) {
                try (CloseableIterator<Row> rows = files.next().getRows()) {
                    while (rows.hasNext()) {
                        out.addAll(readFile(scanState, rows.next()));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private List<Object[]> readFile(Row scanState, Row scanFile) throws IOException {
        StructType physical = ScanStateRow.getPhysicalDataReadSchema(scanState);
        List<Object[]> out = new ArrayList<>();
        CloseableIterator<ColumnarBatch> data = engine.getParquetHandler()
                .readParquetFiles(Utils.singletonCloseableIterator(InternalScanFileUtils.getAddFileStatus(scanFile)), physical, Optional.empty())
                .map(FileReadResult::getData);
        try (CloseableIterator<FilteredColumnarBatch> batches = Scan.transformPhysicalData(engine, scanState, scanFile, data)) {
            while (batches.hasNext()) {
                FilteredColumnarBatch fb = batches.next();
                ColumnarBatch b = fb.getData();
                ColumnVector selection = fb.getSelectionVector().orElse(null);
                for (int r = 0; r < b.getSize(); r++) {
                    if (selection != null && !selection.getBoolean(r)) {
                        continue;
                    }
                    Object[] row = new Object[b.getSchema().length()];
                    for (int c = 0; c < row.length; c++) {
                        row[c] = value(b.getColumnVector(c), r);
                    }
                    out.add(row);
                }
            }
        }
        return out;
    }

    private static Object value(ColumnVector v, int r) {
        if (v.isNullAt(r)) {
            return null;
        }
        var t = v.getDataType();
        if (t instanceof LongType) {
            return v.getLong(r);
        } else if (t instanceof IntegerType) {
            return v.getInt(r);
        } else if (t instanceof StringType) {
            return v.getString(r);
        } else if (t instanceof DoubleType) {
            return v.getDouble(r);
        } else if (t instanceof DecimalType) {
            return v.getDecimal(r);
        } else if (t instanceof BooleanType) {
            return v.getBoolean(r);
        } else if (t instanceof io.delta.kernel.types.TimestampType) {
            long micros = v.getLong(r);
            return java.time.Instant.EPOCH.plusSeconds(Math.floorDiv(micros, 1_000_000L)).plusNanos(Math.floorMod(micros, 1_000_000L) * 1000);
        } else if (t instanceof io.delta.kernel.types.DateType) {
            return java.time.LocalDate.ofEpochDay(v.getInt(r));
        }
        return "<" + t + ">";
    }

    private List<Row> writeFiles(Transaction txn, List<Object[]> rows) {
        Row txnState = txn.getTransactionState(engine);
        StructType current = txn.getSchema(engine);
        CloseableIterator<FilteredColumnarBatch> logical = Utils.singletonCloseableIterator(
                new FilteredColumnarBatch(new ObjectBatch(current, rows), Optional.empty()));
        try {
            CloseableIterator<FilteredColumnarBatch> physical = Transaction.transformLogicalData(engine, txnState, logical, Map.of());
            DataWriteContext ctx = Transaction.getWriteContext(engine, txnState, Map.of());
            CloseableIterator<DataFileStatus> files = engine.getParquetHandler()
                    .writeParquetFiles(ctx.getTargetDirectory(), physical, ctx.getStatisticsColumns());
            List<Row> actions = new ArrayList<>();
            try (CloseableIterator<Row> it = Transaction.generateAppendActions(engine, txnState, files, ctx)) {
                it.forEachRemaining(actions::add);
            }
            return actions;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long commit(Engine engine, Transaction txn, List<Row> actions) {
        TransactionCommitResult result = txn.commit(engine, CloseableIterable.inMemoryIterable(
                Utils.toCloseableIterator(actions.iterator())));
        for (PostCommitHook hook : result.getPostCommitHooks()) {
            try {
                hook.threadSafeInvoke(engine);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return result.getVersion();
    }
}
