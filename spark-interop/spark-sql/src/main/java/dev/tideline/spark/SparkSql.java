package dev.tideline.spark;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Runs SQL statements in a local Spark session with Delta Lake, for interop tests and fixture generation.
 *
 * <p>Usage: {@code SparkSql <statement>...} or {@code SparkSql -f <file> [<table-dir>]} (one statement per non-blank
 * line, lines starting with {@code --} are comments; {@code ${table}} in the file is replaced by {@code <table-dir>},
 * so one script can write its table anywhere). Each statement's result rows are printed to stdout as JSON lines
 * ({@code Dataset.toJSON}), after a marker line {@code -- result <n>} naming the statement's index; everything else
 * Spark says goes to stderr. Exit code 0 if every statement succeeded, 1 (with the failing statement on stderr)
 * otherwise.
 *
 * <p>Why a separate JVM: Spark needs Jackson 2.15 and friends, Tideline's Quarkus modules pin newer ones, so the two
 * never share a classpath; callers run this class with {@code target/spark-classpath.txt}.
 */
public final class SparkSql {

  /** Marker preceding the JSON rows of statement {@code n} (0-based). */
  public static final String RESULT_MARKER = "-- result ";

  private SparkSql() {}

  public static void main(String[] args) throws IOException {
    List<String> statements = statements(args);
    // Keep stdout for results only: Spark's logging and our progress go to stderr.
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    SparkSession spark = session();
    int index = 0;
    try {
      for (String sql : statements) {
        System.err.println("spark-sql> " + sql);
        Dataset<Row> result;
        try {
          result = spark.sql(sql);
        } catch (RuntimeException e) {
          System.err.println("FAILED statement " + index + ": " + sql);
          e.printStackTrace(System.err);
          System.exit(1);
          return;
        }
        out.println(RESULT_MARKER + index);
        Iterator<String> rows = result.toJSON().toLocalIterator();
        while (rows.hasNext()) {
          out.println(rows.next());
        }
        index++;
      }
    } finally {
      spark.stop();
    }
    out.flush();
  }

  /** One local core, few shuffle partitions (tiny tables), no UI, Delta's session extension and catalog. */
  static SparkSession session() {
    SparkSession.Builder builder = SparkSession.builder();
    s3a(System.getenv()).forEach(builder::config);
    return builder
        .appName("tideline-spark-sql")
        .master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.sql.warehouse.dir", System.getProperty("java.io.tmpdir") + "/tideline-spark-warehouse")
        // JSON output keeps timestamps exact (microseconds, UTC) for row-by-row comparisons.
        .config("spark.sql.jsonGenerator.ignoreNullFields", "false")
        .getOrCreate();
  }

  /**
   * Hadoop S3A settings ({@code spark.hadoop.fs.s3a.*}) for the S3 store Tideline's services use, taken from the same
   * environment variables: {@code TIDELINE_S3_ENDPOINT} (an S3-compatible server; {@code http://} turns TLS off),
   * {@code TIDELINE_S3_PATH_STYLE_ACCESS}, {@code TIDELINE_S3_REGION}, and {@code AWS_ACCESS_KEY_ID} /
   * {@code AWS_SECRET_ACCESS_KEY}. {@code s3://} paths are mapped to S3A too, so Tideline's warehouse URIs work
   * unchanged. Without {@code TIDELINE_S3_ENDPOINT} nothing is set (S3A's own defaults: AWS, its credential chain).
   * Any other setting can be passed as a system property, e.g. {@code -Dspark.hadoop.fs.s3a.connection.maximum=50}.
   */
  static Map<String, String> s3a(Map<String, String> env) {
    Map<String, String> conf = new LinkedHashMap<>();
    String endpoint = env.get("TIDELINE_S3_ENDPOINT");
    if (endpoint == null || endpoint.isBlank()) {
      return conf;
    }
    String prefix = "spark.hadoop.fs.s3a.";
    conf.put("spark.hadoop.fs.s3.impl", "org.apache.hadoop.fs.s3a.S3AFileSystem");
    conf.put(prefix + "endpoint", endpoint);
    conf.put(prefix + "connection.ssl.enabled", String.valueOf(!endpoint.startsWith("http://")));
    conf.put(prefix + "path.style.access", env.getOrDefault("TIDELINE_S3_PATH_STYLE_ACCESS", "false"));
    String region = env.get("TIDELINE_S3_REGION");
    if (region != null && !region.isBlank()) {
      conf.put(prefix + "endpoint.region", region);
    }
    String accessKey = env.get("AWS_ACCESS_KEY_ID");
    String secretKey = env.get("AWS_SECRET_ACCESS_KEY");
    if (accessKey != null && secretKey != null) {
      conf.put(prefix + "aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
      conf.put(prefix + "access.key", accessKey);
      conf.put(prefix + "secret.key", secretKey);
    }
    return conf;
  }

  private static List<String> statements(String[] args) throws IOException {
    if ((args.length == 2 || args.length == 3) && args[0].equals("-f")) {
      String table = args.length == 3 ? Path.of(args[2]).toAbsolutePath().toString() : null;
      List<String> lines = new ArrayList<>();
      for (String line : Files.readAllLines(Path.of(args[1]), StandardCharsets.UTF_8)) {
        String trimmed = line.strip();
        if (table != null) {
          trimmed = trimmed.replace("${table}", table);
        }
        if (!trimmed.isEmpty() && !trimmed.startsWith("--")) {
          lines.add(trimmed.endsWith(";") ? trimmed.substring(0, trimmed.length() - 1) : trimmed);
        }
      }
      return lines;
    }
    if (args.length == 0) {
      System.err.println("usage: SparkSql <statement>... | SparkSql -f <file>");
      System.exit(2);
    }
    return List.of(args);
  }
}
