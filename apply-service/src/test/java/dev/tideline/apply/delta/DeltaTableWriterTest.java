package dev.tideline.apply.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.ChangeEvent.OldRowKind;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.PgType;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import dev.tideline.core.value.UnchangedToast;
import dev.tideline.core.wire.ChangeBatch;
import dev.tideline.core.wire.RowChange;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.TableLocations;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StructType;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Copy-on-write applies on a real Delta table on disk, compared with an in-memory model of the source. */
class DeltaTableWriterTest {

    static final TableId ORDERS = TableId.of("public", "orders");
    static final RelationSchema V1 = new RelationSchema(16384, ORDERS, ReplicaIdentity.DEFAULT, List.of(
            new ColumnSchema("id", PgType.INT8, -1, true),
            new ColumnSchema("name", PgType.TEXT, -1, false),
            new ColumnSchema("amount", PgType.NUMERIC, ((10 << 16) | 2) + 4, false),
            new ColumnSchema("doc", PgType.TEXT, -1, false)));

    @TempDir
    Path warehouse;
    Engine engine;
    DeltaTableWriter writer;
    long lsn = 0x1000;
    final Random random = new Random(42);

    @BeforeEach
    void open() {
        engine = DeltaEngines.forWarehouse(warehouse.toString(), EngineSettings.defaults().withFsync(false));
        writer = DeltaTableWriter.open(engine, TableLocations.of(warehouse.toString(), "main", "public", "orders"), "p1/public.orders",
                ORDERS, WriterSettings.DEFAULT);
        writer.create(TableLayout.create(V1, List.of(), ScdType.SCD_TYPE_1));
    }

    static Row row(long id, String name, String amount, Object doc) {
        return Row.of(id, name, amount == null ? null : new BigDecimal(amount), doc);
    }

    static Row key(long id) {
        return Row.of(id, null, null, null);
    }

    ChangeBatch.Rows rows(RelationSchema schema, RowChange... changes) {
        lsn += 0x100;
        return new ChangeBatch.Rows(Lsn.of(lsn), Instant.ofEpochSecond(1_700_000_000L + lsn), 7, 0, true, schema, List.of(changes));
    }

    Lsn commit(ChangeBatch.Rows batch) {
        TableLayout layout = writer.layout().evolve(batch.schema());
        List<RowOp> ops = new ArrayList<>();
        RowOps.add(batch, layout.converter(batch.schema()), ops);
        assertTrue(writer.apply(layout, ops, batch.commitLsn()).isPresent());
        return batch.commitLsn();
    }

    Map<Long, List<Object>> table() {
        Map<Long, List<Object>> out = new TreeMap<>();
        for (Object[] r : writer.readAll()) {
            List<Object> values = new ArrayList<>(java.util.Arrays.asList(r).subList(1, r.length));
            assertNull(out.put((Long) r[0], values), "duplicate key " + r[0]);
        }
        return out;
    }

    static List<Object> values(String name, String amount, String doc) {
        List<Object> v = new ArrayList<>();
        v.add(name);
        v.add(amount == null ? null : new BigDecimal(amount));
        v.add(doc);
        return v;
    }

    @Test
    void insertsUpdatesDeletesKeyChangesAndToastFollowTheSource() {
        int ordinal = 0;
        commit(rows(V1, RowChange.insert(ordinal++, row(1, "a", "1.50", "big-1")), RowChange.insert(ordinal++, row(2, "b", "2", "big-2")),
                RowChange.insert(ordinal++, row(3, "c", null, "big-3"))));
        assertEquals(Map.of(1L, values("a", "1.50", "big-1"), 2L, values("b", "2.00", "big-2"), 3L, values("c", null, "big-3")), table());

        // Update without old row, TOAST unchanged; key change 2 → 20 keeping the TOASTed doc; delete 3.
        commit(rows(V1, RowChange.update(ordinal++, OldRowKind.NONE, null, Row.of(1L, "a2", new BigDecimal("9.99"), UnchangedToast.VALUE)),
                RowChange.update(ordinal++, OldRowKind.KEY, key(2), Row.of(20L, "b2", new BigDecimal("2.00"), UnchangedToast.VALUE)),
                RowChange.delete(ordinal++, OldRowKind.KEY, key(3))));
        assertEquals(Map.of(1L, values("a2", "9.99", "big-1"), 20L, values("b2", "2.00", "big-2")), table());
        assertEquals(Lsn.of(lsn), writer.appliedLsn());
    }

