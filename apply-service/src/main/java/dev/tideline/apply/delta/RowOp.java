package dev.tideline.apply.delta;

import java.util.Objects;

/**
 * One row-level operation on a destination table, in source order.
 *
 * @param kind         upsert, delete or truncate
 * @param key          the row's key (null for TRUNCATE)
 * @param baseKey      for an upsert, the key the row had before (differs from {@code key} when the
 *                     update changed the primary key; {@link DeltaRows#KEEP} values come from that row)
 * @param row          the new Delta row for an upsert, else null
 * @param commitMicros commit time of the source transaction, microseconds since the epoch (SCD2)
 */
public record RowOp(Kind kind, RowKey key, RowKey baseKey, Object[] row, long commitMicros) {

    public enum Kind { UPSERT, DELETE, TRUNCATE }

    public RowOp {
        Objects.requireNonNull(kind, "kind");
        if (kind != Kind.TRUNCATE) {
            Objects.requireNonNull(key, "key");
        }
        if (kind == Kind.UPSERT) {
            Objects.requireNonNull(row, "row");
            Objects.requireNonNull(baseKey, "baseKey");
        }
    }

    public static RowOp upsert(RowKey key, RowKey baseKey, Object[] row, long commitMicros) {
        return new RowOp(Kind.UPSERT, key, baseKey, row, commitMicros);
    }

    public static RowOp delete(RowKey key, long commitMicros) {
        return new RowOp(Kind.DELETE, key, null, null, commitMicros);
    }

    public static RowOp truncate(long commitMicros) {
        return new RowOp(Kind.TRUNCATE, null, null, null, commitMicros);
    }
}
