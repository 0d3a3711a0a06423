package dev.tideline.api.table;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tideline.core.TidelineException;
import dev.tideline.delta.WarehouseFiles;

import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the latest schema and properties of a Delta table straight from its {@code _delta_log}, without a
 * Delta library: the latest version is the highest commit or checkpoint file name; the metadata and protocol
 * are the last {@code metaData} and {@code protocol} actions, found by reading commit files from the newest
 * backwards. Tables whose metadata survives only in a Parquet checkpoint (older commit files cleaned up) are
 * reported as not readable here — api-service deliberately carries no Parquet reader; their data is unaffected.
 * Local and {@code s3://} tables alike, through {@link WarehouseFiles}, at the cost of the log's tail: the listing
 * starts at the version read last time for this table (or, the first time, at {@code _last_checkpoint}'s version),
 * and commit files are read from the newest back only until the metadata is found or the version read last time
 * is reached — so a steady table costs one short listing per call, not a listing of thousands of commits.
 *
 * <p>Reads only; safe against concurrent writers (a commit file appears atomically under its final name).
 */
public final class DeltaLogReader {

    private static final Pattern COMMIT = Pattern.compile("(\\d{20})\\.json");
    private static final Pattern CHECKPOINT = Pattern.compile("(\\d{20})\\.checkpoint(\\.\\d+\\.\\d+)?(\\.[^.]+)?\\.parquet");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final WarehouseFiles LOCAL = WarehouseFiles.local();
    /**
     * Per table root, what was read last: a later read lists the log only from that version on and reads
     * only the commits after it. One small entry per table this process has been asked about.
     */
    private static final Map<String, Known> KNOWN = new ConcurrentHashMap<>();

    private DeltaLogReader() {
    }

    /**
     * The latest state of the Delta table rooted at {@code tableRoot}.
     *
     * @return empty when there is no Delta table there (no {@code _delta_log} with a commit)
     * @throws TidelineException NEEDS_OPERATOR when the log cannot be read or its metadata is only in a checkpoint
     */
    public static Optional<DeltaTableSnapshot> read(Path tableRoot) {
        return read(LOCAL, "file:" + tableRoot.toAbsolutePath().normalize());
    }

    /**
     * The latest state of the Delta table at {@code tableRoot} (a location as {@link dev.tideline.delta.WarehouseLocation}
     * spells it), read through {@code warehouse}.
     *
     * @return empty when there is no Delta table there (no {@code _delta_log} with a commit)
     * @throws TidelineException NEEDS_OPERATOR when the log cannot be read or its metadata is only in a checkpoint
     */
    public static Optional<DeltaTableSnapshot> read(WarehouseFiles warehouse, String tableRoot) {
        String log = tableRoot + "/_delta_log";
        Known known = KNOWN.get(tableRoot);
        // The listing starts where something is known: the version read last time, else the last checkpoint.
        String from = known != null ? versionName(known.version) : lastCheckpointName(warehouse, log, tableRoot);
        Listing listing = list(warehouse, log, from, tableRoot);
        if (listing.latest < 0 && !from.isEmpty()) {
            KNOWN.remove(tableRoot); // replaced or cleaned up behind our back: start over from the whole log
            known = null;
            listing = list(warehouse, log, "", tableRoot);
        }
        if (listing.latest < 0) {
            return Optional.empty();
        }
        long latest = listing.latest;
        JsonNode metadata = null;
        JsonNode protocol = null;
        Long lastCommitMillis = null;
        for (long version = latest; version >= 0 && (metadata == null || protocol == null); version--) {
            if (known != null && version == known.version) {
                // Nothing older can be newer than what was read then.
                metadata = metadata == null ? known.metadata : metadata;
                protocol = protocol == null ? known.protocol : protocol;
                break;
            }
            if (version >= listing.first && !listing.commits.contains(version)) {
                throw onlyInCheckpoint(tableRoot, version);
            }
            // Below the listed range the commit files are read by name: Tideline keeps its commit files.
            for (JsonNode action : actions(warehouse, log + "/" + versionName(version) + ".json", tableRoot, version)) {
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
            lastCommitMillis = listing.newestCommit == latest ? listing.newestCommitMillis
                    : known != null && known.version == latest ? known.lastCommitMillis : 0L;
        }
        KNOWN.put(tableRoot, new Known(latest, metadata, protocol, lastCommitMillis));
        return Optional.of(new DeltaTableSnapshot(tableRoot, latest, text(metadata, "id"), text(metadata, "description"),
                columns(metadata.path("schemaString").asText(), tableRoot), strings(metadata.path("partitionColumns")),
                configuration(metadata.path("configuration")), metadata.hasNonNull("createdTime") ? metadata.get("createdTime").asLong() : null,
                lastCommitMillis, protocol == null ? 1 : protocol.path("minReaderVersion").asInt(1),
                protocol == null ? 2 : protocol.path("minWriterVersion").asInt(2)));
    }

    /** What a listing of the log from some version on found. */
    private record Listing(TreeSet<Long> commits, long first, long latest, long newestCommit, long newestCommitMillis) {
    }

    /** The metadata and protocol of a table as of {@code version}: read again only from the commits after it. */
    private record Known(long version, JsonNode metadata, JsonNode protocol, long lastCommitMillis) {
    }

    private static Listing list(WarehouseFiles warehouse, String log, String from, String tableRoot) {
        TreeSet<Long> commits = new TreeSet<>();
        long first = Long.MAX_VALUE;
        long newestCommit = -1;
        long newestCommitMillis = 0;
        long latest = -1;
        try {
            for (WarehouseFiles.Entry file : warehouse.filesFrom(log, from)) {
                String name = file.name();
                Matcher commit = COMMIT.matcher(name);
                if (commit.matches()) {
                    long version = Long.parseLong(commit.group(1));
                    commits.add(version);
                    first = Math.min(first, version);
                    if (version > newestCommit) {
                        newestCommit = version;
                        newestCommitMillis = file.lastModifiedMillis();
                    }
                    latest = Math.max(latest, version);
                    continue;
                }
                Matcher checkpoint = CHECKPOINT.matcher(name);
                if (checkpoint.matches()) {
                    long version = Long.parseLong(checkpoint.group(1));
                    first = Math.min(first, version);
                    latest = Math.max(latest, version);
                }
            }
        } catch (IOException e) {
            throw unreadable(tableRoot, "cannot list " + log + ": " + e.getMessage(), e);
        }
        return new Listing(commits, first, latest, newestCommit, newestCommitMillis);
    }

    /** The name prefix of the last checkpoint's files per {@code _last_checkpoint}, or "" (list the whole log). */
    private static String lastCheckpointName(WarehouseFiles warehouse, String log, String tableRoot) {
        try (InputStream in = warehouse.open(log + "/_last_checkpoint")) {
            JsonNode pointer = JSON.readTree(in);
            return pointer != null && pointer.path("version").canConvertToLong() ? versionName(pointer.path("version").asLong()) : "";
        } catch (FileNotFoundException e) {
            return "";
        } catch (IOException e) {
            return ""; // a torn or unreadable pointer: the whole listing still works
        }
    }

    private static String versionName(long version) {
        return String.format("%020d", version);
    }

    private static TidelineException onlyInCheckpoint(String tableRoot, long version) {
        return new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, "the metadata of the Delta table at " + tableRoot
                + " is only in a Parquet checkpoint (commit " + version + " was cleaned up), which api-service does not read",
                "read the schema with a Delta engine (Spark, DuckDB); Tideline's own tables keep their commit files");
    }

    /** The top-level columns of a Delta {@code schemaString}. */
    static List<DeltaColumn> columns(String schemaString, String tableRoot) {
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

    private static List<JsonNode> actions(WarehouseFiles warehouse, String commit, String tableRoot, long version) {
        List<JsonNode> actions = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(warehouse.open(commit), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (!line.isBlank()) {
                    actions.add(JSON.readTree(line));
                }
            }
        } catch (FileNotFoundException e) {
            throw onlyInCheckpoint(tableRoot, version);
        } catch (IOException e) {
            throw unreadable(tableRoot, "cannot read " + name(commit) + ": " + e.getMessage(), e);
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

    private static String name(String location) {
        return location.substring(location.lastIndexOf('/') + 1);
    }

    private static TidelineException unreadable(String tableRoot, String problem, Exception cause) {
        return new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, "the Delta log of " + tableRoot + " is not readable: " + problem,
                "check the table's _delta_log directory", cause);
    }
}
