package dev.tideline.apply.delta;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Which data files a compaction rewrites, and when: a pure decision on file sizes, row counts and
 * deletion-vector cardinalities — no I/O, same input → same output. {@link DeltaTableWriter#compactIfNeeded}
 * lists the files, asks this policy, and rewrites what it chose.
 *
 * <p>Chosen are:
 * <ul>
 *   <li>small files (below {@code smallFileBytes}) in size tiers — sorted by size, a tier is a run of
 *       files within 4x of its smallest one — once a tier holds {@code compactAfterFiles} files: a
 *       large file is never rewritten for a few small ones, each row is rewritten O(log n) times, and
 *       the cost of one compaction stays proportional to the tier it merges;</li>
 *   <li>files whose deletion vector removes at least {@link #PURGE_DELETED_FRACTION} of their rows.</li>
 * </ul>
 * Memory stays bounded: files are taken in that order while their live rows (row count minus the
 * deletion vector's cardinality: a compaction reads only those) add up to at most {@code compactMaxRows}
 * (a compaction holds them all to sort them; a file without a row count counts as too large), the rest
 * waits for a later compaction. Counting live rows, not stored ones, matters for a large table: a file
 * of more than {@code compactMaxRows} rows — a 10M-row table loaded in big files — becomes purgeable once
 * enough of it is deleted, instead of keeping its deletion vector (and readers skipping its dead rows)
 * forever (issue 17). A lone file without a deletion vector is never
 * chosen (rewriting it would change nothing).
 */
final class CompactionPolicy {

    /** A file whose deletion vector removes at least this fraction of its rows is rewritten by compaction. */
    static final double PURGE_DELETED_FRACTION = 0.3;

    /**
     * What the policy looks at in a data file.
     *
     * @param sizeBytes   the file's size
     * @param records     its physical row count, when its statistics have one
     * @param deletedRows the cardinality of its deletion vector; empty when it has none
     */
    record FileFacts(long sizeBytes, Optional<Long> records, Optional<Long> deletedRows) {
    }

    private final long smallFileBytes;
    private final int compactAfterFiles;
    private final long compactMaxRows;

    CompactionPolicy(long smallFileBytes, int compactAfterFiles, long compactMaxRows) {
        this.smallFileBytes = smallFileBytes;
        this.compactAfterFiles = compactAfterFiles;
        this.compactMaxRows = compactMaxRows;
    }

    /** The policy of {@code settings} ({@link WriterSettings#smallFileBytes()} and the compaction limits). */
    static CompactionPolicy of(WriterSettings settings) {
        return new CompactionPolicy(settings.smallFileBytes(), settings.compactAfterFiles(), settings.compactMaxRows());
    }

    /**
     * The files to rewrite in one compaction, in the order they are to be read (empty: nothing to do yet).
     *
     * @param files the table's data files, in listing order; each element counts once, however its facts compare
     * @param facts what the policy needs to know of a file
     */
    <F> List<F> choose(List<F> files, Function<? super F, FileFacts> facts) {
        // Positions in files stand for the files: two files with equal facts are still two files.
        List<FileFacts> all = new ArrayList<>(files.size());
        files.forEach(f -> all.add(facts.apply(f)));
        List<Integer> small = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).sizeBytes() < smallFileBytes) {
                small.add(i);
            }
        }
        // Size tiers: sorted by size (stable: equal sizes keep listing order), a tier is a run of files within 4x of its smallest one.
        small.sort((x, y) -> Long.compare(all.get(x).sizeBytes(), all.get(y).sizeBytes()));
        Set<Integer> chosen = new LinkedHashSet<>();
        List<Integer> tier = new ArrayList<>();
        for (int f : small) {
            if (!tier.isEmpty() && all.get(f).sizeBytes() > 4 * Math.max(1, all.get(tier.get(0)).sizeBytes())) {
                if (tier.size() >= compactAfterFiles) {
                    chosen.addAll(tier);
                }
                tier = new ArrayList<>();
            }
            tier.add(f);
        }
        if (tier.size() >= compactAfterFiles) {
            chosen.addAll(tier);
        }
        for (int i = 0; i < all.size(); i++) {
            Optional<Long> deleted = all.get(i).deletedRows();
            Optional<Long> records = all.get(i).records();
            if (deleted.isPresent() && records.isPresent() && records.get() > 0
                    && deleted.get() >= PURGE_DELETED_FRACTION * records.get()) {
                chosen.add(i);
            }
        }
        // Bounded memory: the rows of everything chosen are held at once (to be sorted by key).
        List<Integer> bounded = new ArrayList<>();
        long rows = 0;
        for (int f : chosen) {
            long n = all.get(f).records().map(r -> r - all.get(f).deletedRows().orElse(0L)).orElse(Long.MAX_VALUE / 2);
            if (rows + n <= compactMaxRows) {
                bounded.add(f);
                rows += n;
            }
        }
        if (bounded.size() == 1 && all.get(bounded.get(0)).deletedRows().isEmpty()) {
            return List.of();
        }
        List<F> out = new ArrayList<>(bounded.size());
        bounded.forEach(i -> out.add(files.get(i)));
        return out;
    }
}
