package dev.tideline.apply.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.delta.kernel.AddedFile;
import dev.tideline.delta.kernel.DeletionVectorBitmap;
import dev.tideline.delta.kernel.KernelInternals;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.DataFileStatus;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The bookkeeping of a staged commit: what its view deletes from existing and from written files. */
class StagedFilesTest {

    static final StructType SCHEMA = new StructType().add("id", LongType.LONG);

    static FileEntry written(String name) {
        DataFileStatus status = new DataFileStatus("file:/t/" + name, 100, 1, Optional.empty());
        AddedFile add = KernelInternals.addFileOf(SCHEMA, "file:/t", status, true);
        return FileEntry.staged(add, status);
    }

    @Test
    void aWrittenFileGetsAVectorAndLeavesTheCommitWhenEveryRowIsDeletedAgain() {
        StagedFiles files = new StagedFiles();
        FileEntry a = written("a.parquet");
        FileEntry b = written("b.parquet");
        files.add(a);
        files.add(b);
        assertTrue(files.deletedOf(a).isEmpty(), "a new file deletes nothing yet");

        assertFalse(files.deleteFromWritten(a, DeletionVectorBitmap.of(3, 5)));
        assertEquals(2, files.deletedOf(a).cardinality());
        assertFalse(files.removes(a), "only existing files are removed; written ones leave the commit");

        assertTrue(files.deleteFromWritten(b, null), "every row of b deleted again: b is no longer needed");
        assertEquals(List.of(a), files.writtenFiles());
        assertEquals(1, files.written().size());
        assertTrue(files.baseChanges().isEmpty());
    }
}
