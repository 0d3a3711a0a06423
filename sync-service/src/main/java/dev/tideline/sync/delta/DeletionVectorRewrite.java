package dev.tideline.sync.delta;

import dev.tideline.delta.kernel.DeletionVectorBitmap;
import dev.tideline.delta.kernel.DeletionVectorRef;
import dev.tideline.delta.kernel.KernelInternals;
import io.delta.kernel.data.Row;
import io.delta.kernel.engine.Engine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;

/**
 * A version's {@code remove(path, oldDV)} + {@code add(path, newDV)} of one data file: how Tideline's
 * apply-service, Spark and Databricks mark rows deleted (UPDATE/DELETE/MERGE with deletion vectors)
 * without rewriting the file. When the new vector contains the old one, the rows that disappeared are
 * exactly the positions in {@code newDV \ oldDV} and nothing else in the file changed, so the change
 * reader needs only the keys at those positions instead of the whole file read twice.
 *
 * <p>Vectors are loaded by Tideline's one deletion-vector loader, {@link KernelInternals#loadDeletionVector}.
 *
 * @param removed the {@code remove} action (its vector may be {@code null}: the file had none)
 * @param added   the {@code add} action of the same path, with a vector
 */
record DeletionVectorRewrite(ChangePlan.FileAction removed, ChangePlan.FileAction added) {

    /** The same-path pairs of a version whose {@code add} carries a deletion vector, in the order of its adds. */
    static List<DeletionVectorRewrite> of(ChangePlan.VersionFiles version) {
        Map<String, ChangePlan.FileAction> removedByPath = new HashMap<>();
        for (ChangePlan.FileAction r : version.removed()) {
            removedByPath.put(r.path(), r);
        }
        List<DeletionVectorRewrite> pairs = new ArrayList<>();
        for (ChangePlan.FileAction a : version.added()) {
            ChangePlan.FileAction r = a.deletionVector() == null ? null : removedByPath.get(a.path());
            if (r != null) {
                pairs.add(new DeletionVectorRewrite(r, a));
            }
        }
        return pairs;
    }

    /**
     * The row positions the new vector deletes and the old one did not; {@code null} when the new
     * vector does not contain the old one (rows came back: only a full comparison is exact). Kept as
     * the two (compressed) vectors, not as an array of positions, so that a refresh holding the
     * rewrites of many files holds a few bits per deleted row, not eight bytes (the loader's array
     * of positions lives only while a vector loads).
     *
     * @param tableRoot the table root, against which vectors stored in files are resolved
     */
    NewlyDeleted newlyDeleted(Engine engine, String tableRoot) {
        DeletionVectorBitmap now = load(engine, tableRoot, added.deletionVector());
        if (removed.deletionVector() == null) {
            return new NewlyDeleted(now, null, now.cardinality());
        }
        DeletionVectorBitmap before = load(engine, tableRoot, removed.deletionVector());
        if (!now.containsAll(before)) {
            return null;
        }
        return new NewlyDeleted(now, before, now.cardinality() - before.cardinality());
    }

    /**
     * The positions in {@code now} and not in {@code before}.
     *
     * @param before {@code null}: the file had no vector
     * @param count  how many positions that is
     */
    record NewlyDeleted(DeletionVectorBitmap now, DeletionVectorBitmap before, long count) implements LongPredicate {
        @Override
        public boolean test(long position) {
            return now.contains(position) && (before == null || !before.contains(position));
        }
    }

    private static DeletionVectorBitmap load(Engine engine, String tableRoot, Row deletionVector) {
        DeletionVectorRef dv = DeletionVectorRef.fromRow(deletionVector);
        try {
            return KernelInternals.loadDeletionVector(engine, tableRoot, dv);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read deletion vector " + dv + " of table " + tableRoot, e);
        }
    }
}
