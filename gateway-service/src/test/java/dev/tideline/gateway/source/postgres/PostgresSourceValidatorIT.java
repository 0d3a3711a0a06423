package dev.tideline.gateway.source.postgres;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.TableId;
import dev.tideline.gateway.source.postgres.SourceProblem.Check;
import dev.tideline.testing.PostgresServer;
import dev.tideline.testing.WithPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.replication.PGReplicationStream;

/** Each prerequisite of a source, missing on a real Postgres, gives its own problem and fix. */
@WithPostgres
class PostgresSourceValidatorIT {

    private static final TableId ORDERS = TableId.of("shop", "Orders");
    private static final TableId NO_KEY = TableId.of("shop", "events");

    private final PostgresSourceValidator validator = new PostgresSourceValidator();

    @BeforeAll
    static void createSource(PostgresServer pg) throws SQLException {
        try (Connection c = pg.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA shop");
            s.execute("CREATE TABLE shop.\"Orders\" (id bigint PRIMARY KEY, total numeric(12,2))");
            s.execute("CREATE TABLE shop.events (at timestamptz, payload text)");
            s.execute("CREATE PUBLICATION ready_pub FOR TABLE shop.\"Orders\"");
            s.execute("SELECT pg_create_logical_replication_slot('ready_slot', 'pgoutput')");
            s.execute("CREATE ROLE plain LOGIN PASSWORD 'plain'");
        }
    }

    @Test
    void aReadySourceHasNoProblems(PostgresServer pg) throws SQLException {
        assertEquals(List.of(), validate(pg, new SourceRequirements("ready_pub", "ready_slot", List.of(ORDERS), false, false)));
    }

    @Test
    void missingPublicationAndSlotAreReportedWithTheSqlThatCreatesThem(PostgresServer pg) throws SQLException {
        List<SourceProblem> problems = validate(pg, new SourceRequirements("no_pub", "no_slot", List.of(ORDERS), false, false));
        assertChecks(problems, Check.PUBLICATION_MISSING, Check.SLOT_MISSING);
        assertTrue(problems.get(0).fix().contains("CREATE PUBLICATION \"no_pub\" FOR TABLE \"shop\".\"Orders\""), problems.get(0).fix());
        assertTrue(problems.get(1).fix().contains("pg_create_logical_replication_slot('no_slot', 'pgoutput')"), problems.get(1).fix());

        // Asked to create them, nothing is missing.
        assertEquals(List.of(), validate(pg, new SourceRequirements("no_pub", "no_slot", List.of(ORDERS), true, true)));
    }

    @Test
    void tablesOutsideThePublicationWithoutKeyOrMissingAreEachReported(PostgresServer pg) throws SQLException {
        List<SourceProblem> problems = validate(pg, new SourceRequirements("ready_pub", "ready_slot",
                List.of(ORDERS, NO_KEY, TableId.of("shop", "orders")), false, false));
        assertChecks(problems, Check.TABLE_NOT_PUBLISHED, Check.TABLE_WITHOUT_IDENTITY, Check.TABLE_MISSING);
        assertEquals("ALTER PUBLICATION \"ready_pub\" ADD TABLE \"shop\".\"events\";", problems.get(0).fix());
        assertTrue(problems.get(1).fix().startsWith("ALTER TABLE \"shop\".\"events\" REPLICA IDENTITY FULL;"));
        assertTrue(problems.get(2).message().contains("\"shop\".\"orders\""), problems.get(2).message());
    }

