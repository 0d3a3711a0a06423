package dev.tideline.delta;

import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.engine.FileReadResult;
import io.delta.kernel.engine.ParquetHandler;
import io.delta.kernel.expressions.Column;
import io.delta.kernel.expressions.Predicate;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.DataFileStatus;
import io.delta.kernel.utils.FileStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Kernel's Parquet handler, run with Hadoop's default configuration files ({@code core-default.xml},
 * {@code core-site.xml}, and the {@code mapred-} and {@code yarn-} ones) out of sight.
 *
 * <p><b>Why.</b> parquet-mr builds a fresh Hadoop {@code Configuration} for every Parquet file it writes
 * ({@code ParquetWriter.Builder.build}) and for every footer it reads (Kernel's {@code ParquetIOUtils} does so for any
 * input file that is not Hadoop's own), and the first lookup in each one parses {@code core-default.xml} (and, once
 * parquet-mr has loaded Hadoop's MapReduce classes, {@code mapred-default.xml} and {@code yarn-default.xml}): hundreds
 * of KB of XML, 3–6 ms per file. With many small commits that was three quarters of apply's CPU (JFR, 1,000 tables:
 * docs/benchmarks.md). Those configurations are only asked for {@code parquet.*} keys, whose defaults live in
 * parquet-mr's code (our codec and file size reach Kernel through {@link io.delta.kernel.defaults.engine.fileio.FileIO#getConf},
 * not through them); those files hold the defaults of Hadoop file systems and jobs, which an engine over
 * {@link NioFileIO} or {@link S3FileIO} never creates.
 *
 * <p><b>How.</b> A {@code Configuration} looks its default files up through the thread's context class loader of the
 * moment it is constructed. For the length of every call, and of every step of the lazy iterators the calls return
 * (that is where Kernel actually opens files), the thread's context class loader is one that delegates everything to
 * the previous one except those two resource names; the previous loader is restored afterwards, also on failure.
 * Not used for engines over Hadoop's {@code FileIO}, whose file systems may need those defaults.
 */
final class NoHadoopDefaultsParquetHandler implements ParquetHandler {

    /**
     * Hadoop's default resources: {@code core-default.xml} and {@code core-site.xml}, and once Hadoop's MapReduce
     * classes have been loaded (parquet-mr loads some) also {@code mapred-…} and {@code yarn-default.xml} / {@code -site.xml}.
     */
    private static final Pattern HIDDEN = Pattern.compile("[a-z]+-(default|site)\\.xml");

    /** The last loader made, reused while threads keep the same context loader (bounded: one). */
    private static volatile HidingLoader lastLoader;

    private final ParquetHandler kernel;

    NoHadoopDefaultsParquetHandler(ParquetHandler kernel) {
        this.kernel = kernel;
    }

    @Override
    public CloseableIterator<FileReadResult> readParquetFiles(CloseableIterator<FileStatus> files,
            StructType physicalSchema, Optional<Predicate> predicate) throws IOException {
        return hidingDefaults(withoutDefaults(() -> kernel.readParquetFiles(files, physicalSchema, predicate)));
    }

    @Override
    public CloseableIterator<DataFileStatus> writeParquetFiles(String directory,
            CloseableIterator<FilteredColumnarBatch> data, List<Column> statsColumns) throws IOException {
        return hidingDefaults(withoutDefaults(() -> kernel.writeParquetFiles(directory, data, statsColumns)));
    }

    @Override
    public void writeParquetFileAtomically(String filePath, CloseableIterator<FilteredColumnarBatch> data)
            throws IOException {
        withoutDefaults(() -> {
            kernel.writeParquetFileAtomically(filePath, data);
            return null;
        });
    }

    /** Runs {@code work} with the Hadoop defaults hidden from the current thread, then restores its loader. */
    static <T> T withoutDefaults(IOWork<T> work) throws IOException {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        if (previous instanceof HidingLoader) {
            return work.run();
        }
        thread.setContextClassLoader(loaderOver(previous));
        try {
            return work.run();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private static <T> CloseableIterator<T> hidingDefaults(CloseableIterator<T> iterator) {
        return new CloseableIterator<>() {
            @Override
            public boolean hasNext() {
                return unchecked(iterator::hasNext);
            }

            @Override
            public T next() {
                return unchecked(iterator::next);
            }

            @Override
            public void close() throws IOException {
                withoutDefaults(() -> {
                    iterator.close();
                    return null;
                });
            }
        };
    }

    private static <T> T unchecked(IOWork<T> work) {
        try {
            return withoutDefaults(work);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // for the compiler: hasNext and next throw no IOException
        }
    }

    private static HidingLoader loaderOver(ClassLoader current) {
        ClassLoader parent = current != null ? current : NoHadoopDefaultsParquetHandler.class.getClassLoader();
        HidingLoader loader = lastLoader;
        if (loader == null || loader.getParent() != parent) {
            loader = new HidingLoader(parent);
            lastLoader = loader;
        }
        return loader;
    }

    /** Work that may throw {@link IOException}. */
    @FunctionalInterface
    interface IOWork<T> {
        T run() throws IOException;
    }

    /** Delegates to its parent, except that Hadoop's default configuration files are not found. */
    static final class HidingLoader extends ClassLoader {
        static {
            // It defines no classes; parallel capable so that loads through it do not serialise on the loader.
            registerAsParallelCapable();
        }

        HidingLoader(ClassLoader parent) {
            super(parent);
        }

        @Override
        public URL getResource(String name) {
            return HIDDEN.matcher(name).matches() ? null : super.getResource(name);
        }
    }
}
