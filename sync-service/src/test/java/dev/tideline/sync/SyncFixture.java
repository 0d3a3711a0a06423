package dev.tideline.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.TableLocations;
import dev.tideline.sync.delta.DeltaSource;
import dev.tideline.sync.delta.FoldLimits;
import dev.tideline.sync.engine.SyncOptions;
import dev.tideline.sync.engine.SyncedTableSyncer;
import dev.tideline.sync.model.NullBytePolicy;
import dev.tideline.sync.model.SchedulingPolicy;
import dev.tideline.sync.model.SyncFaults;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.model.TargetTable;
import dev.tideline.sync.postgres.PostgresTarget;
import dev.tideline.sync.testdelta.DeltaTestTable;
import dev.tideline.testing.PostgresServer;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.StructType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** A warehouse directory, a Kernel engine and a target database for one test; helpers to compare both sides. */
final class SyncFixture {

    /** The schema most tests use: {@code id BIGINT, name STRING, amount INT}. */
    static final StructType SIMPLE = new StructType()
            .add("id", LongType.LONG, false)
            .add("name", StringType.STRING, true)
            .add("amount", IntegerType.INTEGER, true);

    final PostgresServer pg;
    /** The local warehouse directory; null for a fixture on object storage. */
    final Path warehouse;
    /** The warehouse URI ({@code file:}, or {@code s3://} on a test S3 server). */
    final String warehouseUri;
    final Engine engine;
    final String database;
    /** The 10% rule's fraction; tests of the incremental path on tiny tables raise it. */
    double snapshotFraction = 0.10;
    /** How much of a refresh is folded in memory; tests of the spilled fold make it tiny. */
    FoldLimits fold = FoldLimits.defaults();

    SyncFixture(PostgresServer pg) throws IOException {
        this.pg = pg;
        this.warehouse = Files.createTempDirectory("tideline-sync-warehouse");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(warehouse)));
        this.warehouseUri = warehouse.toUri().toString();
        this.engine = DeltaEngines.forWarehouse(warehouseUri);
        this.database = "db_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    }

    /** A fixture whose tables live in an object-storage warehouse, read through {@code engine}. */
    SyncFixture(PostgresServer pg, String warehouseUri, Engine engine) {
        this.pg = pg;
        this.warehouse = null;
        this.warehouseUri = warehouseUri;
        this.engine = engine;
        this.database = "db_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    }

    private static void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory; the OS cleans /tmp eventually
        }
    }

    String tablePath(String table) {
        return TableLocations.of(warehouseUri, "main", "src", table);
    }

    DeltaTestTable createTable(String table, StructType schema) {
        return DeltaTestTable.create(engine, tablePath(table), schema);
    }

    PostgresTarget target() {
        return new PostgresTarget(pg.host(), pg.port(), pg.user(), pg.password(), database);
    }

    SyncedTableDefinition definition(String table, SchedulingPolicy policy, List<String> key, Optional<String> timeseries) {
        return new SyncedTableDefinition("synced.public." + table, "main.src." + table, tablePath(table),
                new TargetTable(database, "public", table), key, timeseries, policy, NullBytePolicy.FAIL, true);
    }

    SyncedTableSyncer syncer(SyncedTableDefinition def, SyncFaults faults) {
        return new SyncedTableSyncer(def, target(), new DeltaSource(engine, def.sourceTablePath(), def.sourceTableName()),
                new SyncOptions(4, snapshotFraction).withFold(fold), faults);
    }

    SyncedTableSyncer syncer(SyncedTableDefinition def) {
        return syncer(def, SyncFaults.NONE);
    }

    Connection connect() throws SQLException {
        return pg.connect(database);
    }

    /** Rows of a Postgres table as strings {@code v1|v2|...}, sorted. */
    List<String> postgresRows(String quotedTable) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM " + quotedTable)) {
            ResultSetMetaData md = rs.getMetaData();
            while (rs.next()) {
                StringBuilder sb = new StringBuilder();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    if (i > 1) {
                        sb.append('|');
                    }
                    sb.append(rs.getString(i));
                }
                out.add(sb.toString());
            }
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    /** Rows of the Delta table at a version in the same form. */
    static List<String> deltaRows(DeltaTestTable table, long version) {
        List<String> out = new ArrayList<>();
        for (Object[] row : table.rowsAt(version)) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                if (i > 0) {
                    sb.append('|');
                }
                sb.append(row[i]);
            }
            out.add(sb.toString());
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    long syncedVersion(String syncedName) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT delta_version FROM tideline.synced_tables WHERE synced_table_name = '" + syncedName + "'")) {
            return rs.next() ? rs.getLong(1) : -1;
        }
    }

    /** Asserts the Postgres table equals the Delta table at the version recorded in the target's bookkeeping. */
    void assertEqualsRecordedVersion(DeltaTestTable table, SyncedTableDefinition def) throws SQLException {
        long version = syncedVersion(def.name());
        assertEquals(deltaRows(table, version), postgresRows(def.target().quoted()),
                "Postgres " + def.target() + " must equal Delta at recorded version " + version);
    }

    static List<Object[]> rows(long fromId, long toIdExclusive, String prefix) {
        List<Object[]> rows = new ArrayList<>();
        for (long id = fromId; id < toIdExclusive; id++) {
            rows.add(new Object[] {id, prefix + id, (int) (id % 100)});
        }
        return rows;
    }
}
