package dev.tideline.delta.kernel;

import io.delta.kernel.data.Row;
import io.delta.kernel.internal.actions.DeletionVectorDescriptor;
import java.util.Optional;

/**
 * Where a data file's deletion vector is stored: the {@code deletionVector} struct of an {@code add} or
 * {@code remove} action (the protocol's "Deletion Vector Descriptor": storage type {@code u} — a file in
 * the table root named by a UUID, {@code p} — an absolute path, or {@code i} — inline; the offset and size
 * of the vector in that file; how many rows it deletes). Load the positions with
 * {@link KernelInternals#loadDeletionVector}.
 *
 * <p>Wraps Kernel's internal {@code DeletionVectorDescriptor}; the accessors keep its names.
 */
public final class DeletionVectorRef {

    final DeletionVectorDescriptor descriptor;

    DeletionVectorRef(DeletionVectorDescriptor descriptor) {
        this.descriptor = descriptor;
    }

    /** The descriptor in a log action's {@code deletionVector} struct. */
    public static DeletionVectorRef fromRow(Row deletionVector) {
        return new DeletionVectorRef(DeletionVectorDescriptor.fromRow(deletionVector));
    }

    /** {@code u}, {@code p} or {@code i}. */
    public String getStorageType() {
        return descriptor.getStorageType();
    }

    /** Where the vector starts in its file (absent: at the start, or inline). */
    public Optional<Integer> getOffset() {
        return descriptor.getOffset();
    }

    /** How many rows the vector deletes. */
    public long getCardinality() {
        return descriptor.getCardinality();
    }

    /** An identifier unique to this vector (storage type, path and offset): equal ids, equal vectors. */
    public String getUniqueId() {
        return descriptor.getUniqueId();
    }

    /** The absolute path of the file holding the vector (not for inline vectors). */
    public String getAbsolutePath(String tableRoot) {
        return descriptor.getAbsolutePath(tableRoot);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeletionVectorRef other && descriptor.equals(other.descriptor);
    }

    @Override
    public int hashCode() {
        return descriptor.hashCode();
    }

    @Override
    public String toString() {
        return descriptor.toString();
    }
}
