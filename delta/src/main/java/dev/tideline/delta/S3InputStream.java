package dev.tideline.delta;

import io.delta.kernel.defaults.engine.fileio.SeekableInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import software.amazon.awssdk.core.ResponseInputStream;

/**
 * A seekable stream over an object as ranged {@code GET}s: each request asks for a window of the object from the
 * position read, at least {@link #WINDOW} bytes, so that a Parquet reader's footer read, and then each column
 * chunk, cost one request each. A short forward seek inside the open window reads through instead of opening a
 * new request; leaving a window early drains a small rest (the connection goes back to the pool) or aborts a
 * large one. Not thread-safe.
 */
final class S3InputStream extends SeekableInputStream {

    /** Bytes asked for per request (unless a larger read asks for more). */
    static final long WINDOW = 8L * 1024 * 1024;
    /** A forward seek up to this far reads through the open window; a rest up to this size is drained. */
    private static final long READ_THROUGH = 256 * 1024;

    private final S3ObjectStore store;
    private final S3Path path;
    private final long length;
    private InputStream in;
    /** Where the open window's next byte is, and where the window ends (exclusive; -1: the object's end). */
    private long inPos;
    private long inEnd;
    private long pos;

    /**
     * @param length the object's size, or -1 when unknown (the stream then reads to the end in one request)
     * @param open   send the first request now (a missing object fails here, not at the first read)
     */
    S3InputStream(S3ObjectStore store, S3Path path, long length, boolean open) throws IOException {
        this.store = store;
        this.path = path;
        this.length = length;
        if (open) {
            openAt(0, 0);
        }
    }

    @Override
    public long getPos() {
        return pos;
    }

    @Override
    public void seek(long newPos) throws IOException {
        if (newPos < 0) {
            throw new EOFException("negative seek " + newPos + " in " + path);
        }
        pos = newPos;
    }

    @Override
    public int read() throws IOException {
        if (!ready(1)) {
            return -1;
        }
        int b = in.read();
        if (b < 0) {
            return endOfWindow() ? read() : -1;
        }
        pos++;
        inPos++;
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (!ready(len)) {
            return -1;
        }
        int n = in.read(b, off, len);
        if (n < 0) {
            return endOfWindow() ? read(b, off, len) : -1;
        }
        pos += n;
        inPos += n;
        return n;
    }

    @Override
    public void readFully(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int n = read(b, off, len);
            if (n < 0) {
                throw new EOFException("Reached the end of " + path + " before reading " + len + " more bytes");
            }
            off += n;
            len -= n;
        }
    }

    @Override
    public long skip(long n) {
        long target = length < 0 ? pos + Math.max(0, n) : Math.min(length, pos + Math.max(0, n));
        long skipped = target - pos;
        pos = target;
        return skipped;
    }

    @Override
    public int available() throws IOException {
        return in == null || inPos != pos ? 0 : in.available();
    }

    @Override
    public void close() throws IOException {
        release();
    }

    /**
     * Makes {@link #in} stand at {@link #pos}, opening a window for a read of {@code wanted} bytes if needed.
     * False at the end of the object.
     */
    private boolean ready(long wanted) throws IOException {
        if (length >= 0 && pos >= length) {
            return false;
        }
        if (in != null && pos > inPos && pos - inPos <= READ_THROUGH && (inEnd < 0 || pos < inEnd)) {
            in.skipNBytes(pos - inPos);
            inPos = pos;
        }
        if (in == null || pos != inPos || (inEnd >= 0 && pos >= inEnd)) {
            openAt(pos, wanted);
        }
        return true;
    }

    /** The open window ended: true if the object goes on (a new window is opened), false at its end. */
    private boolean endOfWindow() throws IOException {
        if (inEnd >= 0 && inPos >= inEnd && (length < 0 || inPos < length)) {
            openAt(pos, 1);
            return true;
        }
        return false;
    }

    private void openAt(long from, long wanted) throws IOException {
        release();
        long end = length < 0 ? -1 : Math.min(length, from + Math.max(WINDOW, wanted));
        in = store.get(path.bucket(), path.key(), from, end);
        inPos = from;
        inEnd = end;
    }

    private void release() throws IOException {
        if (in == null) {
            return;
        }
        InputStream old = in;
        in = null;
        long rest = inEnd < 0 ? Long.MAX_VALUE : inEnd - inPos;
        if (rest > READ_THROUGH && old instanceof ResponseInputStream<?> response) {
            response.abort(); // cheaper than reading megabytes nobody wants; the connection is not reused
        } else if (rest > 0) {
            old.transferTo(java.io.OutputStream.nullOutputStream()); // a small rest: keep the connection
        }
        old.close();
    }
}
