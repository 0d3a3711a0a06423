package dev.tideline.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code nats-server -js -sd <store> -a 127.0.0.1 -p <port>} as a child process of this JVM, its
 * output in a log file next to the store. Stop is SIGTERM (nats-server flushes JetStream and exits);
 * kill is SIGKILL. Store and port stay the same across restarts, so JetStream data survives.
 */
final class LocalNatsProcess implements NatsBackend {

    private static final List<Path> WELL_KNOWN = List.of(
            Paths.get("/usr/sbin/nats-server"), Paths.get("/usr/bin/nats-server"),
            Paths.get("/usr/local/bin/nats-server"));

    private final Path binary;
    private final int port;
    private final Path scratch;
    private final Path store;
    private final Path log;
    private final StaleServerReaper.Registration registration;
    private Process process;

    private LocalNatsProcess(Path binary) {
        this.binary = binary;
        this.port = FreePort.pick();
        this.scratch = ScratchDirectory.create("tideline-nats-");
        this.store = scratch.resolve("jetstream");
        this.log = scratch.resolve("nats-server.log");
        this.registration = StaleServerReaper.register("nats-server", scratch);
        registration.update(-1);
    }

    static Optional<LocalNatsProcess> find() {
        return findBinary().map(LocalNatsProcess::new);
    }

    static Optional<Path> findBinary() {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                Path candidate = Paths.get(dir, "nats-server");
                if (!dir.isEmpty() && Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return WELL_KNOWN.stream().filter(Files::isExecutable).findFirst();
    }

    @Override
    public synchronized void start() {
        try {
            process = new ProcessBuilder(binary.toString(), "-js", "-sd", store.toString(),
                    "-a", "127.0.0.1", "-p", Integer.toString(port))
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
        } catch (IOException e) {
            throw new TestServerException("could not run " + binary, e);
        }
        registration.update(process.pid());
    }

    @Override
    public synchronized void stop() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    StaleServerReaper.killTree(process.toHandle());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                StaleServerReaper.killTree(process.toHandle());
            }
        }
        process = null;
        registration.update(-1);
    }

    @Override
    public synchronized void kill() {
        if (process != null) {
            StaleServerReaper.killTree(process.toHandle());
        }
        process = null;
        registration.update(-1);
    }

    @Override
    public synchronized void close() {
        try {
            if (process != null) {
                StaleServerReaper.killTree(process.toHandle());
            }
        } finally {
            process = null;
            ScratchDirectory.deleteQuietly(scratch);
            registration.remove();
        }
    }

    /** Whether the process exited, for a clear error instead of a connect timeout. */
    synchronized Optional<Integer> exitCode() {
        return process != null && !process.isAlive() ? Optional.of(process.exitValue()) : Optional.empty();
    }

    @Override
    public String url() {
        return "nats://127.0.0.1:" + port;
    }

    @Override
    public boolean supportsFaultInjection() {
        return true;
    }

    @Override
    public NatsServer.Source source() {
        return NatsServer.Source.LOCAL_BINARY;
    }

    @Override
    public Optional<Path> logFile() {
        return Optional.of(log);
    }

    @Override
    public String toString() {
        return "nats-server (" + binary + ") on 127.0.0.1:" + port + ", store in " + store;
    }
}
