package dev.tideline.api.table;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tideline.core.TidelineException;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads the latest schema and properties of a Delta table straight from its {@code _delta_log}, without a
 * Delta library: the latest version is the highest commit or checkpoint file name; the metadata and protocol
 * are the last {@code metaData} and {@code protocol} actions, found by reading commit files from the newest
 * backwards. Tables whose metadata survives only in a Parquet checkpoint (older commit files cleaned up) are
 * reported as not readable here — api-service deliberately carries no Parquet reader; their data is unaffected.
 *
 * <p>Reads only; safe against concurrent writers (a commit file appears atomically under its final name).
 */
public final class DeltaLogReader {

    private static final Pattern COMMIT = Pattern.compile("(\\d{20})\\.json");
    private static final Pattern CHECKPOINT = Pattern.compile("(\\d{20})\\.checkpoint(\\.\\d+\\.\\d+)?(\\.[^.]+)?\\.parquet");
    private static final ObjectMapper JSON = new ObjectMapper();

    private DeltaLogReader() {
    }

    /**
     * The latest state of the Delta table rooted at {@code tableRoot}.
     *
     * @return empty when there is no Delta table there (no {@code _delta_log} with a commit)
     * @throws TidelineException NEEDS_OPERATOR when the log cannot be read or its metadata is only in a checkpoint
     */
    public static Optional<DeltaTableSnapshot> read(Path tableRoot) {
        Path log = tableRoot.resolve("_delta_log");
        if (!Files.isDirectory(log)) {
            return Optional.empty();
        }
        TreeSet<Long> commits = new TreeSet<>();
        long latest = -1;
        try (Stream<Path> files = Files.list(log)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                String name = file.getFileName().toString();
                Matcher commit = COMMIT.matcher(name);
                if (commit.matches()) {
                    long version = Long.parseLong(commit.group(1));
                    commits.add(version);
                    latest = Math.max(latest, version);
                    continue;
                }
                Matcher checkpoint = CHECKPOINT.matcher(name);
                if (checkpoint.matches()) {
                    latest = Math.max(latest, Long.parseLong(checkpoint.group(1)));
                }
            }
        } catch (IOException e) {
            throw unreadable(tableRoot, "cannot list " + log + ": " + e.getMessage(), e);
        }
        if (latest < 0) {
            return Optional.empty();
        }
        JsonNode metadata = null;
        JsonNode protocol = null;
        Long lastCommitMillis = null;
        for (long version = latest; version >= 0 && (metadata == null || protocol == null); version--) {
            if (!commits.contains(version)) {
                throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, "the metadata of the Delta table at " + tableRoot
                        + " is only in a Parquet checkpoint (commit " + version + " was cleaned up), which api-service does not read",
                        "read the schema with a Delta engine (Spark, DuckDB); Tideline's own tables keep their commit files");
            }
            for (JsonNode action : actions(log.resolve(String.format("%020d.json", version)), tableRoot)) {
                if (metadata == null && action.has("metaData")) {
                    metadata = action.get("metaData");
                }
                if (protocol == null && action.has("protocol")) {
                    protocol = action.get("protocol");
                }
                if (lastCommitMillis == null && version == latest && action.has("commitInfo") && action.get("commitInfo").has("timestamp")) {
                    lastCommitMillis = action.get("commitInfo").get("timestamp").asLong();
                }
            }
        }
        if (metadata == null) {
            throw unreadable(tableRoot, "no metaData action in any commit", null);
        }
        if (lastCommitMillis == null) {
            lastCommitMillis = modified(log.resolve(String.format("%020d.json", latest)));
        }
        return Optional.of(new DeltaTableSnapshot("file:" + tableRoot.toAbsolutePath().normalize(), latest, text(metadata, "id"), text(metadata, "description"),
                columns(metadata.path("schemaString").asText(), tableRoot), strings(metadata.path("partitionColumns")),
                configuration(metadata.path("configuration")), metadata.hasNonNull("createdTime") ? metadata.get("createdTime").asLong() : null,
                lastCommitMillis, protocol == null ? 1 : protocol.path("minReaderVersion").asInt(1),
                protocol == null ? 2 : protocol.path("minWriterVersion").asInt(2)));
    }

    /** The top-level columns of a Delta {@code schemaString}. */
    static List<DeltaColumn> columns(String schemaString, Path tableRoot) {
        JsonNode schema;
        try {
            schema = JSON.readTree(schemaString);
        } catch (IOException e) {
            throw unreadable(tableRoot, "the schemaString is not JSON: " + e.getMessage(), e);
        }
        if (schema == null || !"struct".equals(schema.path("type").asText())) {
            throw unreadable(tableRoot, "the schemaString is not a struct type", null);
        }
        List<DeltaColumn> columns = new ArrayList<>();
        int position = 0;
        for (JsonNode field : schema.path("fields")) {
            JsonNode type = field.path("type");
            int[] decimal = DeltaTypes.decimal(type);
            JsonNode comment = field.path("metadata").path("comment");
            columns.add(new DeltaColumn(field.path("name").asText(), DeltaTypes.typeName(type), DeltaTypes.typeText(type), field.toString(),
                    decimal == null ? null : decimal[0], decimal == null ? null : decimal[1], position++, field.path("nullable").asBoolean(true),
                    comment.isTextual() ? comment.asText() : null));
        }
        return columns;
    }

    private static List<JsonNode> actions(Path commit, Path tableRoot) {
        List<JsonNode> actions = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(commit, StandardCharsets.UTF_8)) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (!line.isBlank()) {
                    actions.add(JSON.readTree(line));
                }
            }
        } catch (NoSuchFileException e) {
            throw unreadable(tableRoot, commit.getFileName() + " disappeared while reading (log cleanup?); retry", e);
        } catch (IOException e) {
            throw unreadable(tableRoot, "cannot read " + commit.getFileName() + ": " + e.getMessage(), e);
        }
        return actions;
    }

    private static Map<String, String> configuration(JsonNode node) {
        Map<String, String> configuration = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            configuration.put(field.getKey(), field.getValue().asText());
        }
        return configuration;
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return values;
    }

    private static String text(JsonNode node, String field) {
        return node.hasNonNull(field) ? node.get(field).asText() : null;
    }

    private static long modified(Path file) {
        try {
            return Files.getLastModifiedTime(file).toMillis();
        } catch (IOException e) {
            return 0L;
        }
    }

    private static TidelineException unreadable(Path tableRoot, String problem, Exception cause) {
        return new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, "the Delta log of " + tableRoot + " is not readable: " + problem,
                "check the table's _delta_log directory", cause);
    }
}
