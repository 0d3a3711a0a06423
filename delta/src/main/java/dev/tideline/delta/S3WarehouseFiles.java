package dev.tideline.delta;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.core.exception.SdkException;

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
    public List<Entry> filesFrom(String location, String fromName) throws IOException {
        S3Path p = S3Path.parse(location);
        List<Entry> out = new ArrayList<>();
        try {
            store.listFrom(p.bucket(), p.key(), fromName)
                    .forEachRemaining(e -> out.add(new Entry(e.name(), e.size(), e.lastModifiedMillis())));
        } catch (SdkException e) {
            throw new IOException("cannot list " + location + " from " + fromName + ": " + e.getMessage(), e);
        }
        return out;
    }

    @Override
    public InputStream open(String location) throws IOException {
        S3Path p = S3Path.parse(location);
        return store.get(p.bucket(), p.key(), 0, -1);
    }
}
