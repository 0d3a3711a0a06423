package dev.tideline.apply.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.apply.delta.CompactionPolicy.FileFacts;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Which files a compaction rewrites, decided on synthetic file descriptions (no table, no I/O). */
class CompactionPolicyTest {

    static final long MIB = 1024 * 1024;
    /** Small below 8 MiB, a tier is compacted at 4 files, at most 1,000 rows per compaction. */
    static final CompactionPolicy POLICY = new CompactionPolicy(8 * MIB, 4, 1_000);

    /** A file without a deletion vector. */
    static FileFacts file(long bytes, long rows) {
        return new FileFacts(bytes, Optional.of(rows), Optional.empty());
    }

    /** A file whose deletion vector removes {@code deleted} of its rows. */
    static FileFacts withVector(long bytes, long rows, long deleted) {
        return new FileFacts(bytes, Optional.of(rows), Optional.of(deleted));
    }

    static List<FileFacts> choose(CompactionPolicy policy, List<FileFacts> files) {
        return policy.choose(files, Function.identity());
    }

    @Test
    void aTierOfSmallFilesIsCompactedOnceItHoldsEnoughFiles() {
        List<FileFacts> three = List.of(file(100, 10), file(120, 10), file(150, 10));
        assertTrue(choose(POLICY, three).isEmpty(), "three files of a tier: not yet");

        List<FileFacts> four = List.of(file(100, 10), file(120, 10), file(150, 10), file(110, 10));
        assertEquals(List.of(four.get(0), four.get(3), four.get(1), four.get(2)), choose(POLICY, four),
                "the whole tier, smallest first");
    }

    @Test
    void filesWithEqualDescriptionsAreStillDistinctFiles() {
        List<FileFacts> files = List.of(file(100, 10), file(100, 10), file(100, 10), file(100, 10));
        assertEquals(4, choose(POLICY, files).size());
    }

    @Test
    void aLargerFileIsNeverRewrittenForAFewSmallOnes() {
        FileFacts larger = file(2 * MIB, 100);
        List<FileFacts> files = new ArrayList<>(List.of(larger, file(100, 10), file(200, 10), file(300, 10), file(400, 10)));
        List<FileFacts> chosen = choose(POLICY, files);
        assertEquals(4, chosen.size());
        assertTrue(!chosen.contains(larger), "more than 4x the tier's smallest file: a tier of its own");
    }

    @Test
    void tiersAreRunsWithinFourTimesOfTheirSmallestFile() {
        // 100..400 is one tier (3 files: below the threshold); 401 starts the next, which holds 4.
        List<FileFacts> files = List.of(file(100, 1), file(200, 1), file(400, 1), file(401, 1), file(500, 1), file(900, 1),
                file(1604, 1));
        assertEquals(List.of(files.get(3), files.get(4), files.get(5), files.get(6)), choose(POLICY, files));
    }

    @Test
    void filesAtOrAboveTheSmallSizeAreNotTiered() {
        List<FileFacts> files = List.of(file(8 * MIB, 10), file(8 * MIB, 10), file(8 * MIB, 10), file(8 * MIB, 10));
        assertTrue(choose(POLICY, files).isEmpty());
    }

    @Test
    void aFileMostlyDeletedIsPurgedAtThirtyPercent() {
        FileFacts purged = withVector(100 * MIB, 100, 30);
        FileFacts kept = withVector(100 * MIB, 100, 29);
        assertEquals(List.of(purged), choose(POLICY, List.of(kept, purged)),
                "a lone file with a vector is rewritten: its deleted rows go");
    }

    @Test
    void aFileWithoutRowCountOrRowsIsNeverPurged() {
        FileFacts unknown = new FileFacts(MIB * 100, Optional.empty(), Optional.of(50L));
        FileFacts empty = withVector(MIB * 100, 0, 0);
        assertTrue(choose(POLICY, List.of(unknown, empty)).isEmpty());
    }

    @Test
    void aLoneFileWithoutVectorIsNeverRewritten() {
        CompactionPolicy tiny = new CompactionPolicy(8 * MIB, 2, 15);
        // A tier of two, but only the first fits in 15 rows: rewriting one file alone would change nothing.
        assertTrue(choose(tiny, List.of(file(100, 10), file(110, 10))).isEmpty());
    }

    @Test
    void oneCompactionHoldsAtMostMaxRowsAndTheRestWaits() {
        List<FileFacts> files = List.of(file(100, 400), file(110, 400), file(120, 400), file(130, 100));
        assertEquals(List.of(files.get(0), files.get(1), files.get(3)), choose(POLICY, files),
                "400 + 400 rows, then the third file would pass 1,000 rows; the fourth still fits");
    }

    @Test
    void aFileLargerThanOneCompactionIsPurgedOnceItsLiveRowsFit() {
        // Only live rows are read and held: 5,000 stored rows of which 4,200 deleted are 800 to hold.
        FileFacts mostlyDeleted = withVector(100 * MIB, 5_000, 4_200);
        FileFacts tooManyLive = withVector(100 * MIB, 5_000, 3_000);
        assertEquals(List.of(mostlyDeleted), choose(POLICY, List.of(tooManyLive, mostlyDeleted)),
                "2,000 live rows wait; 800 fit in 1,000");
        List<FileFacts> two = List.of(withVector(100 * MIB, 1_000, 500), withVector(100 * MIB, 1_000, 500));
        assertEquals(two, choose(POLICY, two), "500 + 500 live rows: both in one compaction");
    }

    @Test
    void aFileWithoutRowCountIsTooLargeToHold() {
        FileFacts unknown = new FileFacts(100, Optional.empty(), Optional.empty());
        List<FileFacts> files = List.of(unknown, file(110, 10), file(120, 10), file(130, 10));
        assertEquals(List.of(files.get(1), files.get(2), files.get(3)), choose(POLICY, files));
    }

    @Test
    void tierFilesComeFirstThenPurgedFilesInListingOrder() {
        FileFacts purgeA = withVector(50 * MIB, 100, 90);
        FileFacts purgeB = withVector(60 * MIB, 100, 50);
        List<FileFacts> tier = List.of(file(100, 1), file(100, 1), file(100, 1), file(100, 1));
        List<FileFacts> files = new ArrayList<>();
        files.add(purgeB);
        files.addAll(tier);
        files.add(purgeA);
        List<FileFacts> expected = new ArrayList<>(tier);
        expected.add(purgeB);
        expected.add(purgeA);
        assertEquals(expected, choose(new CompactionPolicy(8 * MIB, 4, 10_000), files));
    }

    @Test
    void aSmallFileWithManyDeletedRowsIsChosenOnce() {
        FileFacts both = withVector(100, 10, 9);
        List<FileFacts> files = List.of(both, file(100, 10), file(100, 10), file(100, 10));
        assertEquals(4, choose(POLICY, files).size(), "in its tier and purged: still read once");
    }

    @Test
    void theSettingsGiveThePolicy() {
        WriterSettings settings = WriterSettings.DEFAULT.withCompactAfterFiles(2).withCompactMaxRows(100);
        List<FileFacts> files = List.of(file(100, 60), file(110, 60));
        assertTrue(choose(CompactionPolicy.of(settings), files).isEmpty(), "the second file passes 100 rows");
        assertEquals(files, choose(CompactionPolicy.of(settings.withCompactMaxRows(120)), files));
    }
}
