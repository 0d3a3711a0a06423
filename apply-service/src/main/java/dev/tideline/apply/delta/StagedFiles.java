package dev.tideline.apply.delta;

import dev.tideline.delta.kernel.AddedFile;
import dev.tideline.delta.kernel.DeletionVectorBitmap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a staged commit ({@link DeltaTableWriter.StagedCommit}) has done so far, before anything is
 * committed: the table's existing files it changes — each with its new deletion vector, or removed
 * when every row goes — and the files it wrote, each with the rows later rounds deleted from it
 * again. The staged view of the table is: the base snapshot's files, minus the removed ones, with
 * the staged vectors in place of their committed ones, plus the written files. Pure bookkeeping, no
 * I/O; the writer searches and reads the files.
 *
 * <p>Memory: one entry per file touched or written, plus the deletion vectors (Roaring bitmaps: at
 * most about 2 bytes per deleted row, far less where deleted positions are dense).
 */
final class StagedFiles {

    /**
     * An existing file the commit changes: its {@code add} entry (detached from the scan that found it),
     * and its new vector, or null when all its rows go.
     */
    record BaseChange(AddedFile add, DeletionVectorBitmap vector) {
    }

    /** A file the commit wrote, with the positions later rounds deleted (empty: none). */
    record Written(FileEntry file, DeletionVectorBitmap deleted) {
    }

    private final Map<String, BaseChange> base = new LinkedHashMap<>();
    private final Map<String, Written> written = new LinkedHashMap<>();

    /** Whether every row of this existing file is gone in the staged view. */
    boolean removes(FileEntry file) {
        BaseChange change = base.get(file.add.getPath());
        return change != null && change.vector() == null;
    }

    /**
     * The rows the staged view deletes from {@code file}: a written file's deleted positions, an
     * existing file's staged vector — or null when the commit has not touched that existing file
     * (its committed vector applies).
     */
    DeletionVectorBitmap deletedOf(FileEntry file) {
        if (file.staged()) {
            Written w = written.get(file.add.getPath());
            return w == null ? DeletionVectorBitmap.of() : w.deleted();
        }
        BaseChange change = base.get(file.add.getPath());
        return change == null ? null : change.vector();
    }

    /** Records that the rows the staged view deletes from an existing file are now {@code vector} (null: every row). */
    void deleteFromExisting(AddedFile detachedAdd, DeletionVectorBitmap vector) {
        base.put(detachedAdd.getPath(), new BaseChange(detachedAdd, vector));
    }

    /**
     * Records that the deleted rows of a file this commit wrote are now {@code vector} (null: every row).
     *
     * @return true when the file is no longer needed at all (every row it held was deleted again): it
     *         left the commit, and the caller may delete it
     */
    boolean deleteFromWritten(FileEntry file, DeletionVectorBitmap vector) {
        if (vector == null) {
            written.remove(file.add.getPath());
            return true;
        }
        written.put(file.add.getPath(), new Written(file, vector));
        return false;
    }

    /** Adds a file this commit wrote. */
    void add(FileEntry file) {
        written.put(file.add.getPath(), new Written(file, DeletionVectorBitmap.of()));
    }

    Collection<BaseChange> baseChanges() {
        return base.values();
    }

    Collection<Written> written() {
        return written.values();
    }

    /** The written files, for deleting them when the commit is abandoned. */
    List<FileEntry> writtenFiles() {
        List<FileEntry> out = new ArrayList<>();
        written.values().forEach(w -> out.add(w.file()));
        return out;
    }
}
