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
 * Writes Delta tables for tests with Delta Kernel, the way a plain writer does: appends,
 * copy-on-write mutations (remove the touched files, add rewritten ones) through Kernel's internal
 * remove actions, as SPIKES.md describes, and deletion-vector rewrites like apply-service's (same
 * path removed and re-added with a grown vector, DV file written by hand in the protocol's layout). Also reads a table back at a version, as the oracle of
 * equality tests.
 */
public final class DeltaTestTable {

    /** Rows per file a copy-on-write {@link #mutate} writes at most. */
    private static final int MAX_ROWS_PER_FILE = 500_000;

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
        // Files of at most 500k rows, as a writer with a target file size would: one file (and one Parquet
        // row group) of millions of rows would make a reader's memory follow the commit's size.
        for (int from = 0; from < rewritten.size(); from += MAX_ROWS_PER_FILE) {
            actions.addAll(writeFiles(txn, rewritten.subList(from, Math.min(rewritten.size(), from + MAX_ROWS_PER_FILE))));
        }
        return commit(engine, txn, actions);
    }

    /**
     * Merge-on-read in one commit, the way apply-service and Spark/Databricks write UPDATE/DELETE/MERGE
     * with deletion vectors: every file holding a live row that {@code affected} selects is removed
     * with its old vector and re-added under the same path with a vector grown by those rows'
     * positions (all vectors of the commit in one DV file, storage type {@code u}); the rows
     * {@code change} returns (non-null) go to one new file. The table needs
     * {@code delta.enableDeletionVectors=true}.
     */
    public long mutateWithDeletionVectors(Predicate<Object[]> affected, Function<Object[], Object[]> change) {
        return rewriteVectors((position, row) -> row != null && affected.test(row), change);
    }

    /**
     * Re-adds every file that has a deletion vector with a vector that no longer deletes the rows
     * {@code restored} selects (e.g. a RESTORE): the new vector is then not a superset of the old
     * one. Rows are given as stored, deleted or not.
     */
    public long undeleteWithDeletionVectors(Predicate<Object[]> restored) {
        return rewriteVectors(null, restored);
    }

    private interface PositionFilter {
        boolean test(long position, Object[] liveRowOrNull);
    }

    private long rewriteVectors(PositionFilter delete, Object restoreOrChange) {
        Snapshot snapshot = snapshot();
        Transaction txn = snapshot.buildUpdateTableTransaction("tideline-sync-test", Operation.WRITE).build(engine);
        List<Row> actions = new ArrayList<>();
        List<Object[]> changed = new ArrayList<>();
        List<AddFile> rewritten = new ArrayList<>();
        List<org.roaringbitmap.longlong.Roaring64Bitmap> vectors = new ArrayList<>();
        Scan scan = snapshot.getScanBuilder().build();
        Row scanState = scan.getScanState(engine);
        try (CloseableIterator<FilteredColumnarBatch> files = scan.getScanFiles(engine, true)) {
            while (files.hasNext()) {
                try (CloseableIterator<Row> rows = files.next().getRows()) {
                    while (rows.hasNext()) {
                        Row scanFile = rows.next();
                        AddFile add = new AddFile(scanFile.getStruct(InternalScanFileUtils.ADD_FILE_ORDINAL));
                        List<Object[]> all = new ArrayList<>();
                        java.util.Set<Object[]> live = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
                        live.addAll(readFile(scanState, scanFile, all));
                        org.roaringbitmap.longlong.Roaring64Bitmap vector = new org.roaringbitmap.longlong.Roaring64Bitmap();
                        boolean touched = false;
                        for (int pos = 0; pos < all.size(); pos++) {
                            Object[] row = all.get(pos);
                            boolean isLive = live.contains(row);
                            if (delete != null) {
                                if (!isLive) {
                                    vector.addLong(pos);
                                } else if (delete.test(pos, row)) {
                                    vector.addLong(pos);
                                    touched = true;
                                    @SuppressWarnings("unchecked")
                                    Object[] out = ((Function<Object[], Object[]>) restoreOrChange).apply(row.clone());
                                    if (out != null) {
                                        changed.add(out);
                                    }
                                }
                            } else {
                                @SuppressWarnings("unchecked")
                                boolean restore = ((Predicate<Object[]>) restoreOrChange).test(row);
                                if (!isLive && restore) {
                                    touched = true;
                                } else if (!isLive) {
                                    vector.addLong(pos);
                                }
                            }
                        }
                        if (touched) {
                            actions.add(SingleAction.createRemoveFileSingleAction(add.toRemoveFileRow(true, Optional.empty())));
                            rewritten.add(add);
                            vectors.add(vector);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        StructType physical = snapshot.getSchema(); // only for statistics, of which the re-added files carry none
        List<io.delta.kernel.internal.actions.DeletionVectorDescriptor> descriptors = writeDeletionVectors(vectors);
        for (int i = 0; i < rewritten.size(); i++) {
            AddFile file = rewritten.get(i);
            Row add = AddFile.createAddFileRow(physical, file.getPath(), file.getPartitionValues(), file.getSize(),
                    file.getModificationTime(), true, Optional.ofNullable(descriptors.get(i)), file.getTags(), file.getBaseRowId(),
                    file.getDefaultRowCommitVersion(), Optional.empty());
            actions.add(SingleAction.createAddFileSingleAction(add));
        }
        if (!changed.isEmpty()) {
            actions.addAll(writeFiles(txn, changed));
        }
        return commit(engine, txn, actions);
    }

    /**
     * One DV file for all vectors of a commit, in the protocol's layout (version byte 1, then per
     * vector: size, portable RoaringBitmapArray, CRC-32; sizes and CRCs big-endian); an empty vector
     * gets no descriptor ({@code null}: the file is re-added without vector).
     */
    private List<io.delta.kernel.internal.actions.DeletionVectorDescriptor> writeDeletionVectors(
            List<org.roaringbitmap.longlong.Roaring64Bitmap> vectors) {
        String uuid = io.delta.kernel.internal.deletionvectors.Base85Codec.encodeUUID(java.util.UUID.randomUUID());
        java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
        List<io.delta.kernel.internal.actions.DeletionVectorDescriptor> out = new ArrayList<>();
        try (java.io.DataOutputStream data = new java.io.DataOutputStream(buffer)) {
            data.writeByte(1);
            for (org.roaringbitmap.longlong.Roaring64Bitmap vector : vectors) {
                if (vector.isEmpty()) {
                    out.add(null);
                    continue;
                }
                byte[] bitmap = portable(vector);
                int offset = data.size();
                data.writeInt(bitmap.length);
                data.write(bitmap);
                java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                crc.update(bitmap);
                data.writeInt((int) crc.getValue());
                out.add(new io.delta.kernel.internal.actions.DeletionVectorDescriptor(
                        io.delta.kernel.internal.actions.DeletionVectorDescriptor.UUID_DV_MARKER, uuid, Optional.of(offset), bitmap.length,
                        vector.getLongCardinality()));
            }
            String file = out.stream().filter(d -> d != null).findFirst().map(d -> d.getAbsolutePath(path)).orElse(null);
            if (file != null) {
                java.nio.file.Files.write(java.nio.file.Path.of(java.net.URI.create(file)), buffer.toByteArray());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The portable RoaringBitmapArray form: magic, bitmap count (64-bit), then per 32-bit bitmap its high half and bitmap; little-endian. */
    private static byte[] portable(org.roaringbitmap.longlong.Roaring64Bitmap vector) {
        java.util.TreeMap<Integer, org.roaringbitmap.RoaringBitmap> byHigh = new java.util.TreeMap<>();
        vector.forEach(p -> byHigh.computeIfAbsent((int) (p >>> 32), h -> new org.roaringbitmap.RoaringBitmap()).add((int) p));
        int size = 4 + 8;
        for (org.roaringbitmap.RoaringBitmap b : byHigh.values()) {
            b.runOptimize();
            size += 4 + b.serializedSizeInBytes();
        }
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(size).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        out.putInt(1681511377);
        out.putLong(byHigh.size());
        byHigh.forEach((high, b) -> {
            out.putInt(high);
            b.serialize(out);
        });
        return out.array();
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
        return readFile(scanState, scanFile, null);
    }

    /** The live rows of a file; {@code all} (if given) receives every stored row, by position, deleted or not (same instances). */
    private List<Object[]> readFile(Row scanState, Row scanFile, List<Object[]> all) throws IOException {
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
                    boolean deleted = selection != null && !selection.getBoolean(r);
                    if (deleted && all == null) {
                        continue;
                    }
                    Object[] row = new Object[b.getSchema().length()];
                    for (int c = 0; c < row.length; c++) {
                        row[c] = value(b.getColumnVector(c), r);
                    }
                    if (all != null) {
                        all.add(row);
                    }
                    if (!deleted) {
                        out.add(row);
                    }
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
