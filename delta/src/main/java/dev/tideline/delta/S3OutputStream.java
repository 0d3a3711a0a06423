package dev.tideline.delta;

import io.delta.kernel.defaults.engine.fileio.PositionOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * Writes an object that appears only when {@link #close()} succeeds, whole: up to one part size it is buffered and
 * written with one {@code PutObject}; past that it becomes a multipart upload, one part per full buffer, completed on
 * close. A writer killed before close leaves no object (an incomplete multipart upload is invisible; the bucket's
 * {@code AbortIncompleteMultipartUpload} lifecycle rule reclaims its parts). Memory: one part buffer.
 * Not thread-safe (Kernel writes a file from one thread).
 */
final class S3OutputStream extends PositionOutputStream {

    private final S3ObjectStore store;
    private final S3Path path;
    private final boolean ifAbsent;
    private final int partSize;
    private byte[] buffer;
    private int filled;
    private long position;
    private String uploadId;
    private final List<CompletedPart> parts = new ArrayList<>();
    private boolean closed;

    S3OutputStream(S3ObjectStore store, S3Path path, boolean ifAbsent) {
        this.store = store;
        this.path = path;
        this.ifAbsent = ifAbsent;
        this.partSize = (int) Math.min(Integer.MAX_VALUE - 8, store.settings().partSizeBytes());
        this.buffer = new byte[Math.min(partSize, 1 << 16)]; // grows to a part as data comes: small files stay small
    }

    @Override
    public long getPos() {
        return position;
    }

    @Override
    public void write(int b) throws IOException {
        ensureRoom(1);
        buffer[filled++] = (byte) b;
        position++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            ensureRoom(1);
            int n = Math.min(len, partSize - filled);
            if (filled + n > buffer.length) {
                buffer = java.util.Arrays.copyOf(buffer, Math.min(partSize, Math.max(buffer.length * 2, filled + n)));
            }
            System.arraycopy(b, off, buffer, filled, n);
            filled += n;
            position += n;
            off += n;
            len -= n;
        }
    }

    /** Uploads the buffer as a part once it is full, so that at least {@code needed} bytes fit. */
    private void ensureRoom(int needed) throws IOException {
        if (closed) {
            throw new IOException("stream closed: " + path);
        }
        if (filled + needed > partSize) {
            try {
                if (uploadId == null) {
                    uploadId = store.startMultipart(path.bucket(), path.key());
                }
                parts.add(store.uploadPart(path.bucket(), path.key(), uploadId, parts.size() + 1, buffer, filled));
                filled = 0;
            } catch (IOException | RuntimeException e) {
                abort();
                throw e;
            }
        } else if (filled + needed > buffer.length) {
            buffer = java.util.Arrays.copyOf(buffer, Math.min(partSize, Math.max(buffer.length * 2, filled + needed)));
        }
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (uploadId == null) {
                store.put(path.bucket(), path.key(), java.util.Arrays.copyOf(buffer, filled), ifAbsent);
            } else {
                if (filled > 0) {
                    parts.add(store.uploadPart(path.bucket(), path.key(), uploadId, parts.size() + 1, buffer, filled));
                }
                store.completeMultipart(path.bucket(), path.key(), uploadId, parts, ifAbsent);
            }
        } catch (IOException | RuntimeException e) {
            abort();
            throw e;
        } finally {
            buffer = null;
        }
    }

    private void abort() {
        closed = true;
        if (uploadId != null) {
            store.abortMultipart(path.bucket(), path.key(), uploadId);
            uploadId = null;
        }
    }
}
