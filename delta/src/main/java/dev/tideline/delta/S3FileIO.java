package dev.tideline.delta;

import io.delta.kernel.defaults.engine.fileio.FileIO;
import io.delta.kernel.defaults.engine.fileio.InputFile;
import io.delta.kernel.defaults.engine.fileio.OutputFile;
import io.delta.kernel.defaults.engine.fileio.PositionOutputStream;
import io.delta.kernel.defaults.engine.fileio.SeekableInputStream;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.FileStatus;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Kernel's file layer on S3 (and S3-compatible stores) through the AWS SDK v2, for {@code s3://} and
 * {@code s3a://} locations — no Hadoop file system, no Hadoop {@code Configuration} on this path.
 *
 * <p>The one guarantee the Delta commit protocol needs from storage, put-if-absent of
 * {@code _delta_log/NNN.json}, is a write with {@code If-None-Match: *} ({@link S3ObjectStore#put}), which the
 * store evaluates atomically: of two writers of one version exactly one succeeds, the other gets
 * {@link java.nio.file.FileAlreadyExistsException} and Kernel treats its commit as concurrent (it rebases a blind
 * append, or fails with a concurrent-transaction error when the winner carried the same transaction id).
 * {@link S3ObjectStore#verifyConditionalWrites} proves at start-up that the store honours the header.
 *
 * <p>No partial file is ever visible: a small file is one {@code PutObject}, a large one a multipart upload that
 * exists only once completed ({@link S3OutputStream}). "Directories" do not exist: {@link #mkdirs} is a no-op.
 */
final class S3FileIO implements FileIO {

    private final S3ObjectStore store;
    private final Map<String, String> conf;

    S3FileIO(S3ObjectStore store, Map<String, String> conf) {
        this.store = store;
        this.conf = Map.copyOf(conf);
    }

    /** The object store under this file layer. */
    S3ObjectStore store() {
        return store;
    }

    @Override
    public CloseableIterator<FileStatus> listFrom(String filePath) throws IOException {
        S3Path start = S3Path.parse(filePath);
        Iterator<S3ObjectStore.Entry> entries;
        try {
            entries = store.listFrom(start.bucket(), start.parentKey(), start.name());
            if (!entries.hasNext() && !store.anyUnder(start.bucket(), start.parentKey())) {
                // S3 has no directories: nothing under the prefix is how a missing _delta_log looks, and Kernel
                // tells a missing table by FileNotFoundException (as for a local directory that does not exist).
                // Only an empty listing pays this second request.
                throw new FileNotFoundException("No such directory: " + start.withKey(start.parentKey()).uri());
            }
        } catch (SdkException e) {
            throw new IOException("S3 list from " + filePath + " failed: " + e.getMessage(), e);
        }
        return new CloseableIterator<>() {
            @Override
            public boolean hasNext() {
                try {
                    return entries.hasNext();
                } catch (SdkException e) {
                    throw new UncheckedIOException(new IOException("S3 list from " + filePath + " failed: " + e.getMessage(), e));
                }
            }

            @Override
            public FileStatus next() {
                S3ObjectStore.Entry e = entries.next();
                return FileStatus.of(start.withKey(e.key()).uri(), e.size(), e.lastModifiedMillis());
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public FileStatus getFileStatus(String path) throws IOException {
        S3Path p = S3Path.parse(path);
        S3ObjectStore.Entry e = store.head(p.bucket(), p.key())
                .orElseThrow(() -> new FileNotFoundException("No such object: " + path));
        return FileStatus.of(p.uri(), e.size(), e.lastModifiedMillis());
    }

    @Override
    public String resolvePath(String path) {
        return S3Path.parse(path).uri();
    }

    @Override
    public boolean mkdirs(String path) {
        return true; // keys need no parent
    }

    @Override
    public InputFile newInputFile(String path, long fileSize) {
        S3Path p = S3Path.parse(path);
        return new InputFile() {
            @Override
            public long length() throws IOException {
                return fileSize > 0 ? fileSize : store.head(p.bucket(), p.key())
                        .orElseThrow(() -> new FileNotFoundException("No such object: " + path)).size();
            }

            @Override
            public String path() {
                return path;
            }

            @Override
            public SeekableInputStream newStream() throws IOException {
                // Log files (JSON, _last_checkpoint) are read from the start: open them now, so that a missing one
                // fails here with FileNotFoundException, where Kernel expects it. Parquet readers seek to the
                // footer first, so their first request waits for the first read.
                return new S3InputStream(store, p, fileSize > 0 ? fileSize : -1, !path.endsWith(".parquet"));
            }
        };
    }

    @Override
    public OutputFile newOutputFile(String path) {
        S3Path p = S3Path.parse(path);
        return new OutputFile() {
            @Override
            public String path() {
                return path;
            }

            @Override
            public PositionOutputStream create(boolean putIfAbsent) {
                return new S3OutputStream(store, p, putIfAbsent);
            }

            @Override
            public void writeAtomically(CloseableIterator<String> data, boolean overwrite) throws IOException {
                StringBuilder text = new StringBuilder();
                try (data) {
                    while (data.hasNext()) {
                        text.append(data.next()).append('\n');
                    }
                }
                store.put(p.bucket(), p.key(), text.toString().getBytes(StandardCharsets.UTF_8), !overwrite);
            }
        };
    }

    @Override
    public boolean delete(String path) throws IOException {
        S3Path p = S3Path.parse(path);
        store.delete(p.bucket(), p.key());
        return true;
    }

    @Override
    public Optional<String> getConf(String confKey) {
        return Optional.ofNullable(conf.get(confKey));
    }

    @Override
    public void copyFileAtomically(String srcPath, String destPath, boolean overwrite) throws IOException {
        // Kernel copies only small log files; a read and a (conditional) put keeps the put-if-absent semantics
        // that a server-side copy would not give on every store.
        S3Path src = S3Path.parse(srcPath);
        S3Path dest = S3Path.parse(destPath);
        byte[] bytes;
        try (InputStream in = store.get(src.bucket(), src.key(), 0, -1)) {
            bytes = in.readAllBytes();
        }
        store.put(dest.bucket(), dest.key(), bytes, !overwrite);
    }
}
