package dev.tideline.apply.delta;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Key columns of data files by absolute path, least recently used first out, bounded by an estimate of
 * their heap use. Shared by all writers of the process: file paths are unique (Kernel names data files
 * with random UUIDs) and files are immutable, so an entry never goes stale; a file that is gone is
 * simply never asked for again. Thread-safe.
 */
final class FileKeyCache {

    /**
     * The process-wide cache: an eighth of the maximum heap, at most 512 MiB (about 20M rows of
     * one-column keys, estimated ~24 bytes per key value) — 64 MiB at {@code -Xmx512m}. It was a fixed
     * 512 MiB, which alone could fill a 512 MiB heap.
     */
    static final FileKeyCache SHARED = new FileKeyCache(Math.min(512L * 1024 * 1024, Runtime.getRuntime().maxMemory() / 8));

    private final long budget;
    private final LinkedHashMap<String, FileKeys> entries = new LinkedHashMap<>(64, 0.75f, true);
    private long used;

    FileKeyCache(long budget) {
        this.budget = budget;
    }

    synchronized FileKeys get(String path) {
        return entries.get(path);
    }

    synchronized void put(String path, FileKeys keys) {
        FileKeys old = entries.put(path, keys);
        if (old != null) {
            used -= old.footprint();
        }
        used += keys.footprint();
        Iterator<Map.Entry<String, FileKeys>> it = entries.entrySet().iterator();
        while (used > budget && it.hasNext()) {
            Map.Entry<String, FileKeys> eldest = it.next();
            if (eldest.getValue() == keys) {
                continue;
            }
            used -= eldest.getValue().footprint();
            it.remove();
        }
    }
}
