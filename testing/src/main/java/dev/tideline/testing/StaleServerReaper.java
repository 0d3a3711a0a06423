package dev.tideline.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Remembers, in small files under {@code <java.io.tmpdir>/tideline-test-servers}, which server
 * processes and scratch directories this JVM owns, so that a later JVM can remove them when this one
 * died without running its shutdown hooks (SIGKILL, an IDE's stop button, a CI timeout).
 *
 * <p>A registration is stale when its owning JVM (pid and start time) no longer runs. Reaping kills
 * the registered process only if it still runs the registered command, so a recycled pid is left
 * alone. Thread-safe; all failures are swallowed because reaping is best effort.
 */
final class StaleServerReaper {

    private static final Path REGISTRY = Paths.get(System.getProperty("java.io.tmpdir"), "tideline-test-servers");
    private static final ProcessHandle SELF = ProcessHandle.current();

    private StaleServerReaper() {
    }

    /** One registered server; keep it current with {@link #update(long)} after each (re)start. */
    static final class Registration {
        private final Path file;
        private final String command;
        private final Path scratch;

        private Registration(Path file, String command, Path scratch) {
            this.file = file;
            this.command = command;
            this.scratch = scratch;
        }

        synchronized void update(long serverPid) {
            Properties p = new Properties();
            p.setProperty("owner", Long.toString(SELF.pid()));
            p.setProperty("ownerStart", SELF.info().startInstant().map(Instant::toString).orElse(""));
            p.setProperty("pid", Long.toString(serverPid));
            p.setProperty("command", command);
            p.setProperty("scratch", scratch.toString());
            try {
                Files.createDirectories(REGISTRY);
                try (var out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                    p.store(out, "tideline test server; removed when its owner exits");
                }
            } catch (IOException ignored) {
                // without a registration only the orphan cleanup is lost, not the test
            }
        }

        synchronized void remove() {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // stale file: the next reaper finds its owner dead and deletes it
            }
        }
    }

    /**
     * Registers a server; {@code command} is a substring of the process's executable path used to
     * recognise it later (e.g. {@code "postgres"}).
     */
    static Registration register(String command, Path scratch) {
        Path file = REGISTRY.resolve(SELF.pid() + "-" + System.nanoTime() + ".server");
        return new Registration(file, command, scratch);
    }

    /** Kills the processes and deletes the scratch directories of registrations whose JVM is gone. */
    static synchronized void reapStale() {
        if (!Files.isDirectory(REGISTRY)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(REGISTRY, "*.server")) {
            for (Path file : files) {
                reapIfStale(file);
            }
        } catch (IOException | RuntimeException ignored) {
            // best effort
        }
    }

    private static void reapIfStale(Path file) throws IOException {
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (IOException e) {
            return;
        }
        long owner = Long.parseLong(p.getProperty("owner", "-1"));
        String ownerStart = p.getProperty("ownerStart", "");
        Optional<ProcessHandle> ownerHandle = ProcessHandle.of(owner)
                .filter(h -> ownerStart.isEmpty() || h.info().startInstant().map(Instant::toString).orElse("").equals(ownerStart));
        if (ownerHandle.isPresent()) {
            return;
        }
        long pid = Long.parseLong(p.getProperty("pid", "-1"));
        String command = p.getProperty("command", "\u0000");
        ProcessHandle.of(pid)
                .filter(h -> h.info().command().map(c -> c.contains(command)).orElse(false))
                .ifPresent(StaleServerReaper::killTree);
        String scratch = p.getProperty("scratch");
        if (scratch != null && !scratch.isEmpty()) {
            ScratchDirectory.deleteQuietly(Paths.get(scratch));
        }
        Files.deleteIfExists(file);
    }

    /**
     * SIGKILLs a process and all its descendants and waits for them to exit. Descendants are
     * collected first: once the parent is dead they are re-parented and can no longer be found.
     */
    static void killTree(ProcessHandle root) {
        List<ProcessHandle> descendants = root.descendants().toList();
        root.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
        awaitExit(root);
        descendants.forEach(StaleServerReaper::awaitExit);
    }

    private static void awaitExit(ProcessHandle handle) {
        try {
            handle.onExit().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception ignored) {
            // reported by the caller's next step (a port still in use, a lock file still held)
        }
    }
}
