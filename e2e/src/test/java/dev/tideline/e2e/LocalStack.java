package dev.tideline.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The stack exactly as a newcomer starts it: {@code deploy/local/up.sh}, here with
 * {@code TIDELINE_SKIP_BUILD=1} (this reactor already built the jars) and a state directory of its own,
 * so it never touches a stack the developer is running. {@link #close()} runs {@code down.sh --purge}.
 */
final class LocalStack implements AutoCloseable {

    private final String name;
    private final Path repo;
    private final Path stateDir;
    private final Map<String, String> env;
    private final Map<String, String> environment;

    private LocalStack(String name, Path repo, Path stateDir, Map<String, String> env, Map<String, String> environment) {
        this.name = name;
        this.repo = repo;
        this.stateDir = stateDir;
        this.env = env;
        this.environment = Map.copyOf(environment);
    }

    /**
     * Starts the stack and reads the settings {@code up.sh} wrote to {@code stack.env}.
     *
     * @param name the test's name: its service logs are kept in {@code e2e/target/stack-logs/<name>}
     */
    static LocalStack up(String name) throws IOException, InterruptedException {
        return up(name, Map.of());
    }

    /** {@link #up(String)} with extra environment for {@code up.sh}, e.g. {@code TIDELINE_JAVA_OPTS}. */
    static LocalStack up(String name, Map<String, String> environment) throws IOException, InterruptedException {
        Path repo = Path.of(System.getProperty("tideline.repo.root", "..")).toAbsolutePath().normalize();
        for (String service : List.of("api", "gateway", "apply", "sync")) {
            Path jar = repo.resolve(service + "-service/target/quarkus-app/quarkus-run.jar");
            if (!Files.exists(jar)) {
                throw new IllegalStateException(jar + " is missing: build the services first (./mvnw package -DskipTests)");
            }
        }
        Path stateDir = repo.resolve("e2e/target/stack");
        Files.createDirectories(stateDir);
        LocalStack stack = new LocalStack(name, repo, stateDir, new LinkedHashMap<>(), environment);
        try {
            stack.run(Duration.UP, "deploy/local/up.sh");
        } catch (IOException | InterruptedException | RuntimeException e) {
            // What up.sh started before it failed would make the next test's stack fail too (the same state directory).
            try {
                stack.run(Duration.DOWN, "deploy/local/down.sh", "--purge");
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        for (String line : Files.readAllLines(stateDir.resolve("stack.env"), StandardCharsets.UTF_8)) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                stack.env.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return stack;
    }

    String get(String key) {
        String value = env.get(key);
        if (value == null) {
            throw new IllegalStateException("stack.env has no " + key + ": " + env.keySet());
        }
        return value;
    }

    /** The warehouse directory of a stack with a local warehouse. */
    Path warehouse() {
        return Path.of(get("TIDELINE_WAREHOUSE"));
    }

    /** Peak resident memory ({@code VmHWM}) of a running part of the stack (api, gateway, apply, sync, nats), in KiB. */
    long peakResidentKiB(String part) throws IOException {
        return processStatus(part, "VmHWM");
    }

    /**
     * A number of {@code /proc/<pid>/status} of a running part of the stack (api, gateway, apply, sync,
     * nats): {@code VmHWM}, {@code VmRSS} (KiB), {@code Threads}, …
     */
    long processStatus(String part, String field) throws IOException {
        String pid = pid(part);
        for (String line : Files.readAllLines(Path.of("/proc", pid, "status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no " + field + " for " + part + " (pid " + pid + ")");
    }

    /** The process id of a running part of the stack (api, gateway, apply, sync, nats). */
    String pid(String part) throws IOException {
        return Files.readString(stateDir.resolve("pids").resolve(part + ".pid")).trim();
    }

    /** The directory holding the objects of bucket {@code bucket} of the stack's local S3 server ({@code TIDELINE_LOCAL_S3=1}). */
    Path bucketDirectory(String bucket) {
        return stateDir.resolve("s3/data").resolve(bucket);
    }

    Path logs() {
        return stateDir.resolve("logs");
    }

    /** SIGKILLs parts of the stack ({@code deploy/local/kill.sh}): api, gateway, apply, sync, nats, source, target. */
    void kill(String... parts) throws IOException, InterruptedException {
        run(Duration.DOWN, concat("deploy/local/kill.sh", parts));
    }

    /** Starts again the parts that are not running ({@code deploy/local/restart.sh}), on their ports and data. */
    void restart(String... parts) throws IOException, InterruptedException {
        run(Duration.UP, concat("deploy/local/restart.sh", parts));
    }

    private static String[] concat(String command, String... args) {
        String[] out = new String[args.length + 1];
        out[0] = command;
        System.arraycopy(args, 0, out, 1, args.length);
        return out;
    }

    /** Stops and deletes the stack, keeping the service logs in {@code e2e/target/stack-logs/<name>} for diagnosis. */
    @Override
    public void close() throws IOException, InterruptedException {
        run(Duration.DOWN, "deploy/local/down.sh");
        Path kept = stateDir.resolveSibling("stack-logs").resolve(name);
        Files.createDirectories(kept);
        try (var logs = Files.list(logs())) {
            for (Path log : (Iterable<Path>) logs::iterator) {
                Files.copy(log, kept.resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (!Boolean.getBoolean("tideline.e2e.keep-state")) { // -Dtideline.e2e.keep-state=true: keep warehouse and databases to inspect
            run(Duration.DOWN, "deploy/local/down.sh", "--purge");
        }
    }

    private enum Duration {
        UP(10), DOWN(2);

        final int minutes;

        Duration(int minutes) {
            this.minutes = minutes;
        }
    }

    private void run(Duration limit, String... command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(repo.toFile()).redirectErrorStream(true)
                .redirectOutput(stateDir.resolve(Path.of(command[0]).getFileName() + ".out").toFile());
        builder.environment().putAll(environment);
        builder.environment().put("TIDELINE_SKIP_BUILD", "1");
        builder.environment().put("TIDELINE_STATE_DIR", stateDir.toString());
        Process process = builder.start();
        if (!process.waitFor(limit.minutes, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish in " + limit.minutes + " minutes");
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed with exit code " + process.exitValue() + ":\n"
                    + Files.readString(stateDir.resolve(Path.of(command[0]).getFileName() + ".out")));
        }
    }
}
