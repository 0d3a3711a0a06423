package dev.tideline.delta;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/** {@link WarehouseFiles} of an {@code s3://} warehouse: "directories" are common key prefixes. */
final class S3WarehouseFiles implements WarehouseFiles {

    private final S3ObjectStore store;

    S3WarehouseFiles(S3ObjectStore store) {
        this.store = store;
    }

    @Override
    public List<String> directories(String location) throws IOException {
        S3Path p = S3Path.parse(location);
        return store.directories(p.bucket(), p.key());
    }

    @Override
    public List<Entry> files(String location) throws IOException {
        S3Path p = S3Path.parse(location);
        return store.files(p.bucket(), p.key()).stream().map(e -> new Entry(e.name(), e.size(), e.lastModifiedMillis())).toList();
    }

    @Override
    public InputStream open(String location) throws IOException {
        S3Path p = S3Path.parse(location);
        return store.get(p.bucket(), p.key(), 0, -1);
    }
}
