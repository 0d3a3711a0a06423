package dev.tideline.sync.delta;

import io.delta.kernel.Snapshot;
import io.delta.kernel.data.MapValue;
import io.delta.kernel.data.Row;
import java.util.List;

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

        long bytes() {
            List<FileAction> files = usesChangeDataFiles() ? cdc : null;
            long sum = 0;
            if (files != null) {
                for (FileAction f : files) {
                    sum += f.size();
                }
                return sum;
            }
            for (FileAction f : added) {
                sum += f.size();
            }
            for (FileAction f : removed) {
                sum += f.size();
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
