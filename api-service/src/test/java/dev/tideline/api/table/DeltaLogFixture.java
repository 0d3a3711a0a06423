package dev.tideline.api.table;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Writes a minimal Delta log by hand, as the protocol defines it: commit files {@code NNNNNNNNNNNNNNNNNNNN.json}
 * with one action per line. Enough for the API's schema reading; no data files.
 */
public final class DeltaLogFixture {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path table;
    private final List<ObjectNode> fields = new ArrayList<>();
    private long version = -1;

    private DeltaLogFixture(Path table) {
        this.table = table;
    }

    /** A fixture for the table at {@code <warehouse>/<catalog>/<schema>/<table>}. */
    public static DeltaLogFixture at(Path warehouse, String catalog, String schema, String table) {
        return new DeltaLogFixture(warehouse.resolve(catalog).resolve(schema).resolve(table));
    }

    /** Adds a column of a primitive Delta type ({@code long}, {@code string}, {@code decimal(10,2)}, {@code variant}, …). */
    public DeltaLogFixture column(String name, String type, boolean nullable) {
        ObjectNode field = JSON.createObjectNode().put("name", name).put("type", type).put("nullable", nullable);
        field.putObject("metadata");
        fields.add(field);
        return this;
    }

    /** Adds a column of a complex type given as Delta schema JSON. */
    public DeltaLogFixture column(String name, String typeJson) {
        try {
            ObjectNode field = JSON.createObjectNode().put("name", name);
            field.set("type", JSON.readTree(typeJson));
            field.put("nullable", true);
            field.putObject("metadata");
            fields.add(field);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String schemaString() {
        ObjectNode schema = JSON.createObjectNode().put("type", "struct");
        ArrayNode array = schema.putArray("fields");
        fields.forEach(array::add);
        return schema.toString();
    }

    /** Writes the next commit with protocol and metadata (the current columns), like a CREATE TABLE or schema change. */
    public DeltaLogFixture commitMetadata() {
        ObjectNode protocol = JSON.createObjectNode();
        protocol.putObject("protocol").put("minReaderVersion", 1).put("minWriterVersion", 2);
        ObjectNode metadata = JSON.createObjectNode();
        ObjectNode meta = metadata.putObject("metaData");
        meta.put("id", UUID.nameUUIDFromBytes(table.toString().getBytes(StandardCharsets.UTF_8)).toString());
        meta.putObject("format").put("provider", "parquet").putObject("options");
        meta.put("schemaString", schemaString());
        meta.putArray("partitionColumns");
        meta.putObject("configuration").put("delta.enableChangeDataFeed", "false");
        meta.put("createdTime", 1_700_000_000_000L);
        return commit(List.of(protocol, metadata));
    }

    /** Writes the next commit with only a commitInfo action (as a data commit without schema change looks to us). */
    public DeltaLogFixture commitData() {
        return commit(List.of());
    }

    public long version() {
        return version;
    }

    public Path root() {
        return table;
    }

    private DeltaLogFixture commit(List<ObjectNode> actions) {
        version++;
        StringBuilder lines = new StringBuilder();
        ObjectNode info = JSON.createObjectNode();
        info.putObject("commitInfo").put("timestamp", 1_700_000_000_000L + version * 1000).put("operation", version == 0 ? "CREATE TABLE" : "WRITE");
        lines.append(info).append('\n');
        for (ObjectNode action : actions) {
            lines.append(action).append('\n');
        }
        try {
            Path log = table.resolve("_delta_log");
            Files.createDirectories(log);
            Files.writeString(log.resolve(String.format("%020d.json", version)), lines.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }
}
