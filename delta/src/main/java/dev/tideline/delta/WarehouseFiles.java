package dev.tideline.delta;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Read-only access to a warehouse's directories and files, for services that read Delta logs without a Kernel
 * engine (api-service's table metadata). No Kernel and no Hadoop types: {@link #of} picks {@code java.nio} for a
 * local warehouse and {@link S3ObjectStore} for {@code s3://}. Locations are URI strings as
 * {@link WarehouseLocation} spells them. Implementations are thread-safe.
 */
public interface WarehouseFiles {

    /** One file: its name (last segment), size in bytes and last modification time. */
    record Entry(String name, long size, long lastModifiedMillis) {
    }

    /** The names of the directories directly in {@code location}, sorted; empty when there is none or no such directory. */
    List<String> directories(String location) throws IOException;

    /** The files directly in {@code location}, sorted by name; empty when there is none or no such directory. */
    List<Entry> files(String location) throws IOException;

    /**
     * The files directly in {@code location} whose name sorts at or after {@code fromName}, sorted by
     * name. On object storage this lists from that key on (S3 {@code StartAfter}) instead of listing
     * the whole directory: a Delta log read from its checkpoint costs what its tail costs.
     */
    default List<Entry> filesFrom(String location, String fromName) throws IOException {
        return files(location).stream().filter(e -> e.name().compareTo(fromName) >= 0).toList();
    }

    /**
     * Opens a file for reading from its start.
     *
     * @throws FileNotFoundException when it does not exist
     */
    InputStream open(String location) throws IOException;

    /** The file access of local ({@code file:}) warehouses. */
    static WarehouseFiles local() {
        return new NioWarehouseFiles();
    }

    /**
     * The file access for a warehouse.
     *
     * @throws IllegalArgumentException for a warehouse neither local nor {@code s3://} (a Hadoop file system)
     */
    static WarehouseFiles of(WarehouseLocation warehouse, S3Settings s3) {
        return switch (warehouse.kind()) {
            case LOCAL -> local();
            case S3 -> new S3WarehouseFiles(S3ObjectStore.shared(s3));
            case HADOOP -> throw new IllegalArgumentException("no file access without Hadoop for " + warehouse.uri());
        };
    }
}
