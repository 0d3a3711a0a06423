package dev.tideline.delta;

import io.delta.kernel.utils.CloseableIterator;
import java.util.Iterator;
import java.util.List;

/**
 * Kernel {@link CloseableIterator}s over values already in memory (closing them does nothing). Kernel
 * 4.4 has these only in its internal {@code Utils}, which Tideline does not use outside
 * {@code dev.tideline.delta.kernel}.
 */
public final class CloseableIterators {

    private CloseableIterators() {
    }

    public static <T> CloseableIterator<T> of(Iterator<T> values) {
        return new CloseableIterator<>() {
            @Override
            public boolean hasNext() {
                return values.hasNext();
            }

            @Override
            public T next() {
                return values.next();
            }

            @Override
            public void close() {
            }
        };
    }

    public static <T> CloseableIterator<T> singleton(T value) {
        return of(List.of(value).iterator());
    }
}
