package dev.tideline.apply.delta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/** Reads a table's {@code _delta_log} JSON commits directly, independent of Kernel, for assertions. */
final class DeltaLogFiles {

    private static final ObjectMapper JSON = new ObjectMapper();

    private DeltaLogFiles() {
    }

    static Path log(String tablePath) {
        return Path.of(URI.create(tablePath.startsWith("file:") ? tablePath : "file:" + tablePath)).resolve("_delta_log");
    }

    /** The actions of one commit. */
    static List<JsonNode> actions(String tablePath, long version) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(log(tablePath).resolve(String.format("%020d.json", version)))) {
            if (!line.isBlank()) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    /** Cardinalities of the deletion vectors the {@code add} actions of one commit carry. */
    static List<Long> deletionVectorCardinalities(String tablePath, long version) throws IOException {
        List<Long> out = new ArrayList<>();
        for (JsonNode a : actions(tablePath, version)) {
            JsonNode dv = a.path("add").path("deletionVector");
            if (!dv.isMissingNode() && !dv.isNull()) {
                out.add(dv.get("cardinality").asLong());
            }
        }
        return out;
    }

    /** Reader and writer features of the latest protocol action in the log. */
    static Set<String> protocolFeatures(String tablePath) throws IOException {
        Set<String> features = new LinkedHashSet<>();
        List<Path> commits;
        try (Stream<Path> files = Files.list(log(tablePath))) {
            commits = files.filter(p -> p.getFileName().toString().matches("\\d{20}\\.json")).sorted().toList();
        }
        for (Path commit : commits) {
            for (String line : Files.readAllLines(commit)) {
                JsonNode protocol = line.isBlank() ? null : JSON.readTree(line).get("protocol");
                if (protocol != null) {
                    features.clear();
                    protocol.path("readerFeatures").forEach(f -> features.add(f.asText()));
                    protocol.path("writerFeatures").forEach(f -> features.add(f.asText()));
                }
            }
        }
        return features;
    }
}
