package dev.tideline.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs SQL statements in Apache Spark with Delta Lake through {@code spark-interop/spark-sql.sh}: a child JVM on
 * Spark's own class path (Spark and Quarkus cannot share one). The script prints {@code -- result N} before each
 * statement's rows, one JSON object per row; this returns those lines per statement.
 *
 * <p>Paths are relative to a module's directory (where Maven runs tests). {@link #CLASSPATH} exists once
 * {@code spark-interop/spark-sql} has been packaged; tests check it and skip otherwise.
 */
public final class SparkSql {

    /** The runner script. */
    public static final Path SCRIPT = Path.of("..", "spark-interop", "spark-sql.sh").toAbsolutePath().normalize();
    /** Spark's class path, written when {@code spark-interop/spark-sql} is packaged. */
    public static final Path CLASSPATH = SCRIPT.resolveSibling("spark-sql/target/spark-classpath.txt");

    private SparkSql() {
    }

    /**
     * Runs {@code statements} in one Spark session.
     *
     * @param environment added to the script's environment (S3 endpoint and keys, {@code SPARK_SQL_HEAP} …)
     * @param timeout     how long the whole run may take before it is killed
     * @return each statement's result lines, in order
     * @throws IllegalStateException when Spark fails (with the end of its log), times out, or returns fewer results
     */
    public static List<List<String>> run(List<String> statements, Map<String, String> environment, Duration timeout)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(SCRIPT.toString());
        command.addAll(statements);
        Path stdout = Files.createTempFile("spark-sql-", ".out");
        Path stderr = Files.createTempFile("spark-sql-", ".err");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        pb.environment().putAll(environment);
        Process p = pb.start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("spark-sql.sh did not finish in " + timeout + "; its log: " + stderr);
        }
        String err = Files.readString(stderr, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IllegalStateException("spark-sql.sh failed (exit " + p.exitValue() + "):\n"
                    + err.substring(Math.max(0, err.length() - 6000)));
        }
        List<List<String>> results = new ArrayList<>();
        for (String line : Files.readAllLines(stdout, StandardCharsets.UTF_8)) {
            if (line.startsWith("-- result ")) {
                results.add(new ArrayList<>());
            } else if (!line.isBlank() && !results.isEmpty()) {
                results.get(results.size() - 1).add(line);
            }
        }
        Files.deleteIfExists(stdout);
        Files.deleteIfExists(stderr);
        if (results.size() != statements.size()) {
            throw new IllegalStateException("spark-sql.sh returned " + results.size() + " results for "
                    + statements.size() + " statements");
        }
        return results;
    }
}
