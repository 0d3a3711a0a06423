package dev.tideline.apply.delta;

import java.time.Duration;
import dev.tideline.testing.SparkSql;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.change.ChangeEvent.OldRowKind;
import dev.tideline.core.change.Row;
import dev.tideline.core.naming.IdentifierTokens;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.PgType;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import dev.tideline.core.wire.ChangeBatch;
import dev.tideline.core.wire.RowChange;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.S3Settings;
import dev.tideline.delta.WarehouseLocation;
import dev.tideline.testing.S3Server;
import dev.tideline.testing.WithS3;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Apache Spark 3.5 + Delta Lake 3.3 read, through Hadoop's {@code s3a://} file system, the tables apply-service
 * writes into an S3 bucket (a real S3Proxy server, path-style access, plain HTTP): inserts, in-place updates and
 * deletes (deletion vectors), a key change, an added column, a checkpoint. Spark sees exactly the rows Tideline wrote.
 *
 * <p>Spark runs as a child JVM ({@code spark-interop/spark-sql.sh}, whose classpath carries hadoop-aws 3.3.4 and the
 * AWS SDK bundle 1.12.262), configured from the same {@code TIDELINE_S3_*} / {@code AWS_*} environment Tideline's
 * services use ({@link S3Server#environment()}). Opt-in like {@link SparkReadsTablesIT}:
 * <pre>./mvnw -B -f spark-interop/spark-sql/pom.xml package
 *./mvnw -B -pl apply-service -am verify -Pspark -Dtest=NoSuch -Dsurefire.failIfNoSpecifiedTests=false \
 *    -Dit.test=SparkReadsS3TablesIT -Dfailsafe.failIfNoSpecifiedTests=false</pre>
 * The class is disabled without {@code tideline.spark=true} (set by {@code -Pspark}), so the default build starts no
 * server for it.
 */
@EnabledIfSystemProperty(named = "tideline.spark", matches = "true")
@WithS3
class SparkReadsS3TablesIT {

    static final TableId T = TableId.of("public", "orders");
    static final RelationSchema V1 = new RelationSchema(1, T, ReplicaIdentity.DEFAULT, List.of(
            new ColumnSchema("id", PgType.INT8, -1, true),
            new ColumnSchema("name with space", PgType.TEXT, -1, false),
            new ColumnSchema("amount", PgType.NUMERIC, ((12 << 16) | 2) + 4, false),
            new ColumnSchema("d", PgType.DATE, -1, false),
            new ColumnSchema("ts", PgType.TIMESTAMP, -1, false),
            new ColumnSchema("tstz", PgType.TIMESTAMPTZ, -1, false),
            new ColumnSchema("tags", PgType.INT4_ARRAY, -1, false),
            new ColumnSchema("raw", PgType.BYTEA, -1, false)));

    long lsn = 0x100;
    /** What Tideline wrote, as Spark's query below prints it: id → row text. */
    final Map<Long, String> expected = new TreeMap<>();

    @Test
    void sparkReadsWhatTidelineWroteIntoABucket(S3Server s3) throws Exception {
        assertTrue(Files.isRegularFile(SparkSql.CLASSPATH), "build the Spark runner first: ./mvnw -B -f spark-interop/spark-sql/pom.xml package");
        WarehouseLocation warehouse = WarehouseLocation.of(s3.warehouse("spark"));
        DeltaTableWriter writer = DeltaTableWriter.open(
                DeltaEngines.forWarehouse(warehouse.uri(), EngineSettings.defaults(), S3Settings.compatible(s3.endpoint())),
                warehouse.table("main", "public", "orders"), "p/public.orders", T, WriterSettings.DEFAULT);
        writer.create(TableLayout.create(V1, List.of(), ScdType.SCD_TYPE_1));
        // 12 commits (a checkpoint is written at 10): 100 inserts, then updates, deletes, a key change.
        for (int c = 0; c < 10; c++) {
            List<RowChange> changes = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                long id = c * 10L + i;
                changes.add(RowChange.insert(i, row(id, "n" + id)));
                expected.put(id, text(id, "n" + id, null));
            }
            apply(writer, V1, changes);
        }
        apply(writer, V1, List.of(RowChange.update(0, OldRowKind.NONE, null, row(5, "five")),
                RowChange.delete(1, OldRowKind.KEY, key(6, 8)),
                RowChange.update(2, OldRowKind.KEY, key(7, 8), row(700, "moved"))));
        expected.put(5L, text(5, "five", null));
        expected.remove(6L);
        expected.remove(7L);
        expected.put(700L, text(700, "moved", null));
        List<ColumnSchema> v2Columns = new ArrayList<>(V1.columns());
        v2Columns.add(new ColumnSchema("added", PgType.TEXT, -1, false));
        RelationSchema v2 = new RelationSchema(1, T, ReplicaIdentity.DEFAULT, v2Columns);
        apply(writer, v2, List.of(RowChange.insert(0, withAdded(row(1000, "new"), "extra"))));
        expected.put(1000L, text(1000, "new", "extra"));
        // The first file again: its deletion vector grows (5, 6, 7 → also 8 and 9); 42 updated in another file.
        apply(writer, v2, List.of(RowChange.update(0, OldRowKind.NONE, null, withAdded(row(8, "eight"), null)),
                RowChange.delete(1, OldRowKind.KEY, key(9, 9)),
                RowChange.update(2, OldRowKind.NONE, null, withAdded(row(42, "forty-two"), "x"))));
        expected.put(8L, text(8, "eight", null));
        expected.remove(9L);
        expected.put(42L, text(42, "forty-two", "x"));

        // The table is objects in the bucket, with deletion vectors.
        String key = "spark/main/public/" + IdentifierTokens.encode("orders");
        Path stored = s3.bucketDirectory(S3Server.BUCKET).resolve(key);
        assertTrue(DeltaLogFiles.protocolFeatures(stored.toString()).contains("deletionVectors"));
        assertEquals(List.of(1L, 5L), DeltaLogFiles.deletionVectorCardinalities(stored.toString(), writer.version()).stream()
                .sorted().toList(), "the first file's vector now removes 5, 6, 7, 8 (old version) and 9; 42's file gets one");
        assertTrue(Files.exists(stored.resolve("_delta_log/00000000000000000010.checkpoint.parquet")), "a checkpoint");

        String s3a = "s3a://" + S3Server.BUCKET + "/" + key;
        assertTrue(writer.tablePath().endsWith(key), writer.tablePath());
        List<List<String>> results = sparkSql(s3, List.of(
                "SELECT concat_ws('|', id, `name with space`, CAST(amount AS STRING), CAST(d AS STRING), CAST(ts AS STRING), "
                        + "CAST(tstz AS STRING), CAST(tags AS STRING), hex(raw), coalesce(added, 'null')) AS r FROM delta.`" + s3a
                        + "` ORDER BY id",
                "SELECT count(*) AS n FROM delta.`" + s3a + "`",
                "DESCRIBE DETAIL delta.`" + s3a + "`",
                "DESCRIBE HISTORY delta.`" + s3a + "` LIMIT 1"));
        List<String> got = new ArrayList<>();
        for (String line : results.get(0)) {
            got.add(JSON.readTree(line).get("r").asText());
        }
        assertEquals(new ArrayList<>(expected.values()), got, "Spark's rows through s3a:// equal what Tideline wrote");
        assertEquals(expected.size(), JSON.readTree(results.get(1).get(0)).get("n").asLong());
        JsonNode detail = JSON.readTree(results.get(2).get(0));
        assertEquals(s3a, detail.get("location").asText());
        assertTrue(detail.get("tableFeatures").toString().contains("deletionVectors"), detail.toString());
        assertEquals(writer.version(), JSON.readTree(results.get(3).get(0)).get("version").asLong(),
                "Spark sees the latest version Tideline committed");
    }

    static final ObjectMapper JSON = new ObjectMapper();

    /** Runs statements in {@code spark-sql.sh} with the S3 server's environment; each statement's JSON result lines. */
    static List<List<String>> sparkSql(S3Server s3, List<String> statements) throws IOException, InterruptedException {
        return SparkSql.run(statements, s3.environment(), Duration.ofMinutes(10));
    }

    static Row row(long id, String name) {
        return SparkReadsTablesIT.row(id, name);
    }

    static String text(long id, String name, String added) {
        return id + "|" + name + "|" + id + ".25|2024-02-29|2024-02-29 23:59:59.123456|2024-05-01 12:00:00.000001|[1, null, 3]|00FF07|"
                + (added == null ? "null" : added);
    }

    static Row key(long id, int columns) {
        Object[] values = new Object[columns];
        values[0] = id;
        return Row.of(values);
    }

    static Row withAdded(Row row, String added) {
        List<Object> v = new ArrayList<>(row.values());
        v.add(added);
        return Row.of(v);
    }

    void apply(DeltaTableWriter writer, RelationSchema schema, List<RowChange> changes) {
        lsn += 0x10;
        ChangeBatch.Rows batch = new ChangeBatch.Rows(Lsn.of(lsn), Instant.EPOCH, 1, 0, true, schema, changes);
        TableLayout layout = writer.layout().evolve(schema);
        List<RowOp> ops = new ArrayList<>();
        RowOps.add(batch, layout.converter(schema), ops);
        writer.apply(layout, ops, batch.commitLsn()).orElseThrow();
    }
}
