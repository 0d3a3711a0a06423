package dev.tideline.delta;

import io.delta.kernel.defaults.engine.fileio.FileIO;
import io.delta.kernel.defaults.engine.fileio.InputFile;
import io.delta.kernel.defaults.engine.fileio.OutputFile;
import io.delta.kernel.defaults.engine.fileio.PositionOutputStream;
import io.delta.kernel.defaults.engine.fileio.SeekableInputStream;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.FileStatus;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Kernel's file layer over {@code java.nio} for {@code file:} warehouses.
 *
 * <p>Why not Hadoop's local file system: it costs 90–220 ms per commit here (against 8–18 ms), and
 * writes {@code .crc} files next to every file. Put-if-absent (the Delta commit protocol's only
 * requirement of storage) is a hard link of a fully written temporary file onto the target name,
 * which fails atomically if the name exists; overwrite is an atomic rename.
 *
 * <p>Paths are Hadoop-style strings: {@code file:/abs/path} (also accepted: {@code file:///abs/path}
 * and bare absolute paths), unescaped.
 */
final class NioFileIO implements FileIO {

    private final Map<String, String> conf;
    private final boolean fsync;

    NioFileIO(Map<String, String> conf, boolean fsync) {
        this.conf = Map.copyOf(conf);
        this.fsync = fsync;
    }

    static Path toPath(String path) {
        String p = path;
        if (p.startsWith("file:")) {
            p = p.substring("file:".length());
            if (p.startsWith("//")) {
                // file://host/path is not a local path; file:///path has an empty authority
                int slash = p.indexOf('/', 2);
                if (slash != 2) {
                    throw new IllegalArgumentException("not a local path: " + path);
                }
                p = p.substring(2);
            }
        }
        if (!p.startsWith("/")) {
            throw new IllegalArgumentException("not an absolute local path: " + path);
        }
        return Path.of(p);
    }

    static String toUri(Path path) {
        return "file:" + path.toAbsolutePath();
    }

    @Override
    public CloseableIterator<FileStatus> listFrom(String filePath) throws IOException {
        Path start = toPath(filePath);
        Path dir = start.getParent();
        String from = start.getFileName().toString();
        if (!Files.isDirectory(dir)) {
            throw new FileNotFoundException("No such directory: " + toUri(dir));
        }
        List<FileStatus> out = new ArrayList<>();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                String name = entry.getFileName().toString();
                if (name.compareTo(from) < 0) {
                    continue;
                }
                BasicFileAttributes attrs;
                try {
                    attrs = Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException raced) {
                    continue; // deleted while listing (temporary files)
                }
                if (attrs.isRegularFile()) {
                    out.add(FileStatus.of(toUri(entry), attrs.size(), attrs.lastModifiedTime().toMillis()));
                }
            }
        }
        // Delta sorts by the UTF-8 bytes of the name; for the ASCII names of a Delta log that is
        // String order.
        out.sort((a, b) -> a.getPath().compareTo(b.getPath()));
        return CloseableIterators.of(out.iterator());
    }

    @Override
    public FileStatus getFileStatus(String path) throws IOException {
        Path p = toPath(path);
        try {
            BasicFileAttributes attrs = Files.readAttributes(p, BasicFileAttributes.class);
            return FileStatus.of(toUri(p), attrs.size(), attrs.lastModifiedTime().toMillis());
        } catch (NoSuchFileException e) {
            throw new FileNotFoundException("No such file: " + path);
        }
    }

    @Override
    public String resolvePath(String path) {
        return toUri(toPath(path).normalize());
    }

    @Override
    public boolean mkdirs(String path) throws IOException {
        Files.createDirectories(toPath(path));
        return true;
    }

    @Override
    public InputFile newInputFile(String path, long fileSize) {
        Path p = toPath(path);
        return new InputFile() {
            @Override
            public long length() {
                return fileSize;
            }

            @Override
            public String path() {
                return path;
            }

            @Override
            public SeekableInputStream newStream() throws IOException {
                try {
                    return new ChannelInputStream(FileChannel.open(p, StandardOpenOption.READ));
                } catch (NoSuchFileException e) {
                    // Kernel recognises a missing file (e.g. no _last_checkpoint yet) only by
                    // java.io's FileNotFoundException; anything else it retries with sleeps.
                    throw new FileNotFoundException("No such file: " + path);
                }
            }
        };
    }

    @Override
    public OutputFile newOutputFile(String path) {
        Path target = toPath(path);
        return new OutputFile() {
            @Override
            public String path() {
                return path;
            }

            @Override
            public PositionOutputStream create(boolean putIfAbsent) throws IOException {
                Files.createDirectories(target.getParent());
                if (putIfAbsent && Files.exists(target)) {
                    throw new FileAlreadyExistsException(target.toString());
                }
                Path temp = temporarySibling(target);
                return new ChannelOutputStream(FileChannel.open(temp, StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE), () -> publish(temp, target, !putIfAbsent), () ->
                        Files.deleteIfExists(temp));
            }

            @Override
            public void writeAtomically(CloseableIterator<String> data, boolean overwrite) throws IOException {
                Files.createDirectories(target.getParent());
                Path temp = temporarySibling(target);
                try (data; FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE)) {
                    StringBuilder text = new StringBuilder();
                    while (data.hasNext()) {
                        text.append(data.next()).append('\n');
                    }
                    ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
                    while (bytes.hasRemaining()) {
                        ch.write(bytes);
                    }
                    if (fsync) {
                        ch.force(true);
                    }
                } catch (IOException | RuntimeException e) {
                    Files.deleteIfExists(temp);
                    throw e;
                }
                publish(temp, target, overwrite);
            }
        };
    }

    /** Moves a fully written temporary file to its name: atomic replace, or hard link if absent. */
    private void publish(Path temp, Path target, boolean overwrite) throws IOException {
        try {
            if (overwrite) {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.createLink(target, temp); // fails with FileAlreadyExistsException if taken
            }
        } finally {
            Files.deleteIfExists(temp);
        }
        if (fsync) {
            forceDirectory(target.getParent());
        }
    }

    private static void forceDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems refuse fsync on directories; the file itself was forced.
        }
    }

    private static Path temporarySibling(Path target) {
        return target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
    }

    @Override
    public boolean delete(String path) throws IOException {
        return Files.deleteIfExists(toPath(path));
    }

    @Override
    public Optional<String> getConf(String confKey) {
        return Optional.ofNullable(conf.get(confKey));
    }

    @Override
    public void copyFileAtomically(String srcPath, String destPath, boolean overwrite) throws IOException {
        Path target = toPath(destPath);
        Files.createDirectories(target.getParent());
        Path temp = temporarySibling(target);
        try {
            Files.copy(toPath(srcPath), temp);
            if (fsync) {
                try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        publish(temp, target, overwrite);
    }

    private interface IoAction {
        void run() throws IOException;
    }

    /** Writes to a temporary file; on close forces it to disk and publishes it under its name. */
    private final class ChannelOutputStream extends PositionOutputStream {
        private final FileChannel channel;
        private final OutputStream out;
        private final IoAction onSuccess;
        private final IoAction onFailure;
        private long position;
        private boolean closed;

        ChannelOutputStream(FileChannel channel, IoAction onSuccess, IoAction onFailure) {
            this.channel = channel;
            this.out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(channel), 1 << 16);
            this.onSuccess = onSuccess;
            this.onFailure = onFailure;
        }

        @Override
        public long getPos() {
            return position;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            position++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            position += len;
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                out.flush();
                if (fsync) {
                    channel.force(true);
                }
                channel.close();
            } catch (IOException | RuntimeException e) {
                channel.close();
                onFailure.run();
                throw e;
            }
            onSuccess.run();
        }
    }

    /** A seekable stream over a file channel. */
    private static final class ChannelInputStream extends SeekableInputStream {
        private final FileChannel channel;
        private final ByteBuffer one = ByteBuffer.allocate(1);

        ChannelInputStream(FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public long getPos() throws IOException {
            return channel.position();
        }

        @Override
        public void seek(long pos) throws IOException {
            channel.position(pos);
        }

        @Override
        public int read() throws IOException {
            one.clear();
            int n = channel.read(one);
            return n <= 0 ? -1 : one.get(0) & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            return channel.read(ByteBuffer.wrap(b, off, len));
        }

        @Override
        public void readFully(byte[] b, int off, int len) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            while (buf.hasRemaining()) {
                if (channel.read(buf) < 0) {
                    throw new EOFException("Reached the end of the file before reading " + len + " bytes");
                }
            }
        }

        @Override
        public long skip(long n) throws IOException {
            long pos = channel.position();
            long target = Math.min(channel.size(), pos + Math.max(0, n));
            channel.position(target);
            return target - pos;
        }

        @Override
        public int available() throws IOException {
            return (int) Math.min(Integer.MAX_VALUE, Math.max(0, channel.size() - channel.position()));
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
