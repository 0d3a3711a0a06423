package dev.tideline.sync.delta;

import io.delta.kernel.Snapshot;
import io.delta.kernel.data.MapValue;
import io.delta.kernel.data.Row;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the log says changed between two versions, before any data file is read: per version, the
 * data files added and removed (with {@code dataChange=true}) and the change data ({@code cdc})
 * files. {@link #bytesToRead()} feeds the "more than 10% of the table → snapshot" rule.
 *
 * @param fromVersion the synced version (exclusive)
 * @param to          the snapshot changes are read up to (inclusive)
 * @param versions    one entry per version with data changes, ascending
 */
public record ChangePlan(long fromVersion, Snapshot to, List<VersionFiles> versions) {

    /** The files of one version. {@code cdc} non-empty means the version's row changes are exactly its CDC rows. */
    public record VersionFiles(long version, List<FileAction> added, List<FileAction> removed, List<FileAction> cdc) {
        public boolean usesChangeDataFiles() {
            return !cdc.isEmpty();
        }

        /**
         * Bytes of the files the change reader reads whole. A deletion-vector rewrite (same path
         * removed and added with a vector) counts nothing: only its key columns are read, and
         * only the rows it deletes count, by the row rule after reading.
         */
        long bytes() {
            long sum = 0;
            if (usesChangeDataFiles()) {
                for (FileAction f : cdc) {
                    sum += f.size();
                }
                return sum;
            }
            Set<String> rewritten = new HashSet<>();
            for (DeletionVectorRewrite pair : DeletionVectorRewrite.of(this)) {
                rewritten.add(pair.added().path());
            }
            for (FileAction f : added) {
                sum += rewritten.contains(f.path()) ? 0 : f.size();
            }
            for (FileAction f : removed) {
                sum += rewritten.contains(f.path()) ? 0 : f.size();
            }
            return sum;
        }
    }

    /** A data file named by a log action: its path, partition values, size and deletion vector ({@code null}: none). */
    public record FileAction(String path, MapValue partitionValues, long size, Row deletionVector) {
    }

    /** Bytes of data files the change reader would read. */
    public long bytesToRead() {
        long sum = 0;
        for (VersionFiles v : versions) {
            sum += v.bytes();
        }
        return sum;
    }

    public long toVersion() {
        return to.getVersion();
    }
}
