package dev.tideline.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * A throwaway nats-server with JetStream for tests, on 127.0.0.1 and a free port. The port and the
 * JetStream store directory stay the same across {@link #stop()}/{@link #kill()} and
 * {@link #start()}, so streams, consumers and messages survive a restart; {@link #close()} deletes
 * them.
 *
 * <p>Where the server comes from, in this order:
 * <ol>
 *   <li>{@code TIDELINE_TEST_NATS_URL}: an existing server with JetStream, used as is; stop, kill and
 *       restart then throw {@link FaultInjectionUnsupportedException}.</li>
 *   <li>A local {@code nats-server} binary (on the PATH, or in {@code /usr/sbin}, {@code /usr/bin},
 *       {@code /usr/local/bin}), run as a child process.</li>
 *   <li>Testcontainers ({@value ContainerNats#IMAGE} with {@code -js}) when a Docker engine answers.</li>
 * </ol>
 * Otherwise {@link #start()} fails saying how to install one.
 *
 * <p>Cleanup is as for {@link PostgresServer}: {@link #close()}, a shutdown hook, and reaping of
 * servers left by a killed JVM at the next start. Lifecycle methods are synchronized.
 */
public final class NatsServer implements AutoCloseable {

    /** Where a server came from. */
    public enum Source {
        /** An existing server named by {@code TIDELINE_TEST_NATS_URL}. */
        EXTERNAL,
        /** A local nats-server binary. */
        LOCAL_BINARY,
        /** A Docker container started by Testcontainers. */
        CONTAINER
    }

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final ServerLifecycle<NatsBackend> lifecycle =
            new ServerLifecycle<>("NATS", "tideline-nats-shutdown", NatsServer::discover, NatsServer::awaitReady);

    /** A server not yet started; call {@link #start()}. */
    public static NatsServer create() {
        return new NatsServer();
    }

    /**
     * Starts the server, or starts it again after {@link #stop()} or {@link #kill()}, and returns
     * once it accepts client connections. No-op while running.
     *
     * @throws TestServerException when no server can be found or it does not come up (with its log tail)
     */
    public NatsServer start() {
        lifecycle.start();
        return this;
    }

    private static NatsBackend discover() {
        String url = System.getenv("TIDELINE_TEST_NATS_URL");
        if (url != null && !url.isBlank()) {
            return new ExternalNats(url.trim());
        }
        Optional<LocalNatsProcess> local = LocalNatsProcess.find();
        if (local.isPresent()) {
            return local.get();
        }
        if (DockerEngine.available()) {
            return new ContainerNats();
        }
        throw new TestServerException("no nats-server for tests: TIDELINE_TEST_NATS_URL is unset, no nats-server "
                + "binary is on the PATH (or in /usr/sbin, /usr/bin, /usr/local/bin), and no Docker engine answers. "
                + "Install it (apt-get install -y nats-server, or https://github.com/nats-io/nats-server/releases) "
                + "or set TIDELINE_TEST_NATS_URL to a server started with -js.");
    }

    /** Ready when the server greets a TCP client with its INFO line. */
    private static void awaitReady(NatsBackend backend) {
        URI uri = URI.create(backend.url());
        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        IOException last = null;
        while (Instant.now().isBefore(deadline)) {
            if (backend instanceof LocalNatsProcess local && local.exitCode().isPresent()) {
                throw new TestServerException(backend + " exited with code " + local.exitCode().get() + " while starting\n"
                        + ScratchDirectory.tail(local.logFile().orElseThrow(), 40));
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 4222), 1000);
                socket.setSoTimeout(2000);
                InputStream in = socket.getInputStream();
                byte[] greeting = in.readNBytes(4);
                if (new String(greeting, StandardCharsets.US_ASCII).toUpperCase(Locale.ROOT).equals("INFO")) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            try {
                Thread.sleep(50); // polling a process that is starting; there is no event to wait on
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TestServerException("interrupted while waiting for " + backend, e);
            }
        }
        throw new TestServerException(backend + " did not accept connections within " + READY_TIMEOUT.toSeconds() + " s"
                + (last == null ? "" : " (" + last.getMessage() + ")") + "\n"
                + backend.logFile().map(l -> ScratchDirectory.tail(l, 40)).orElse(""), last);
    }

    /** Graceful shutdown (SIGTERM); {@link #start()} brings it back with its JetStream data. */
    public void stop() {
        lifecycle.stop();
    }

    /** SIGKILL; JetStream recovers its store on the next {@link #start()}. */
    public void kill() {
        lifecycle.kill();
    }

    public NatsServer restart() {
        lifecycle.restart();
        return this;
    }

    /** Stops the server and deletes its store and log. Idempotent; never throws. */
    @Override
    public void close() {
        lifecycle.close();
    }

    public boolean isRunning() {
        return lifecycle.isRunning();
    }

    /** {@code nats://127.0.0.1:<port>}. */
    public String url() {
        return lifecycle.backend().url();
    }

    public boolean supportsFaultInjection() {
        return lifecycle.backend().supportsFaultInjection();
    }

    public Source source() {
        return lifecycle.backend().source();
    }

    public Optional<Path> logFile() {
        return lifecycle.backend().logFile();
    }

    @Override
    public String toString() {
        NatsBackend backend = lifecycle.backendOrNull();
        return backend == null ? "NatsServer[not started]" : "NatsServer[" + backend + "]";
    }
}