    @Test
    void theFilesCarriedFromCommitToCommitAreThoseTheLogLists() throws Exception {
        writer = DeltaTableWriter.open(engine, writer.tablePath(), "p1/public.orders", ORDERS, WriterSettings.DEFAULT.withCompactAfterFiles(4));
        Map<Long, List<Object>> model = new TreeMap<>();
        int ordinal = 0;
        for (int commit = 0; commit < 60; commit++) {
            List<RowChange> changes = new ArrayList<>();
            for (int i = 0; i < 1 + random.nextInt(8); i++) {
                long id = random.nextInt(40);
                int kind = random.nextInt(3);
                if (kind < 2) { // insert or update: an upsert either way
                    String name = "n" + commit + "-" + i;
                    changes.add(model.containsKey(id)
                            ? RowChange.update(ordinal++, OldRowKind.NONE, null, row(id, name, "1.00", "d"))
                            : RowChange.insert(ordinal++, row(id, name, "1.00", "d")));
                    model.put(id, values(name, "1.00", "d"));
                } else if (model.remove(id) != null) {
                    changes.add(RowChange.delete(ordinal++, OldRowKind.KEY, key(id)));
                }
            }
            if (changes.isEmpty()) {
                continue;
            }
            commit(rows(V1, changes.toArray(RowChange[]::new)));
            if (commit % 7 == 6) {
                writer.compactIfNeeded();
            }
            DeltaTableWriter fromLog = DeltaTableWriter.open(engine, writer.tablePath(), "p1/public.orders", ORDERS, WriterSettings.DEFAULT);
            assertEquals(describe(fromLog.files()), describe(writer.files()), "files after commit " + commit);
            assertEquals(model, table(), "rows after commit " + commit);
        }
    }