    @Test
    void aColumnListWithoutTheKeyAndPartitionsPublishedUnderTheirOwnNamesAreReported(PostgresServer pg) throws SQLException {
        TableId wide = TableId.of("shop", "wide");
        TableId parted = TableId.of("shop", "parted");
        try (Connection c = pg.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE shop.wide (id bigint PRIMARY KEY, a int, secret text)");
            s.execute("CREATE TABLE shop.parted (id bigint, day int, PRIMARY KEY (id, day)) PARTITION BY RANGE (day)");
            s.execute("CREATE TABLE shop.parted_1 PARTITION OF shop.parted FOR VALUES FROM (0) TO (100)");
            s.execute("CREATE PUBLICATION scope_pub FOR TABLE shop.wide (a, secret), shop.parted"); // publish_via_partition_root off
        }
        List<SourceProblem> problems = validate(pg, new SourceRequirements("scope_pub", "ready_slot", List.of(wide, parted), false, false));
        assertChecks(problems, Check.KEY_NOT_PUBLISHED, Check.PARTITIONS_NOT_VIA_ROOT);
        assertTrue(problems.get(0).message().contains("without its key column(s) \"id\""), problems.get(0).message());
        assertTrue(problems.get(0).fix().startsWith("ALTER PUBLICATION \"scope_pub\" SET TABLE \"shop\".\"wide\" (\"a\", \"secret\", \"id\");"),
                problems.get(0).fix());
        assertTrue(problems.get(1).fix().startsWith("ALTER PUBLICATION \"scope_pub\" SET (publish_via_partition_root = true);"),
                problems.get(1).fix());

        try (Connection c = pg.connect(); Statement s = c.createStatement()) {
            s.execute("ALTER PUBLICATION scope_pub SET TABLE shop.wide (id, a), shop.parted");
            s.execute("ALTER PUBLICATION scope_pub SET (publish_via_partition_root = true)");
        }
        assertEquals(List.of(), validate(pg, new SourceRequirements("scope_pub", "ready_slot", List.of(wide, parted), false, false)));
    }

    @Test
    void replicaIdentityFullIsEnoughAndNothingIsNot(PostgresServer pg) throws SQLException {
        try (Connection c = pg.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE shop.audit (at timestamptz)");
            s.execute("CREATE TABLE shop.keyed (id int PRIMARY KEY)");
            s.execute("ALTER TABLE shop.audit REPLICA IDENTITY FULL");
            s.execute("ALTER TABLE shop.keyed REPLICA IDENTITY NOTHING");
            s.execute("CREATE PUBLICATION identity_pub FOR TABLE shop.audit, shop.keyed");
        }
        List<SourceProblem> problems = validate(pg, new SourceRequirements("identity_pub", "ready_slot",
                List.of(TableId.of("shop", "audit"), TableId.of("shop", "keyed")), false, false));
        assertChecks(problems, Check.TABLE_WITHOUT_IDENTITY);
        assertTrue(problems.get(0).message().contains("REPLICA IDENTITY NOTHING"), problems.get(0).message());
    }

