package dev.tideline.sync.delta;

import dev.tideline.core.TidelineException;
import dev.tideline.core.spill.SpillDirectory;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The net changes of a refresh folded in partitions: each partition's inserts, updates and deletes
 * appended to one file per kind ({@code int length, tuple} records), so applying them streams each
 * file once into its COPY. Owns the refresh's spill directory from {@link #finish} until {@link #close}.
 */
final class SpilledChanges implements NetChanges {

    private static final int BUFFER = 1 << 16;

    private final SpillDirectory directory;
    private final Path inserts;
    private final Path updates;
    private final Path deletes;
    private final long insertCount;
    private final long updateCount;
    private final long deleteCount;
    private final boolean deletesUnderTimeseriesKey;
    private final long rowsRead;
    private final int partitions;

    private SpilledChanges(Writer w, SpillDirectory directory, long rowsRead) {
        this.directory = directory;
        this.inserts = w.insertsPath;
        this.updates = w.updatesPath;
        this.deletes = w.deletesPath;
        this.insertCount = w.insertCount;
        this.updateCount = w.updateCount;
        this.deleteCount = w.deleteCount;
        this.deletesUnderTimeseriesKey = w.deletesUnderTimeseriesKey;
        this.rowsRead = rowsRead;
        this.partitions = w.partitions;
    }

    /** Collects the folded partitions of one refresh, in its spill directory. Not thread-safe. */
    static final class Writer implements AutoCloseable {
        private final Path insertsPath;
        private final Path updatesPath;
        private final Path deletesPath;
        private final DataOutputStream insertsOut;
        private final DataOutputStream updatesOut;
        private final DataOutputStream deletesOut;
        private long insertCount;
        private long updateCount;
        private long deleteCount;
        private boolean deletesUnderTimeseriesKey;
        private int partitions;

        Writer(Path directory) throws IOException {
            insertsPath = directory.resolve("net-inserts");
            updatesPath = directory.resolve("net-updates");
            deletesPath = directory.resolve("net-deletes");
            insertsOut = open(insertsPath);
            updatesOut = open(updatesPath);
            deletesOut = open(deletesPath);
        }

        private static DataOutputStream open(Path path) throws IOException {
            return new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(path), BUFFER));
        }

        /** Appends one partition's net changes; no key of it is in any other partition. */
        void add(RowChanges partition) throws IOException {
            for (byte[] row : partition.insertRows()) {
                write(insertsOut, row);
                insertCount++;
            }
            for (byte[] row : partition.updateRows()) {
                write(updatesOut, row);
                updateCount++;
            }
            for (byte[] key : partition.deleteKeys()) {
                write(deletesOut, key);
                deleteCount++;
            }
            deletesUnderTimeseriesKey |= partition.deletesUnderTimeseriesKey();
            partitions++;
        }

        private static void write(DataOutputStream out, byte[] tuple) throws IOException {
            out.writeInt(tuple.length);
            out.write(tuple);
        }

        /** The changes written, owning {@code directory} from now on. */
        SpilledChanges finish(SpillDirectory directory, long rowsRead) throws IOException {
            close();
            return new SpilledChanges(this, directory, rowsRead);
        }

        @Override
        public void close() throws IOException {
            insertsOut.close();
            updatesOut.close();
            deletesOut.close();
        }
    }

    @Override
    public long insertCount() {
        return insertCount;
    }

    @Override
    public long updateCount() {
        return updateCount;
    }

    @Override
    public long deleteCount() {
        return deleteCount;
    }

    @Override
    public Iterable<byte[]> insertRows() {
        return () -> new TupleIterator(inserts);
    }

    @Override
    public Iterable<byte[]> updateRows() {
        return () -> new TupleIterator(updates);
    }

    @Override
    public Iterable<byte[]> deleteKeys() {
        return () -> new TupleIterator(deletes);
    }

    @Override
    public boolean deletesUnderTimeseriesKey() {
        return deletesUnderTimeseriesKey;
    }

    @Override
    public long rowsRead() {
        return rowsRead;
    }

    @Override
    public int partitionsFolded() {
        return partitions;
    }

    /** Deletes the spill directory. */
    @Override
    public void close() {
        directory.close();
    }

    /** Reads a file of tuples front to back; closes it at the end. */
    private static final class TupleIterator implements Iterator<byte[]> {
        private final DataInputStream in;
        private byte[] next;
        private boolean done;

        TupleIterator(Path file) {
            try {
                in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), BUFFER));
            } catch (IOException e) {
                throw failure(file, e);
            }
        }

        @Override
        public boolean hasNext() {
            if (next == null && !done) {
                try {
                    int length = in.readInt();
                    next = new byte[length];
                    in.readFully(next);
                } catch (EOFException end) {
                    done = true;
                    closeQuietly();
                } catch (IOException e) {
                    closeQuietly();
                    throw new UncheckedIOException(e);
                }
            }
            return next != null;
        }

        @Override
        public byte[] next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            byte[] tuple = next;
            next = null;
            return tuple;
        }

        private void closeQuietly() {
            try {
                in.close();
            } catch (IOException ignored) {
                // read to the end already
            }
        }
    }

    static TidelineException failure(Path file, IOException e) {
        return new TidelineException(TidelineException.Kind.RETRYABLE, "spill file " + file + " of a refresh failed: " + e.getMessage(),
                "check that tideline.sync.spill-directory has room for the changed rows of the largest refresh", e);
    }
}
