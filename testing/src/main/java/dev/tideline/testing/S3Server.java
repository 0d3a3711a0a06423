package dev.tideline.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A real S3 server for tests: S3Proxy ({@code org.gaul:s3proxy}, from Maven Central) as a child JVM on
 * 127.0.0.1 and a free port, with AWS signature v2/v4 authentication, path-style buckets, and its
 * {@code filesystem-nio2} backend under a scratch directory. That backend publishes an object by hard-linking a
 * fully written temporary file, so {@code If-None-Match: *} is evaluated atomically: of two concurrent creates of
 * one key exactly one gets 200 and the other 412 (S3Proxy 4.0.0 and later; before, it was a HEAD then a PUT).
 *
 * <p>{@link Backend#IGNORES_CONDITIONAL_WRITES} is S3Proxy 2.7.0, whose PUT ignores {@code If-None-Match} (every
 * create succeeds, as on a store without conditional writes): the real server the start-up check must refuse. Data and port survive {@link #stop()}/{@link #kill()} and
 * {@link #start()}; {@link #close()} deletes them. Credentials are {@link #ACCESS_KEY}/{@link #SECRET_KEY}.
 * Lifecycle methods are synchronized.
 */
public final class S3Server implements AutoCloseable {

    /** The access key id S3Proxy accepts. */
    public static final String ACCESS_KEY = "tideline";
    /** The secret key S3Proxy accepts. */
    public static final String SECRET_KEY = "tideline-secret";
    /** The bucket every server starts with. */
    public static final String BUCKET = "warehouse";

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

    /** The storage behind S3Proxy. */
    public enum Backend {
        /** S3Proxy 4.x, files in a scratch directory; conditional creates are atomic. */
        FILESYSTEM("s3proxy.jar", "filesystem-nio2"),
        /** S3Proxy 2.7.0, files in a scratch directory; {@code If-None-Match} on PUT is ignored. */
        IGNORES_CONDITIONAL_WRITES("s3proxy-legacy.jar", "filesystem");

        private final String jarProperty;
        private final String provider;

        Backend(String jarProperty, String provider) {
            this.jarProperty = jarProperty;
            this.provider = provider;
        }
    }

    private final Backend backend;
    private final int port;
    private final Path scratch;
    private final Path data;
    private final Path log;
    private final StaleServerReaper.Registration registration;
    private Process process;

    private S3Server(Backend backend) {
        this.backend = backend;
        this.port = FreePort.pick();
        this.scratch = ScratchDirectory.create("tideline-s3-");
        this.data = scratch.resolve("data");
        this.log = scratch.resolve("s3proxy.log");
        this.registration = StaleServerReaper.register("java", scratch);
    }

    /** A filesystem-backed server, not yet started. */
    public static S3Server create() {
        return new S3Server(Backend.FILESYSTEM);
    }

    /** A server on the given backend, not yet started. */
    public static S3Server create(Backend backend) {
        return new S3Server(backend);
    }

    /**
     * Starts the server (again) with bucket {@link #BUCKET} and returns once it answers HTTP. No-op while running.
     *
     * @throws TestServerException when the S3Proxy jar is missing or the server does not come up (with its log)
     */
    public synchronized S3Server start() {
        if (process != null && process.isAlive()) {
            return this;
        }
        StaleServerReaper.reapStale();
        Path jar = jar(backend.jarProperty);
        Path config = scratch.resolve("s3proxy.conf");
        Properties p = new Properties();
        p.setProperty("s3proxy.endpoint", endpoint());
        p.setProperty("s3proxy.authorization", "aws-v2-or-v4");
        p.setProperty("s3proxy.identity", ACCESS_KEY);
        p.setProperty("s3proxy.credential", SECRET_KEY);
        p.setProperty("jclouds.provider", backend.provider);
        p.setProperty("jclouds.filesystem.basedir", data.toString());
        try {
            // filesystem-nio2: a bucket is a directory
            Files.createDirectories(data.resolve(BUCKET));
            try (var out = Files.newBufferedWriter(config)) {
                p.store(out, "tideline test S3 server");
            }
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            process = new ProcessBuilder(java, "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-jar", jar.toString(), "--properties", config.toString())
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
        } catch (IOException e) {
            throw new TestServerException("could not run S3Proxy from " + jar, e);
        }
        registration.update(process.pid());
        awaitReady();
        return this;
    }

    /** Where the build copied an S3Proxy jar (testing/pom.xml, servers.properties). */
    static Path jar(String property) {
        Properties p = new Properties();
        try (InputStream in = S3Server.class.getResourceAsStream("servers.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path jar = Path.of(p.getProperty(property, property));
        if (!Files.isRegularFile(jar)) {
            throw new TestServerException("no S3Proxy jar at " + jar + ": build the testing module (./mvnw -pl testing -am "
                    + "process-resources copies org.gaul:s3proxy:jar-with-dependencies there)");
        }
        return jar;
    }

    private void awaitReady() {
        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        IOException last = null;
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new TestServerException("S3Proxy exited with code " + process.exitValue() + " while starting\n"
                        + ScratchDirectory.tail(log, 40));
            }
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create(endpoint() + "/").toURL().openConnection();
                c.setConnectTimeout(1000);
                c.setReadTimeout(2000);
                int status = c.getResponseCode(); // 403 for an unsigned request: the server answers
                c.disconnect();
                if (status > 0) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            try {
                Thread.sleep(100); // polling a process that is starting; there is no event to wait on
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TestServerException("interrupted while waiting for S3Proxy", e);
            }
        }
        throw new TestServerException("S3Proxy did not answer on " + endpoint() + " within " + READY_TIMEOUT.toSeconds() + " s"
                + (last == null ? "" : " (" + last.getMessage() + ")") + "\n" + ScratchDirectory.tail(log, 40), last);
    }

    /** Graceful shutdown; {@link #start()} brings it back with its objects (filesystem backend). */
    public synchronized void stop() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    StaleServerReaper.killTree(process.toHandle());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** SIGKILL. */
    public synchronized void kill() {
        if (process != null && process.isAlive()) {
            StaleServerReaper.killTree(process.toHandle());
        }
    }

    /** Stops the server and deletes its objects and log. Idempotent; never throws. */
    @Override
    public synchronized void close() {
        try {
            stop();
        } finally {
            registration.remove();
            ScratchDirectory.deleteQuietly(scratch);
        }
    }

    /** {@code http://127.0.0.1:<port>}. */
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** {@code s3://warehouse/<prefix>}: a warehouse location in this server's bucket. */
    public String warehouse(String prefix) {
        return "s3://" + BUCKET + "/" + prefix;
    }

    /** The directory holding bucket {@code bucket}'s objects (filesystem backend), for assertions on what is stored. */
    public Path bucketDirectory(String bucket) {
        return data.resolve(bucket);
    }

    /**
     * The settings a Tideline service needs to use this server as its warehouse store: {@code tideline.s3.*} and the
     * AWS SDK's credential system properties.
     */
    public Map<String, String> tidelineConfig() {
        return Map.of("tideline.s3.endpoint", endpoint(), "tideline.s3.path-style-access", "true", "tideline.s3.region", "us-east-1",
                "aws.accessKeyId", ACCESS_KEY, "aws.secretAccessKey", SECRET_KEY);
    }

    /** The same as environment variables, for services run as processes. */
    public Map<String, String> environment() {
        return Map.of("TIDELINE_S3_ENDPOINT", endpoint(), "TIDELINE_S3_PATH_STYLE_ACCESS", "true", "TIDELINE_S3_REGION", "us-east-1",
                "AWS_ACCESS_KEY_ID", ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    }

    /**
     * Makes this JVM's AWS SDK find the server's credentials (system properties {@code aws.accessKeyId},
     * {@code aws.secretAccessKey}); every S3Server uses the same pair, so the properties never conflict.
     */
    public S3Server exportCredentials() {
        System.setProperty("aws.accessKeyId", ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", SECRET_KEY);
        return this;
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    public Path logFile() {
        return log;
    }

    @Override
    public String toString() {
        return "S3Server[S3Proxy " + backend.provider + " at " + endpoint() + "]";
    }
}
