package dev.tideline.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A cluster created with the machine's own {@code initdb} in a scratch directory and run with
 * {@code pg_ctl}. Postgres refuses to run as root, so as root every command runs as the
 * {@code postgres} user through {@code runuser}, and the scratch directory belongs to that user.
 */
final class LocalPostgresCluster extends ScratchPostgresCluster {

    private static final String OS_USER = "postgres";
    private static final int LOG_LINES = 40;

    private final Path binDir;
    private boolean initialized;

    private LocalPostgresCluster(Path binDir, Map<String, String> settings) {
        super("tideline-pg-", settings);
        this.binDir = binDir;
    }

    /** The cluster, or empty when this machine has no usable Postgres binaries. */
    static Optional<LocalPostgresCluster> find(Map<String, String> settings) {
        Optional<Path> binDir = findBinDir();
        if (binDir.isEmpty() || (isRoot() && !osUserExists())) {
            return Optional.empty();
        }
        return Optional.of(new LocalPostgresCluster(binDir.get(), settings));
    }

    static Optional<Path> findBinDir() {
        String override = System.getenv("TIDELINE_TEST_PG_BINDIR");
        if (override != null && !override.isBlank()) {
            return Optional.of(Paths.get(override)).filter(LocalPostgresCluster::hasServerBinaries);
        }
        try {
            Process p = new ProcessBuilder("pg_config", "--bindir").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 && hasServerBinaries(Paths.get(out))) {
                return Optional.of(Paths.get(out));
            }
        } catch (IOException e) {
            // no pg_config on the PATH: look in the Debian/Ubuntu location below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Path versions = Paths.get("/usr/lib/postgresql");
        if (!Files.isDirectory(versions)) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(versions)) {
            return dirs.filter(d -> d.getFileName().toString().matches("\\d+(\\.\\d+)?"))
                    .max(Comparator.comparingDouble(d -> Double.parseDouble(d.getFileName().toString())))
                    .map(d -> d.resolve("bin"))
                    .filter(LocalPostgresCluster::hasServerBinaries);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static boolean hasServerBinaries(Path dir) {
        return Files.isExecutable(dir.resolve("initdb")) && Files.isExecutable(dir.resolve("pg_ctl"))
                && Files.isExecutable(dir.resolve("postgres"));
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static boolean osUserExists() {
        try {
            return Files.readAllLines(Paths.get("/etc/passwd")).stream().anyMatch(l -> l.startsWith(OS_USER + ":"));
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public synchronized void start() {
        if (!initialized) {
            initdb();
            initialized = true;
        }
        run("pg_ctl start", log, 90, pgCtl("-D", data.toString(), "-l", log.toString(), "-w", "-t", "60", "start"));
        registration.update(postmasterPid().orElse(-1L));
    }

    private void initdb() {
        if (isRoot()) {
            chownToOsUser(scratch);
        }
        Path initdbLog = scratch.resolve("initdb.log");
        run("initdb", initdbLog, 120, command(binDir.resolve("initdb").toString(), "-D", data.toString(),
                "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"));
        try {
            StringBuilder conf = new StringBuilder("\n# --- tideline test server ---\n");
            conf.append("listen_addresses = '127.0.0.1'\n");
            conf.append("port = ").append(port).append('\n');
            conf.append("unix_socket_directories = '").append(scratch).append("'\n");
            conf.append("wal_level = logical\n");
            conf.append("max_replication_slots = 20\n");
            conf.append("max_wal_senders = 20\n");
            conf.append("max_connections = 60\n");
            conf.append("shared_buffers = 32MB\n");
            // Tests kill processes, not the machine: the OS page cache survives a SIGKILL, so crash
            // recovery still finds every committed record without paying for fsync.
            conf.append("fsync = off\n");
            conf.append("full_page_writes = off\n");
            conf.append("log_min_messages = warning\n");
            for (Map.Entry<String, String> s : settings.entrySet()) {
                conf.append(s.getKey()).append(" = '").append(s.getValue().replace("'", "''")).append("'\n");
            }
            Files.writeString(data.resolve("postgresql.conf"), conf, StandardOpenOption.APPEND);
            Files.writeString(data.resolve("pg_hba.conf"), """
                    local   all           all                 trust
                    host    all           all   127.0.0.1/32  trust
                    host    replication   all   127.0.0.1/32  trust
                    local   replication   all                 trust
                    """);
        } catch (IOException e) {
            throw new TestServerException("could not write the configuration of the test cluster in " + data, e);
        }
    }

    @Override
    public synchronized void stop() {
        if (postmasterPid().flatMap(ProcessHandle::of).isEmpty()) {
            return;
        }
        run("pg_ctl stop", log, 90, pgCtl("-D", data.toString(), "-m", "fast", "-w", "-t", "60", "stop"));
        registration.update(-1);
    }

    @Override
    public synchronized void kill() {
        postmasterPid().flatMap(ProcessHandle::of).ifPresent(StaleServerReaper::killTree);
        registration.update(-1);
    }

    @Override
    public synchronized void close() {
        try {
            // 'immediate': the data is thrown away, so there is nothing worth a checkpoint
            if (postmasterPid().flatMap(ProcessHandle::of).isPresent()) {
                runQuietly(pgCtl("-D", data.toString(), "-m", "immediate", "-w", "-t", "30", "stop"));
            }
            postmasterPid().flatMap(ProcessHandle::of).ifPresent(StaleServerReaper::killTree);
        } finally {
            ScratchDirectory.deleteQuietly(scratch);
            registration.remove();
        }
    }

    private List<String> pgCtl(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(binDir.resolve("pg_ctl").toString());
        cmd.addAll(List.of(args));
        return command(cmd.toArray(String[]::new));
    }

    private static List<String> command(String... args) {
        List<String> cmd = new ArrayList<>();
        if (isRoot()) {
            cmd.addAll(List.of("runuser", "-u", OS_USER, "--"));
        }
        cmd.addAll(List.of(args));
        return cmd;
    }

    private void run(String what, Path outputLog, int timeoutSeconds, List<String> cmd) {
        Path out = scratch.resolve("commands.log");
        try {
            Process p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
                    .start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new TestServerException(what + " did not finish within " + timeoutSeconds + " s: " + cmd
                        + "\n" + ScratchDirectory.tail(out, LOG_LINES) + "\n" + ScratchDirectory.tail(outputLog, LOG_LINES));
            }
            if (p.exitValue() != 0) {
                throw new TestServerException(what + " failed with exit code " + p.exitValue() + ": " + cmd
                        + "\n" + ScratchDirectory.tail(out, LOG_LINES) + "\n" + ScratchDirectory.tail(outputLog, LOG_LINES));
            }
        } catch (IOException e) {
            throw new TestServerException(what + " could not be run: " + cmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestServerException(what + " was interrupted", e);
        }
    }

    private void runQuietly(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            p.waitFor(40, TimeUnit.SECONDS);
        } catch (IOException e) {
            // falls through to the SIGKILL in close()
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void chownToOsUser(Path dir) {
        try {
            UserPrincipal owner = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(OS_USER);
            Files.setOwner(dir, owner);
            try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
                for (Path child : children) {
                    Files.setOwner(child, owner);
                }
            }
        } catch (IOException e) {
            throw new TestServerException("could not hand " + dir + " to the '" + OS_USER
                    + "' user, which Postgres must run as when the tests run as root", e);
        }
    }

    @Override
    public PostgresServer.Source source() {
        return PostgresServer.Source.LOCAL_BINARIES;
    }

    @Override
    public String toString() {
        return "local Postgres (" + binDir + ") on 127.0.0.1:" + port + ", data in " + data;
    }
}