    @Test
    void theKeysOfAFileJustWrittenAreCachedAsReadingTheFileGivesThem() throws Exception {
        for (int commit = 0; commit < 3; commit++) {
            List<RowChange> changes = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                long id = random.nextInt(1_000_000) - 500_000;
                changes.add(RowChange.insert(i, row(id, "n" + i, "1.00", "d")));
            }
            commit(rows(V1, changes.toArray(RowChange[]::new)));
        }
        int checked = assertCachedKeysAreTheFilesKeys();
        assertTrue(checked >= 400, "rows checked: " + checked); // random ids may repeat: upserts
    }

    /**
     * Every data file's keys are in the shared cache and equal, position by position, the key column read back from
     * the file; returns the keys compared.
     */
    private int assertCachedKeysAreTheFilesKeys() throws Exception {
        // The file's own (column-mapped) name of the key column.
        io.delta.kernel.data.Row scanState = io.delta.kernel.Table.forPath(engine, writer.tablePath()).getLatestSnapshot(engine)
                .getScanBuilder().build().getScanState(engine);
        StructType keySchema = new StructType().add(dev.tideline.delta.kernel.KernelInternals.physicalReadSchema(scanState).at(0));
        assertEquals(LongType.LONG, keySchema.at(0).getDataType());
        int checked = 0;
        for (FileEntry f : writer.files()) {
            FileKeys cached = writer.cachedKeys(f);
            assertNotNull(cached, "keys of " + f.add.getPath() + " not cached by the commit that wrote it");
            FileKeys read = FileKeys.read(engine, f.status(), keySchema, null);
            assertEquals(read.rowCount(), cached.rowCount());
            for (int p = 0; p < read.rowCount(); p++) {
                assertEquals(read.keyAt(p), cached.keyAt(p), "key at position " + p + " of " + f.add.getPath());
                checked++;
            }
        }
        return checked;
    }

    @Test
    void theKeysOfFilesAFullRefreshOrACompactionWroteAreCachedToo() throws Exception {
        writer = DeltaTableWriter.open(engine, writer.tablePath(), "p1/public.orders", ORDERS, WriterSettings.DEFAULT.withCompactAfterFiles(5));
        commit(rows(V1, RowChange.insert(0, row(1, "a", "1", "d"))));
        TableLayout layout = writer.layout();
        DeltaTableWriter.Replacement replacement = writer.replace(layout, "snap1", Lsn.of(lsn + 0x50));
        RowConverter converter = layout.converter(V1);
        List<Object[]> batch = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            batch.add(converter.toDelta(row(random.nextInt(1_000_000), "s" + i, "1", "d"), null));
        }
        replacement.commit(replacement.write(batch), batch.size());
        assertTrue(assertCachedKeysAreTheFilesKeys() >= 290, "the refresh's files");
        for (int i = 0; i < 6; i++) {
            commit(rows(V1, RowChange.insert(0, row(2_000_000 + i, "n", "1", "d"))));
        }
        assertTrue(writer.compactIfNeeded().isPresent());
        assertEquals(1, writer.fileCount());
        assertTrue(assertCachedKeysAreTheFilesKeys() >= 296, "the compaction's file");
    }

    /** What a search depends on of each file: path, size, row count, statistics, deletion vector. */
    private static Set<String> describe(List<FileEntry> files) {
        Set<String> out = new TreeSet<>();
        for (FileEntry f : files) {
            out.add(f.add.getPath() + " size=" + f.size + " rows=" + f.add.getNumRecords() + " stats=" + f.add.getStatsJson()
                    + " dv=" + f.add.getDeletionVector().map(d -> d.getUniqueId() + "/" + d.getCardinality()).orElse("-")
                    + " status=" + f.status().getPath() + "/" + f.status().getSize());
        }
        assertEquals(files.size(), out.size(), "a file listed twice");
        return out;
    }

    @Test
    void checkpointsRunOnTheExecutorOfTheSettingsAndCommitsStandAfterItIsShutDown() throws Exception {
        ExecutorService service = CheckpointExecutors.newExecutor();
        AtomicInteger asked = new AtomicInteger();
        Executor checkpoints = task -> {
            asked.incrementAndGet();
            service.execute(task);
        };
        writer = DeltaTableWriter.open(engine, writer.tablePath(), "p1/public.orders", ORDERS,
                WriterSettings.DEFAULT.withCheckpoints(checkpoints).withCheckpointSpacing(CheckpointSpacing.EVERY_REQUEST));
        for (int i = 1; i <= 10; i++) {
            commit(rows(V1, RowChange.insert(0, row(i, "n" + i, "1", "d"))));
        }
        assertEquals(10, writer.version());
        assertEquals(1, asked.get(), "Kernel asks for a checkpoint at version 10, on the settings' executor");
        service.shutdown();
        assertTrue(service.awaitTermination(30, TimeUnit.SECONDS));
        Path log = DeltaLogFiles.log(writer.tablePath());
        assertTrue(java.nio.file.Files.exists(log.resolve("00000000000000000010.checkpoint.parquet")));

        // The service stopped its executor: the commit that asks for the next checkpoint still stands, without it.
        for (int i = 11; i <= 20; i++) {
            commit(rows(V1, RowChange.insert(0, row(i, "n" + i, "1", "d"))));
        }
        assertEquals(20, writer.version());
        assertEquals(2, asked.get());
        assertTrue(!java.nio.file.Files.exists(log.resolve("00000000000000000020.checkpoint.parquet")));
        assertEquals(20, table().size());
    }

    /** Reopens the writer with checkpoints written in line, an hour apart unless 30 commits pile up, and commits rows 1 to 75. */
    private void commit75WithCheckpointsEvery30Commits() {
        writer = DeltaTableWriter.open(engine, writer.tablePath(), "p1/public.orders", ORDERS,
                WriterSettings.DEFAULT.withCheckpoints(Runnable::run).withCheckpointSpacing(new CheckpointSpacing(Duration.ofHours(1), 30)));
        for (int i = 1; i <= 75; i++) {
            commit(rows(V1, RowChange.insert(0, row(i, "n" + i, "1", "d"))));
        }
    }

    @Test
    void checkpointsAreSpacedByAgeOrCommitsAndReadersStillReadEveryRow() throws Exception {
        // An hour between checkpoints unless 30 commits pile up: Kernel asks at 10, 20, ...; 10 is the first since
        // the writer opened the table, then 40 (30 commits on), then 70.
        commit75WithCheckpointsEvery30Commits();
        Path log = DeltaLogFiles.log(writer.tablePath());
        List<Long> checkpoints = new ArrayList<>();
        try (var files = java.nio.file.Files.list(log)) {
            files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".checkpoint.parquet"))
                    .forEach(n -> checkpoints.add(Long.parseLong(n.substring(0, 20))));
        }
        checkpoints.sort(null);
        assertEquals(List.of(10L, 40L, 70L), checkpoints);
        DeltaTableWriter fromLog = DeltaTableWriter.open(engine, writer.tablePath(), "p1/public.orders", ORDERS, WriterSettings.DEFAULT);
        assertEquals(75, fromLog.readAll().size());
        assertEquals(75, fromLog.version());
    }

    @Test
    void theLogAWriterCarriesStartsAtItsLatestCheckpoint() throws Exception {
        // Kernel's post-commit snapshot extends the previous one's log by one commit; carried from commit to
        // commit it would hold all 75, and every commit would sort and replay them.
        commit75WithCheckpointsEvery30Commits();
        var segment = ((io.delta.kernel.internal.SnapshotImpl) writer.snapshot()).getLogSegment();
        assertEquals(75, writer.version());
        assertEquals(List.of(70L), segment.getCheckpoints().stream().map(f -> Long.parseLong(
                java.nio.file.Path.of(java.net.URI.create(f.getPath())).getFileName().toString().substring(0, 20))).toList());
        assertEquals(5, segment.getDeltas().size(), "commits 71 to 75 after the checkpoint at 70");
        assertEquals(75, writer.readAll().size());
        commit(rows(V1, RowChange.insert(0, row(76, "n76", "1", "d")))); // and the writer goes on from there
        assertEquals(76, writer.readAll().size());
    }

    @Test
    void aCheckpointIsDueFirstAfterOpeningThenByAgeOrCommits() {
        CheckpointSpacing spacing = new CheckpointSpacing(Duration.ofSeconds(60), 100);
        assertTrue(spacing.due(10, -1, 0), "the first request since the writer opened the table");
        assertTrue(!spacing.due(20, 10, Duration.ofSeconds(59).toNanos()));
        assertTrue(spacing.due(20, 10, Duration.ofSeconds(60).toNanos()));
        assertTrue(!spacing.due(100, 10, 0));
        assertTrue(spacing.due(110, 10, 0));
        assertTrue(CheckpointSpacing.EVERY_REQUEST.due(20, 10, 0));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> new CheckpointSpacing(Duration.ofSeconds(-1), 100));
        assertTrue(bad.getMessage().contains("tideline.apply.checkpoint-min-age"), bad.getMessage());
    }

    @Test
    void aLayoutBuiltAfreshIsRefusedBeforeItCouldRenameStoredColumns() {
        commit(rows(V1, RowChange.insert(0, row(1, "a", "1.00", "x"))));
        long version = writer.version();
        TableLayout fresh = TableLayout.create(V1, List.of(), ScdType.SCD_TYPE_1); // not evolved from writer.layout()
        List<RowOp> ops = new ArrayList<>();
        RowOps.add(rows(V1, RowChange.insert(0, row(2, "b", "2.00", "y"))), fresh.converter(V1), ops);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> writer.apply(fresh, ops, Lsn.of(lsn + 0x100)));
        assertTrue(e.getMessage().contains("column id") && e.getMessage().contains("TableLayout.evolve"), e.getMessage());
        assertEquals(version, writer.version(), "nothing committed");
        assertEquals(Map.of(1L, values("a", "1.00", "x")), table());
    }

    @Test
    void aReplayedCommitIsSkippedAndLeavesNoTrace() {
        ChangeBatch.Rows batch = rows(V1, RowChange.insert(0, row(1, "a", "1", "x")));
        commit(batch);
        long version = writer.version();
        List<RowOp> ops = new ArrayList<>();
        RowOps.add(batch, writer.layout().converter(V1), ops);
        assertTrue(writer.apply(writer.layout(), ops, batch.commitLsn()).isEmpty());
        assertTrue(writer.apply(writer.layout(), ops, Lsn.of(batch.commitLsn().value() - 1)).isEmpty());
        assertEquals(version, writer.version());
        // A second writer opening the table sees the applied LSN from the Delta log.
        DeltaTableWriter reopened = DeltaTableWriter.open(engine, writer.tablePath(), "p1/public.orders", ORDERS, WriterSettings.DEFAULT);
        assertEquals(batch.commitLsn(), reopened.appliedLsn());
        assertEquals(Lsn.INVALID, DeltaTableWriter.open(engine, writer.tablePath(), "other-app", ORDERS, WriterSettings.DEFAULT)
                .appliedLsn());
    }

    @Test
    void updatesMarkDeletedRowsOnlyInFilesWhoseKeyRangeHoldsTheKeys() throws Exception {
        for (int f = 0; f < 4; f++) {
            List<RowChange> inserts = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                inserts.add(RowChange.insert(i, row(f * 100 + i, "n", "1", "d")));
            }
            commit(rows(V1, inserts.toArray(RowChange[]::new)));
        }
        assertEquals(4, writer.fileCount());
        ChangeBatch.Rows update = rows(V1, RowChange.update(0, OldRowKind.NONE, null, row(150, "changed", "2", "d")),
                RowChange.update(1, OldRowKind.NONE, null, row(160, "changed", "2", "d")));
        List<RowOp> ops = new ArrayList<>();
        RowOps.add(update, writer.layout().converter(V1), ops);
        CommitOutcome outcome = writer.apply(writer.layout(), ops, update.commitLsn()).orElseThrow();
        assertEquals(1, outcome.filesSearched(), "only the file holding keys 100..199 is searched");
        assertEquals(1, outcome.filesRemoved(), "... and re-added with a deletion vector");
        assertEquals(1, outcome.filesAdded());
        assertEquals(2, outcome.rowsWritten(), "only the new versions are written");
        assertEquals(5, writer.fileCount());
        assertEquals(400, table().size());
        assertEquals("changed", table().get(150L).get(0));
        assertEquals(List.of(2L), DeltaLogFiles.deletionVectorCardinalities(writer.tablePath(), writer.version()),
                "one data file got a deletion vector of two rows");
        // Updating one of them again, and a neighbour: the vector grows, the file stays.
        ChangeBatch.Rows again = rows(V1, RowChange.update(0, OldRowKind.NONE, null, row(150, "again", "3", "d")),
                RowChange.delete(1, OldRowKind.KEY, key(151)));
        ops.clear();
        RowOps.add(again, writer.layout().converter(V1), ops);
        outcome = writer.apply(writer.layout(), ops, again.commitLsn()).orElseThrow();
        assertEquals(2, outcome.filesRemoved(), "the original file (key 151) and the file of the first update (key 150)");
        assertEquals(399, table().size());
        assertEquals("again", table().get(150L).get(0));
        // A new key goes to a new file, leaving the others alone.
        ops.clear();
        ChangeBatch.Rows insert = rows(V1, RowChange.insert(0, row(10_000, "new", "1", "d")));
        RowOps.add(insert, writer.layout().converter(V1), ops);
        outcome = writer.apply(writer.layout(), ops, insert.commitLsn()).orElseThrow();
        assertEquals(0, outcome.filesRemoved());
        assertEquals(0, outcome.filesSearched());
        assertEquals(1, outcome.rowsWritten());
    }

    @Test
    void compositeKeysPruneFilesOnEveryKeyColumn() {
        RelationSchema schema = new RelationSchema(16385, ORDERS, ReplicaIdentity.DEFAULT, List.of(
                new ColumnSchema("region", PgType.INT4, -1, true),
                new ColumnSchema("id", PgType.INT8, -1, true),
                new ColumnSchema("name", PgType.TEXT, -1, false)));
        writer = DeltaTableWriter.open(engine, TableLocations.of(warehouse.toString(), "main", "public", "composite"), "p1/composite",
                ORDERS, WriterSettings.DEFAULT);
        writer.create(TableLayout.create(schema, List.of(), ScdType.SCD_TYPE_1));
        // Four files, all of region 1..2, each with its own id range: only the second column tells them apart.
        for (int f = 0; f < 4; f++) {
            List<RowChange> inserts = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                inserts.add(RowChange.insert(i, Row.of(1 + i % 2, (long) (f * 100 + i), "n")));
            }
            commit(rows(schema, inserts.toArray(RowChange[]::new)));
        }
        ChangeBatch.Rows update = rows(schema, RowChange.update(0, OldRowKind.NONE, null, Row.of(2, 211L, "changed")),
                RowChange.delete(1, OldRowKind.KEY, Row.of(1, 220L, null)));
        List<RowOp> ops = new ArrayList<>();
        RowOps.add(update, writer.layout().converter(schema), ops);
        CommitOutcome outcome = writer.apply(writer.layout(), ops, update.commitLsn()).orElseThrow();
        assertEquals(1, outcome.filesSearched(), "ids 211 and 220 only fit the third file's id range");
        assertEquals(1, outcome.filesRemoved());
        int rows = 0;
        boolean changed = false;
        for (Object[] r : writer.readAll()) {
            rows++;
            changed |= Integer.valueOf(2).equals(r[0]) && Long.valueOf(211).equals(r[1]) && "changed".equals(r[2]);
            assertTrue(!(Integer.valueOf(1).equals(r[0]) && Long.valueOf(220).equals(r[1])), "deleted row is gone");
        }
        assertEquals(199, rows);
        assertTrue(changed);
    }

    @Test
    void aCommitOfFewRowsIsAPlainFileUnlessTheyEncodeToMoreThanASmallFile() throws Exception {
        commit(rows(V1, RowChange.insert(0, row(1, "a", "1", "small"))));
        String large = "x".repeat(1 << 20);
        List<RowChange> inserts = new ArrayList<>();
        for (int i = 0; i < 9; i++) { // 9 rows, 9 MiB of text: more than PlainParquetFile.MAX_BYTES
            inserts.add(RowChange.insert(i, row(10 + i, "b", "1", large)));
        }
        commit(rows(V1, inserts.toArray(RowChange[]::new)));
        Map<String, Long> writtenBy = new TreeMap<>();
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(Path.of(java.net.URI.create(writer.tablePath())))) {
            for (Path f : files.filter(f -> f.toString().endsWith(".parquet") && !f.toString().contains("_delta_log")).toList()) {
                try (var reader = org.apache.parquet.hadoop.ParquetFileReader.open(new org.apache.parquet.io.LocalInputFile(f))) {
                    writtenBy.merge(reader.getFooter().getFileMetaData().getCreatedBy().split(" ")[0], 1L, Long::sum);
                }
            }
        }
        assertEquals(Map.of("tideline", 1L, "parquet-mr", 1L), writtenBy, "the one-row commit plain, the 9 MiB one by parquet-mr");
        assertEquals(10, table().size());
        assertEquals(values("b", "1.00", large), table().get(18L));
    }

    @Test
    void aTableWithoutDeletionVectorsIsUpgradedByItsNextCommit() throws Exception {
        // As tables were created before apply wrote deletion vectors: column mapping only.
        String path = TableLocations.of(warehouse.toString(), "main", "public", "old");
        TableLayout layout = TableLayout.create(V1, List.of(), ScdType.SCD_TYPE_1);
        Map<String, String> props = new HashMap<>(layout.properties());
        props.put("delta.columnMapping.mode", "name");
        io.delta.kernel.TableManager.buildCreateTableTransaction(path, layout.schema(), "old-tideline").withTableProperties(props)
                .build(engine).commit(engine, io.delta.kernel.utils.CloseableIterable.emptyIterable());
        writer = DeltaTableWriter.open(engine, path, "p1/public.orders", ORDERS, WriterSettings.DEFAULT);
        assertTrue(!writer.deletionVectorsEnabled());
        commit(rows(V1, RowChange.insert(0, row(1, "a", "1", "d")), RowChange.insert(1, row(2, "b", "1", "d"))));
        assertTrue(writer.deletionVectorsEnabled());
        assertTrue(DeltaLogFiles.protocolFeatures(path).contains("deletionVectors"), "the protocol lists the feature");
        commit(rows(V1, RowChange.update(0, OldRowKind.NONE, null, row(1, "a2", "1", "d"))));
        // Unchanged TOAST: row 2 is read from its file, which has a deletion vector now: read with the row index
        // column the upgraded protocol adds to the read schema (not with the schema of the version before the upgrade).
        commit(rows(V1, RowChange.update(0, OldRowKind.NONE, null, Row.of(2L, "b2", new BigDecimal("1"), UnchangedToast.VALUE))));
        commit(rows(V1, RowChange.update(0, OldRowKind.NONE, null, row(2, "b", "1", "d"))));
        assertEquals(Map.of(1L, values("a2", "1.00", "d"), 2L, values("b", "1.00", "d")), table());
    }

    @Test
    void compactionMergesATierOfSimilarFilesAndLeavesALargerFileAlone() {
        writer = DeltaTableWriter.open(engine, writer.tablePath(), "p1/public.orders", ORDERS, WriterSettings.DEFAULT.withCompactAfterFiles(3));
        List<RowChange> inserts = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            inserts.add(RowChange.insert(i, row(i, "name " + i * 7919L, i + ".5", "doc " + i * 31L)));
        }
        commit(rows(V1, inserts.toArray(RowChange[]::new)));
        for (int i = 0; i < 3; i++) {
            commit(rows(V1, RowChange.insert(0, row(10_000 + i, "n", "1", "d"))));
        }
        Map<Long, List<Object>> before = table();
        CommitOutcome outcome = writer.compactIfNeeded().orElseThrow();
        assertEquals(3, outcome.filesRemoved(), "the three one-row files, not the 2,000-row file");
        assertEquals(3, outcome.rowsWritten());
        assertEquals(2, writer.fileCount());
        assertEquals(before, table());
    }

    @Test
    void compactionPurgesFilesWhoseRowsAreMostlyDeleted() throws Exception {
        List<RowChange> inserts = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            inserts.add(RowChange.insert(i, row(i, "n", "1", "d")));
        }
        commit(rows(V1, inserts.toArray(RowChange[]::new)));
        List<RowChange> deletes = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            deletes.add(RowChange.delete(i, OldRowKind.KEY, key(i * 2)));
        }
        commit(rows(V1, deletes.toArray(RowChange[]::new)));
        assertEquals(List.of(40L), DeltaLogFiles.deletionVectorCardinalities(writer.tablePath(), writer.version()));
        Map<Long, List<Object>> before = table();
        CommitOutcome outcome = writer.compactIfNeeded().orElseThrow();
        assertEquals(1, outcome.filesRemoved());
        assertEquals(60, outcome.rowsWritten(), "deleted rows are dropped");
        assertEquals(before, table());
        assertTrue(writer.compactIfNeeded().isEmpty());
    }

    @Test
    void randomWorkloadWithTruncatesEqualsTheModel() {
        Map<Long, List<Object>> model = new TreeMap<>();
        for (int txn = 0; txn < 25; txn++) {
            List<RowChange> changes = new ArrayList<>();
            int n = 1 + random.nextInt(40);
            for (int i = 0; i < n; i++) {
                long id = random.nextInt(200);
                String name = "n" + random.nextInt(1000);
                String amount = random.nextInt(10) == 0 ? null : random.nextInt(100_000) / 100 + "." + (10 + random.nextInt(90));
                int dice = random.nextInt(10);
                if (!model.containsKey(id)) {
                    changes.add(RowChange.insert(i, row(id, name, amount, "doc" + id)));
                    model.put(id, values(name, amount, "doc" + id));
                } else if (dice < 5) {
                    changes.add(RowChange.update(i, OldRowKind.NONE, null,
                            Row.of(id, name, amount == null ? null : new BigDecimal(amount), UnchangedToast.VALUE)));
                    model.put(id, values(name, amount, (String) model.get(id).get(2)));
                } else if (dice < 7) {
                    long to = 1000 + random.nextInt(1000);
                    if (model.containsKey(to)) {
                        continue;
                    }
                    changes.add(RowChange.update(i, OldRowKind.KEY, key(id), row(to, name, amount, "moved")));
                    model.remove(id);
                    model.put(to, values(name, amount, "moved"));
                } else {
                    changes.add(RowChange.delete(i, OldRowKind.KEY, key(id)));
                    model.remove(id);
                }
            }
            if (changes.isEmpty()) {
                continue;
            }
            ChangeBatch.Rows batch = rows(V1, changes.toArray(RowChange[]::new));
            TableLayout layout = writer.layout();
            List<RowOp> ops = new ArrayList<>();
            if (txn % 9 == 8) {
                ops.add(RowOp.truncate(1));
                model.clear();
                // Rows after the TRUNCATE in the same transaction stay: only inserts are valid now.
                List<RowChange> inserts = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    inserts.add(RowChange.insert(i, row(5000 + txn * 10 + i, "t", "1.00", "d")));
                    model.put(5000L + txn * 10 + i, values("t", "1.00", "d"));
                }
                batch = new ChangeBatch.Rows(batch.commitLsn(), batch.commitTime(), 1, 0, true, V1, inserts);
            }
            RowOps.add(batch, layout.converter(V1), ops);
            writer.apply(layout, ops, batch.commitLsn()).orElseThrow();
            Map<Long, List<Object>> expected = new HashMap<>();
            model.forEach((k, v) -> expected.put(k, v.get(1) == null ? v : values((String) v.get(0),
                    ((BigDecimal) new BigDecimal(v.get(1).toString())).setScale(2).toPlainString(), (String) v.get(2))));
            assertEquals(expected, table(), "after transaction " + txn);
        }
        // Kernel's checkpoints are written off the apply thread, but written.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() ->
                java.nio.file.Files.exists(DeltaLogFiles.log(writer.tablePath()).resolve("00000000000000000010.checkpoint.parquet")));
    }

    @Test
    void addedColumnsAppearWithNullInOlderRows() {
        commit(rows(V1, RowChange.insert(0, row(1, "a", "1", "d"))));
        List<ColumnSchema> columns = new ArrayList<>(V1.columns());
        columns.add(new ColumnSchema("note", PgType.VARCHAR, 64 + 4, false));
        RelationSchema v2 = new RelationSchema(V1.relationOid(), ORDERS, ReplicaIdentity.DEFAULT, columns);
        commit(rows(v2, RowChange.insert(0, Row.of(2L, "b", new BigDecimal("2.00"), "d", "hello")),
                RowChange.update(1, OldRowKind.NONE, null, Row.of(1L, "a", new BigDecimal("1.00"), UnchangedToast.VALUE, null))));
        assertEquals(5, writer.layout().columnCount());
        Map<Long, List<Object>> t = table();
        assertEquals(java.util.Arrays.asList("a", new BigDecimal("1.00"), "d", null), t.get(1L));
        assertEquals(List.of("b", new BigDecimal("2.00"), "d", "hello"), t.get(2L));
        // A dropped column stays, null from then on.
        commit(rows(V1, RowChange.insert(0, row(3, "c", "3", "d"))));
        assertEquals(5, writer.layout().columnCount());
        assertEquals(java.util.Arrays.asList("c", new BigDecimal("3.00"), "d", null), table().get(3L));
    }

    /**
     * A keyless table (REPLICA IDENTITY FULL, no key) that gains a column stays keyed by all its
     * columns — recorded in the table, so a reopened writer agrees — and keeps identical rows apart
     * from rows that differ only in the new column.
     */
    @Test
    void aKeylessTableThatGainsAColumnIsStillIdentifiedByAllOfThem() {
        TableId log = TableId.of("public", "log");
        RelationSchema v1 = new RelationSchema(16385, log, ReplicaIdentity.FULL, List.of(
                new ColumnSchema("at", PgType.INT8, -1, true), new ColumnSchema("what", PgType.TEXT, -1, true)));
        writer = DeltaTableWriter.open(engine, TableLocations.of(warehouse.toString(), "main", "public", "log"), "p1/public.log", log,
                WriterSettings.DEFAULT);
        writer.create(TableLayout.create(v1, List.of(), ScdType.SCD_TYPE_1));
        assertTrue(writer.layout().keyless());
        commit(rows(v1, RowChange.insert(0, Row.of(1L, null)), RowChange.insert(1, Row.of(1L, null)), RowChange.insert(2, Row.of(2L, "b"))));

        List<ColumnSchema> columns = new ArrayList<>(v1.columns());
        columns.add(new ColumnSchema("who", PgType.TEXT, -1, true));
        RelationSchema v2 = new RelationSchema(v1.relationOid(), log, ReplicaIdentity.FULL, columns);
        commit(rows(v2, RowChange.insert(0, Row.of(1L, null, "x")),
                RowChange.delete(1, OldRowKind.FULL, Row.of(1L, null, null))));
        writer = DeltaTableWriter.open(engine, TableLocations.of(warehouse.toString(), "main", "public", "log"), "p1/public.log", log,
                WriterSettings.DEFAULT);
        assertEquals(List.of("at", "what", "who"), writer.layout().keyColumns());
        List<String> rows = new ArrayList<>();
        for (Object[] r : writer.readAll()) {
            rows.add(java.util.Arrays.toString(r));
        }
        rows.sort(null);
        // one of the two identical (1, null) rows went; (1, null, 'x') is another row
        assertEquals(List.of("[1, null, null]", "[1, null, x]", "[2, b, null]"), rows);
    }

    @Test
    void aTypeChangeDeltaCannotApplyNamesTheColumnAndTheRemedy() {
        List<ColumnSchema> columns = new ArrayList<>(V1.columns());
        columns.set(1, new ColumnSchema("name", PgType.INT4, -1, false));
        RelationSchema changed = new RelationSchema(V1.relationOid(), ORDERS, ReplicaIdentity.DEFAULT, columns);
        TidelineException e = assertThrows(TidelineException.class, () -> writer.layout().evolve(changed));
        assertTrue(e.getMessage().contains("'name'") && e.getMessage().contains("string") && e.getMessage().contains("int"), e.getMessage());
        assertTrue(e.hint().contains("full refresh"));
    }

    @Test
    void compactionMergesSmallFilesWithoutChangingData() {
        writer = DeltaTableWriter.open(engine, writer.tablePath(), "p1/public.orders", ORDERS,
                WriterSettings.DEFAULT.withCompactAfterFiles(5));
        for (int i = 0; i < 6; i++) {
            commit(rows(V1, RowChange.insert(0, row(i, "n", "1", "d"))));
        }
        Map<Long, List<Object>> before = table();
        assertEquals(6, writer.fileCount());
        Lsn applied = writer.appliedLsn();
        CommitOutcome outcome = writer.compactIfNeeded().orElseThrow();
        assertEquals(6, outcome.filesRemoved());
        assertEquals(1, writer.fileCount());
        assertEquals(before, table());
        assertEquals(applied, writer.appliedLsn(), "compaction keeps the applied LSN");
        assertTrue(writer.compactIfNeeded().isEmpty());
    }

    @Test
    void replaceSwapsContentAtomicallyAndKeepsTheAppliedLsnForTheReplay() {
        commit(rows(V1, RowChange.insert(0, row(1, "a", "1", "d")), RowChange.insert(1, row(2, "b", "1", "d"))));
        Lsn before = writer.appliedLsn();
        TableLayout layout = TableLayout.create(V1, List.of(), ScdType.SCD_TYPE_1);
        DeltaTableWriter.Replacement replacement = writer.replace(layout, "snap1", Lsn.of(lsn + 0x50));
        RowConverter converter = layout.converter(V1);
        List<io.delta.kernel.utils.DataFileStatus> files = new ArrayList<>();
        files.addAll(replacement.write(List.<Object[]>of(converter.toDelta(row(7, "x", "7", "d"), null))));
        files.addAll(replacement.write(List.<Object[]>of(converter.toDelta(row(8, "y", "8", "d"), null))));
        assertEquals(2, table().size(), "nothing visible before the commit");
        replacement.commit(files, 2);
        assertEquals(Map.of(7L, values("x", "7.00", "d"), 8L, values("y", "8.00", "d")), table());
        assertEquals(before, writer.appliedLsn());
        assertEquals("snap1", writer.snapshotId());
        // An empty apply records the snapshot's position as the applied LSN.
        assertTrue(writer.apply(writer.layout(), List.of(), Lsn.of(lsn + 0x50)).isPresent());
        assertEquals(Lsn.of(lsn + 0x50), writer.appliedLsn());
        assertEquals(2, table().size());
    }
}
