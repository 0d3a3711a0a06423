package dev.tideline.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Testcontainers backends, used on machines without local binaries. Skipped when Testcontainers
 * finds no Docker engine.
 */
class ContainerServersIT {

    @BeforeAll
    static void requireDocker() {
        assumeTrue(DockerEngine.available(), "no Docker engine: the container backends cannot run here");
    }

    @Test
    void postgresContainerHasLogicalReplicationAndSurvivesKill() throws Exception {
        ContainerPostgres container = new ContainerPostgres(Map.of("logical_decoding_work_mem", "64kB"));
        try {
            container.start();
            String url = "jdbc:postgresql://127.0.0.1:" + container.port() + "/postgres";
            try (Connection c = java.sql.DriverManager.getConnection(url, "postgres", "postgres"); Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SHOW wal_level")) {
                    rs.next();
                    assertEquals("logical", rs.getString(1));
                }
                s.execute("CREATE TABLE t (id int PRIMARY KEY)");
                s.execute("INSERT INTO t VALUES (1)");
            }
            container.kill();
            container.start();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
                try (Connection c = java.sql.DriverManager.getConnection(url, "postgres", "postgres");
                     Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM t")) {
                    rs.next();
                    return rs.getInt(1) == 1;
                }
            });
        } finally {
            container.close();
        }
    }

    @Test
    void natsContainerStartsWithJetStream() throws Exception {
        ContainerNats container = new ContainerNats();
        try {
            container.start();
            try (io.nats.client.Connection nc = io.nats.client.Nats.connect(container.url())) {
                nc.jetStreamManagement().getAccountStatistics();
            }
        } finally {
            container.close();
        }
    }
}
