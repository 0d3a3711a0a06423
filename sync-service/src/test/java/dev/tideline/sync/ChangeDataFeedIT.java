package dev.tideline.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.sync.delta.ChangePlan;
import dev.tideline.sync.delta.DeltaChangeReader;
import dev.tideline.sync.delta.DeltaSource;
import dev.tideline.sync.delta.RowChanges;
import dev.tideline.sync.engine.SyncOutcome;
import dev.tideline.sync.model.NullBytePolicy;
import dev.tideline.sync.model.SchedulingPolicy;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.testdelta.DeltaTestTable;
import dev.tideline.sync.testdelta.ObjectBatch;
import dev.tideline.sync.types.CopyRowEncoder;
import dev.tideline.sync.types.PostgresTypeMapping;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithPostgres;
import io.delta.kernel.Scan;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.internal.InternalScanFileUtils;
import io.delta.kernel.internal.util.Utils;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.DataFileStatus;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A version that carries change data files ({@code cdc} actions, as Spark writes with
 * {@code delta.enableChangeDataFeed=true}) is read from those files — a handful of rows — not by
 * comparing the rewritten data files by key. The commit is written the way Spark writes an
 * UPDATE + DELETE: remove the old file, add the rewritten one, add a {@code _change_data} file.
 */
@WithPostgres
class ChangeDataFeedIT {

    @Test
    void changeDataFilesAreTheChanges(PostgresServer pg) throws Exception {
        SyncFixture f = new SyncFixture(pg);
        f.snapshotFraction = 100;
        DeltaTestTable table = DeltaTestTable.create(f.engine, f.tablePath("cdf"), SyncFixture.SIMPLE,
                Map.of("delta.enableChangeDataFeed", "true"));
        table.append(SyncFixture.rows(0, 200, "r"));
        SyncedTableDefinition def = f.definition("cdf", SchedulingPolicy.TRIGGERED, List.of("id"), Optional.empty());
        f.syncer(def).sync(false);
        long before = table.version();

        // UPDATE id=5, DELETE id=6, INSERT id=500, in one Spark-style commit with change data
        List<Object[]> rewritten = new ArrayList<>();
        for (Object[] r : table.rowsAt(before)) {
            long id = (Long) r[0];
            if (id == 5) {
                rewritten.add(new Object[] {5L, "updated", 55});
            } else if (id != 6) {
                rewritten.add(r);
            }
        }
        rewritten.add(new Object[] {500L, "inserted", 1});
        StructType cdcSchema = SyncFixture.SIMPLE.add("_change_type", StringType.STRING, true);
        List<Object[]> cdcRows = List.of(
                new Object[] {5L, "r5", 5, "update_preimage"},
                new Object[] {5L, "updated", 55, "update_postimage"},
                new Object[] {6L, "r6", 6, "delete"},
                new Object[] {500L, "inserted", 1, "insert"});
        writeSparkStyleCommit(f, table, before + 1, rewritten, cdcSchema, cdcRows);

        DeltaSource source = new DeltaSource(f.engine, table.path(), def.sourceTableName());
        ChangePlan plan = new DeltaChangeReader(source).plan(before, source.latest());
        assertEquals(1, plan.versions().size());
        assertTrue(plan.versions().get(0).usesChangeDataFiles());
        CopyRowEncoder encoder = new CopyRowEncoder(def.name(), PostgresTypeMapping.map("t", SyncFixture.SIMPLE), List.of("id"), null,
                NullBytePolicy.FAIL);
        RowChanges changes = new DeltaChangeReader(source).read(plan, encoder, false);
        assertEquals(4, changes.rowsRead(), "only the change data rows are read, not the 200-row rewritten file");
        assertEquals(2, changes.upsertKeys().size());
        assertEquals(1, changes.deletes().size());

        SyncOutcome outcome = f.syncer(def).sync(false);
        assertEquals(SyncOutcome.Mode.INCREMENTAL, outcome.mode(), outcome.reason());
        assertEquals(3, outcome.rowsApplied());
        f.assertEqualsRecordedVersion(table, def);
    }

    private static void writeSparkStyleCommit(SyncFixture f, DeltaTestTable table, long version, List<Object[]> rewritten,
            StructType cdcSchema, List<Object[]> cdcRows) throws Exception {
        String root = table.path();
        List<String> actions = new ArrayList<>();
        long now = System.currentTimeMillis();
        actions.add("{\"commitInfo\":{\"timestamp\":" + now + ",\"operation\":\"MERGE\",\"engineInfo\":\"tideline-test (Spark-style)\"}}");
        Scan scan = table.snapshot().getScanBuilder().build();
        try (CloseableIterator<FilteredColumnarBatch> files = scan.getScanFiles(f.engine)) {
            while (files.hasNext()) {
                try (CloseableIterator<Row> rows = files.next().getRows()) {
                    while (rows.hasNext()) {
                        Row add = rows.next().getStruct(InternalScanFileUtils.ADD_FILE_ORDINAL);
                        actions.add("{\"remove\":{\"path\":\"" + add.getString(add.getSchema().indexOf("path")) + "\",\"deletionTimestamp\":"
                                + now + ",\"dataChange\":true,\"extendedFileMetadata\":true,\"partitionValues\":{},\"size\":"
                                + add.getLong(add.getSchema().indexOf("size")) + "}}");
                    }
                }
            }
        }
        DataFileStatus data = write(f, root, SyncFixture.SIMPLE, rewritten);
        actions.add("{\"add\":{\"path\":\"" + relative(root, data.getPath()) + "\",\"partitionValues\":{},\"size\":" + data.getSize()
                + ",\"modificationTime\":" + now + ",\"dataChange\":true,\"stats\":\"{\\\"numRecords\\\":" + rewritten.size() + "}\"}}");
        DataFileStatus cdc = write(f, root + "/_change_data", cdcSchema, cdcRows);
        actions.add("{\"cdc\":{\"path\":\"" + relative(root, cdc.getPath()) + "\",\"partitionValues\":{},\"size\":" + cdc.getSize()
                + ",\"dataChange\":false}}");
        Path log = Path.of(URI.create(root + "/_delta_log"));
        Files.writeString(log.resolve(String.format("%020d.json", version)), String.join("\n", actions) + "\n", StandardOpenOption.CREATE_NEW);
    }

    private static DataFileStatus write(SyncFixture f, String dir, StructType schema, List<Object[]> rows) throws Exception {
        try (CloseableIterator<DataFileStatus> written = f.engine.getParquetHandler().writeParquetFiles(dir,
                Utils.singletonCloseableIterator(new FilteredColumnarBatch(new ObjectBatch(schema, rows), Optional.empty())), List.of())) {
            return written.next();
        }
    }

    private static String relative(String root, String absolute) {
        String r = URI.create(root).getPath();
        String a = URI.create(absolute).getPath();
        return a.substring(r.length() + 1);
    }
}
