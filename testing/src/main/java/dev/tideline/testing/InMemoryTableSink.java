package dev.tideline.testing;

import dev.tideline.core.Lsn;
import dev.tideline.core.TidelineException;
import dev.tideline.core.change.ChangeEvent.OldRowKind;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.sink.SinkCommit;
import dev.tideline.core.sink.TableSink;
import dev.tideline.core.value.UnchangedToast;
import dev.tideline.core.wire.ChangeBatch;
import dev.tideline.core.wire.RowChange;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A {@link TableSink} in memory, for tests of the applier without a Delta table: the whole contract,
 * nothing stored.
 *
 * <p>Rows are maps of column name to the value the batch carried (no conversion). A table with key
 * columns — the configured ones, else the schema's replica identity — holds one row per key; a table
 * without any is a multiset of whole rows (an UPDATE or DELETE removes one occurrence of its full old
 * row). The shape evolves like a Delta table's: columns are added, never dropped, and a column whose type
 * changes fails the table (NEEDS_OPERATOR). A commit applies to a copy and swaps it in with its LSN, so
 * a failure leaves the table as it was.
 *
 * <p>Faults: {@link #failNext} makes the next write (commit, staged round or commit, replay, snapshot
 * write or commit) throw the given exception before it changes anything — retryable or not, as the
 * exception says. {@link #commits()} tells what was committed, in order.
 *
 * <p>Not thread-safe, as the contract says: one caller thread.
 */
public final class InMemoryTableSink implements TableSink {

    /** One commit: its LSN (null for a snapshot replacement) and the row changes or rows it wrote. */
    public record Commit(Lsn lsn, long rows, String kind) {
    }

    private final String name;
    private final List<String> configuredKeys;

    private boolean exists;
    private Content content = new Content(List.of(), Map.of());
    private Lsn applied = Lsn.INVALID;
    private String failure;
    private String snapshotId;
    private long version = -1;
    private final List<Commit> commits = new ArrayList<>();
    private int stagedRounds;
    private int maintenanceRuns;
    private TidelineException nextFailure;

    /**
     * @param name           the table's name ({@link #location()} is {@code memory:<name>})
     * @param configuredKeys key columns overriding the source's replica identity; empty to use it
     */
    public InMemoryTableSink(String name, List<String> configuredKeys) {
        this.name = name;
        this.configuredKeys = List.copyOf(configuredKeys);
    }

    /** The next write throws {@code error} (once), before changing anything. */
    public void failNext(TidelineException error) {
        this.nextFailure = error;
    }

    /** The live rows: of a keyed table in key order of first insertion; of a keyless one, each occurrence. */
    public List<Map<String, Object>> rows() {
        return content.all();
    }

    /** Every commit so far, in order. */
    public List<Commit> commits() {
        return List.copyOf(commits);
    }

    /** Rounds written by staged commits (published or not). */
    public int stagedRounds() {
        return stagedRounds;
    }

    /** Calls of {@link #maintain()}. */
    public int maintenanceRuns() {
        return maintenanceRuns;
    }

    /** The key columns; every column for a keyless table (empty before the table exists). */
    public List<String> keyColumns() {
        return content.keys.isEmpty() ? List.copyOf(content.types.keySet()) : content.keys;
    }

    @Override
    public boolean exists() {
        return exists;
    }

    @Override
    public String location() {
        return "memory:" + name;
    }

    @Override
    public Lsn appliedLsn() {
        return applied;
    }

    @Override
    public String failure() {
        return failure;
    }

    @Override
    public String snapshotId() {
        return snapshotId;
    }

    @Override
    public Optional<SinkCommit> commit(List<ChangeBatch> batches, Lsn commitLsn) {
        throwInjected();
        if (!commitLsn.isAfter(applied)) {
            return Optional.empty();
        }
        if (!exists && batches.stream().noneMatch(b -> b instanceof ChangeBatch.Rows)) {
            return Optional.empty(); // only TRUNCATEs of a table never seen
        }
        Content next = createOrCopy(batches);
        long rows = next.apply(batches, false);
        return Optional.of(publish(next, commitLsn, rows, "commit"));
    }

    @Override
    public Optional<SinkCommit> commitOverSnapshot(List<ChangeBatch> batches, Lsn commitLsn) {
        throwInjected();
        if (!commitLsn.isAfter(applied)) {
            return Optional.empty();
        }
        int start = 0;
        for (int i = 0; i < batches.size(); i++) {
            if (batches.get(i) instanceof ChangeBatch.Truncate) {
                start = i + 1; // the reads before it were not loaded, the changes before it are gone
            }
        }
        Content next = content.copy();
        next.evolve(batches);
        List<ChangeBatch> after = batches.subList(start, batches.size());
        long rows = next.apply(after, true);
        return Optional.of(publish(next, commitLsn, rows, "replay"));
    }

    @Override
    public Staged stage(Lsn commitLsn) {
        return new Staged() {
            private Content working;
            private long rows;

            @Override
            public void round(List<ChangeBatch> batches) {
                throwInjected();
                if (working == null && !exists && batches.stream().noneMatch(b -> b instanceof ChangeBatch.Rows)) {
                    return; // only TRUNCATEs of a table never seen
                }
                if (working == null) {
                    working = createOrCopy(batches);
                } else {
                    working.evolve(batches);
                }
                rows += working.apply(batches, false);
                stagedRounds++;
            }

            @Override
            public Optional<SinkCommit> commit(List<ChangeBatch> lastBatches) {
                throwInjected();
                if (!commitLsn.isAfter(applied)) {
                    working = null;
                    return Optional.empty();
                }
                if (working == null) {
                    return InMemoryTableSink.this.commit(lastBatches, commitLsn);
                }
                working.evolve(lastBatches);
                rows += working.apply(lastBatches, false);
                Content published = working;
                working = null;
                return Optional.of(publish(published, commitLsn, rows, "staged"));
            }

            @Override
            public void abandon() {
                working = null;
            }
        };
    }

    @Override
    public Replacement replace(RelationSchema schema, String newSnapshotId, Lsn validAt) {
        throwInjected();
        Content empty = new Content(keysOf(schema), typesOf(schema, new LinkedHashMap<>()));
        Map<Integer, List<Map<String, Object>>> reads = new HashMap<>();
        return new Replacement() {
            @Override
            public void write(int read, ChangeBatch.Snapshot rows) {
                throwInjected();
                List<Map<String, Object>> out = reads.computeIfAbsent(read, r -> new ArrayList<>());
                for (Row row : rows.rows()) {
                    out.add(empty.toMap(rows.schema(), row, null));
                }
            }

            @Override
            public SinkCommit commit(Collection<Integer> loaded, long rows) {
                throwInjected();
                Content next = empty.copy();
                for (Integer read : loaded) {
                    for (Map<String, Object> row : reads.getOrDefault(read, List.of())) {
                        next.add(row);
                    }
                }
                exists = true;
                content = next;
                failure = null;
                snapshotId = newSnapshotId;
                version++;
                commits.add(new Commit(null, rows, "snapshot"));
                return new SinkCommit(version, rows, loaded.size(), 0, 0, 0);
            }
        };
    }

    @Override
    public void markFailed(String reason) {
        if (exists) {
            failure = reason;
        }
    }

    @Override
    public void maintain() {
        maintenanceRuns++;
    }

    private void throwInjected() {
        TidelineException e = nextFailure;
        if (e != null) {
            nextFailure = null;
            throw e;
        }
    }

    /** A copy of the content evolved to {@code batches}, or a new table from their first ROWS batch. */
    private Content createOrCopy(List<ChangeBatch> batches) {
        Content next;
        if (exists) {
            next = content.copy();
        } else {
            ChangeBatch.Rows first = (ChangeBatch.Rows) batches.stream().filter(b -> b instanceof ChangeBatch.Rows).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no ROWS batch to create " + name + " from"));
            next = new Content(keysOf(first.schema()), typesOf(first.schema(), new LinkedHashMap<>()));
            exists = true; // created ahead of the data, as a Delta table is
            content = next.copy();
        }
        next.evolve(batches);
        return next;
    }

    private SinkCommit publish(Content next, Lsn lsn, long rows, String kind) {
        content = next;
        applied = lsn;
        version++;
        commits.add(new Commit(lsn, rows, kind));
        return new SinkCommit(version, rows, 1, 0, 0, 0);
    }

    private List<String> keysOf(RelationSchema schema) {
        if (!configuredKeys.isEmpty()) {
            for (String k : configuredKeys) {
                if (schema.indexOf(k) < 0) {
                    throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, "Table " + schema.table()
                            + ": primary key column '" + k + "' is not a published column", "fix the configured primary keys");
                }
            }
            return configuredKeys;
        }
        return schema.keyColumns().stream().map(ColumnSchema::name).toList();
    }

    private Map<String, Integer> typesOf(RelationSchema schema, Map<String, Integer> types) {
        for (ColumnSchema c : schema.columns()) {
            Integer before = types.putIfAbsent(c.name(), c.typeOid());
            if (before != null && before != c.typeOid()) {
                throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, "Table " + schema.table() + ": column '"
                        + c.name() + "' changed its type from oid " + before + " to " + c.typeOid(),
                        "run a full refresh of this table");
            }
        }
        return types;
    }

    /** The table's rows and shape; {@code keys} empty for a keyless (multiset) table. */
    private final class Content {
        final List<String> keys;
        final Map<String, Integer> types;
        final Map<List<Object>, Map<String, Object>> byKey = new LinkedHashMap<>();
        final List<Map<String, Object>> multiset = new ArrayList<>();

        Content(List<String> keys, Map<String, Integer> types) {
            this.keys = List.copyOf(keys);
            this.types = new LinkedHashMap<>(types);
        }

        Content copy() {
            Content c = new Content(keys, types);
            c.byKey.putAll(byKey);
            c.multiset.addAll(multiset);
            return c;
        }

        void evolve(List<ChangeBatch> batches) {
            for (ChangeBatch b : batches) {
                if (b instanceof ChangeBatch.Rows rows) {
                    typesOf(rows.schema(), types);
                }
            }
        }

        List<Map<String, Object>> all() {
            List<Map<String, Object>> out = new ArrayList<>();
            for (Map<String, Object> row : keys.isEmpty() ? multiset : byKey.values()) {
                Map<String, Object> full = new LinkedHashMap<>();
                for (String column : types.keySet()) {
                    full.put(column, row.get(column));
                }
                out.add(full);
            }
            return out;
        }

        /** Applies the batches in order; {@code idempotent}: a keyless INSERT of a row already there replaces it. */
        long apply(List<ChangeBatch> batches, boolean idempotent) {
            long n = 0;
            for (ChangeBatch b : batches) {
                if (b instanceof ChangeBatch.Truncate) {
                    byKey.clear();
                    multiset.clear();
                    n++;
                } else if (b instanceof ChangeBatch.Rows rows) {
                    for (RowChange change : rows.changes()) {
                        apply(rows.schema(), change, idempotent);
                        n++;
                    }
                }
            }
            return n;
        }

        private void apply(RelationSchema schema, RowChange change, boolean idempotent) {
            if (keys.isEmpty()) {
                Map<String, Object> old = null;
                if (change.op() != RowChange.Op.INSERT) {
                    if (change.oldRow() == null || change.oldRowKind() != OldRowKind.FULL) {
                        throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, "Table " + schema.table() + ": "
                                + change.op() + " of a table without a key carries no full old row",
                                "ALTER TABLE ... REPLICA IDENTITY FULL; then run a full refresh of this table");
                    }
                    old = toMap(schema, change.oldRow(), null);
                    multiset.remove(old);
                }
                if (change.newRow() != null) {
                    Map<String, Object> row = toMap(schema, change.newRow(), old);
                    if (!idempotent || !multiset.contains(row)) {
                        multiset.add(row);
                    }
                }
                return;
            }
            Map<String, Object> previous = null;
            if (change.oldRow() != null) {
                previous = byKey.remove(keyOf(schema, toMap(schema, change.oldRow(), null)));
            }
            if (change.newRow() != null) {
                Map<String, Object> partial = toMap(schema, change.newRow(), null);
                List<Object> key = keyOf(schema, partial);
                if (previous == null) {
                    previous = byKey.get(key);
                }
                byKey.put(key, toMap(schema, change.newRow(), previous));
            }
        }

        void add(Map<String, Object> row) {
            if (keys.isEmpty()) {
                multiset.add(row);
            } else {
                byKey.put(keyOf(null, row), row);
            }
        }

        /** The row as a map; an unchanged TOAST value is taken from {@code previous}. */
        Map<String, Object> toMap(RelationSchema schema, Row row, Map<String, Object> previous) {
            Map<String, Object> map = new HashMap<>();
            for (int i = 0; i < schema.columnCount(); i++) {
                Object v = row.get(i);
                map.put(schema.column(i).name(), v == UnchangedToast.VALUE ? (previous == null ? null : previous.get(schema.column(i).name())) : v);
            }
            return map;
        }

        private List<Object> keyOf(RelationSchema schema, Map<String, Object> row) {
            List<Object> key = new ArrayList<>(keys.size());
            for (String k : keys) {
                Object v = row.get(k);
                if (v == null) {
                    throw new TidelineException(TidelineException.Kind.NEEDS_OPERATOR, "Table " + (schema == null ? name : schema.table())
                            + ": key column '" + k + "' has no value, so the row cannot be identified",
                            "make the key columns part of the replica identity; then run a full refresh");
                }
                key.add(v);
            }
            return key;
        }
    }
}