    @Test
    void aPublicationThatSkipsDeletesIsReported(PostgresServer pg) throws SQLException {
        try (Connection c = pg.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE PUBLICATION inserts_only FOR TABLE shop.\"Orders\" WITH (publish = 'insert')");
        }
        List<SourceProblem> problems = validate(pg, new SourceRequirements("inserts_only", "ready_slot", List.of(ORDERS), false, false));
        assertChecks(problems, Check.PUBLICATION_OPERATIONS);
        assertTrue(problems.get(0).message().contains("update, delete, truncate"), problems.get(0).message());
    }

    @Test
    void aRoleWithoutReplicationOrSelectIsToldWhatToGrant(PostgresServer pg) throws SQLException {
        List<SourceProblem> problems;
        try (Connection c = connectAs(pg, "plain", "plain")) {
            problems = validator.validate(c, new SourceRequirements("ready_pub", "ready_slot", List.of(ORDERS), false, false));
        }
        assertChecks(problems, Check.REPLICATION_PRIVILEGE, Check.TABLE_NOT_READABLE);
        assertEquals("ALTER ROLE \"plain\" WITH REPLICATION;", problems.get(0).fix());
        assertTrue(problems.get(1).fix().contains("GRANT SELECT ON \"shop\".\"Orders\" TO \"plain\";"), problems.get(1).fix());
    }

    @Test
    void aSlotOfAnotherPluginIsReported(PostgresServer pg) throws SQLException {
        try (Connection c = pg.connect(); Statement s = c.createStatement()) {
            s.execute("SELECT pg_create_logical_replication_slot('decoding_slot', 'test_decoding')");
        }
        List<SourceProblem> problems = validate(pg, new SourceRequirements("ready_pub", "decoding_slot", List.of(ORDERS), false, false));
        assertChecks(problems, Check.SLOT_WRONG_PLUGIN);
        assertTrue(problems.get(0).message().contains("test_decoding"), problems.get(0).message());
    }

    @Test
    void aSlotHeldByAnotherConsumerIsReported(PostgresServer pg) throws Exception {
        try (Connection c = pg.connect(); Statement s = c.createStatement()) {
            s.execute("SELECT pg_create_logical_replication_slot('busy_slot', 'pgoutput')");
        }
        try (Connection replication = pg.replicationConnection();
             PGReplicationStream stream = startStreaming(replication, "busy_slot", "ready_pub")) {
            await().atMost(Duration.ofSeconds(20)).until(() -> validate(pg,
                    new SourceRequirements("ready_pub", "busy_slot", List.of(ORDERS), false, false)).size() == 1);
            List<SourceProblem> problems = validate(pg, new SourceRequirements("ready_pub", "busy_slot", List.of(ORDERS), false, false));
            assertChecks(problems, Check.SLOT_IN_USE);
            assertTrue(problems.get(0).fix().contains("pg_terminate_backend("), problems.get(0).fix());
        }
    }

    @Test
    void aServerWithoutLogicalWalOrFreeSendersAndSlotsIsReported() throws Exception {
        try (PostgresServer tiny = PostgresServer.builder()
                .settings("wal_level=logical", "max_wal_senders=1", "max_replication_slots=1", "max_slot_wal_keep_size=1MB")
                .build().start()) {
            try (Connection c = tiny.connect(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE t (id int PRIMARY KEY, filler text)");
                s.execute("CREATE PUBLICATION p FOR TABLE t");
                s.execute("SELECT pg_create_logical_replication_slot('only_slot', 'pgoutput')");
            }
            try (Connection replication = tiny.replicationConnection();
                 PGReplicationStream stream = startStreaming(replication, "only_slot", "p")) {
                List<SourceProblem> problems = validate(tiny, new SourceRequirements("p", "second_slot",
                        List.of(TableId.of("public", "t")), false, true));
                assertChecks(problems, Check.WAL_SENDERS, Check.REPLICATION_SLOTS);
            }

            // A slot whose WAL Postgres removed (max_slot_wal_keep_size exceeded) is reported as lost.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
                try (Connection c = tiny.connect(); Statement s = c.createStatement()) {
                    s.execute("INSERT INTO t SELECT g, repeat('x', 1000) FROM generate_series(1, 3000) g ON CONFLICT (id) DO UPDATE SET filler = excluded.filler");
                    s.execute("SELECT pg_switch_wal()");
                    s.execute("CHECKPOINT");
                }
                return validate(tiny, new SourceRequirements("p", "only_slot", List.of(TableId.of("public", "t")), false, false))
                        .stream().anyMatch(problem -> problem.check() == Check.SLOT_INVALIDATED);
            });
        }
        try (PostgresServer replicaOnly = PostgresServer.builder().setting("wal_level", "replica").build().start()) {
            List<SourceProblem> problems = validate(replicaOnly, new SourceRequirements("p", "s", List.of(), true, true));
            assertChecks(problems, Check.WAL_LEVEL);
            assertTrue(problems.get(0).fix().startsWith("ALTER SYSTEM SET wal_level = 'logical';"));
        }
    }

    private List<SourceProblem> validate(PostgresServer pg, SourceRequirements requirements) throws SQLException {
        try (Connection c = pg.connect()) {
            return validator.validate(c, requirements);
        }
    }

    private static Connection connectAs(PostgresServer pg, String user, String password) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        return DriverManager.getConnection(pg.jdbcUrl(), properties);
    }

    private static PGReplicationStream startStreaming(Connection replication, String slot, String publication) throws SQLException {
        PGReplicationStream stream = replication.unwrap(PGConnection.class).getReplicationAPI().replicationStream().logical()
                .withSlotName(slot)
                .withSlotOption("proto_version", "1")
                .withSlotOption("publication_names", publication)
                .withStatusInterval(1, TimeUnit.SECONDS)
                .start();
        return stream;
    }

    private static void assertChecks(List<SourceProblem> problems, Check... expected) {
        assertEquals(List.of(expected), problems.stream().map(SourceProblem::check).toList(), problems.toString());
    }
}
