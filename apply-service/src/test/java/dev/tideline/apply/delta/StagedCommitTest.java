package dev.tideline.apply.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.change.ChangeEvent.OldRowKind;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.PgType;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import dev.tideline.core.value.UnchangedToast;
import dev.tideline.core.wire.ChangeBatch;
import dev.tideline.core.wire.RowChange;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.TableLocations;
import io.delta.kernel.engine.Engine;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A source transaction applied in many rounds to one staged commit, on a real Delta table on disk,
 * compared with an in-memory model of the source: later rounds update, re-key and delete rows that
 * earlier rounds inserted or rewrote (unchanged TOAST values included), a keyless table keeps its
 * identical rows as a multiset, and the whole transaction appears in exactly one Delta commit —
 * nothing of it before, and an abandoned staged commit leaves the table and its directory as they were.
 */
class StagedCommitTest {

    static final TableId ORDERS = TableId.of("public", "orders");
    static final RelationSchema KEYED = new RelationSchema(16384, ORDERS, ReplicaIdentity.DEFAULT, List.of(
            new ColumnSchema("id", PgType.INT8, -1, true),
            new ColumnSchema("name", PgType.TEXT, -1, false),
            new ColumnSchema("amount", PgType.NUMERIC, ((10 << 16) | 2) + 4, false),
            new ColumnSchema("doc", PgType.TEXT, -1, false)));
    static final TableId HISTORY = TableId.of("public", "history");
    static final RelationSchema KEYLESS = new RelationSchema(16385, HISTORY, ReplicaIdentity.FULL, List.of(
            new ColumnSchema("tid", PgType.INT4, -1, true),
            new ColumnSchema("filler", PgType.TEXT, -1, true)));

    @TempDir
    Path warehouse;
    final Random random = new Random(7);
    long lsn = 0x1000;
    int ordinal;

    Engine engine() {
        return DeltaEngines.forWarehouse(warehouse.toString(), EngineSettings.defaults().withFsync(false));
    }

    DeltaTableWriter open(TableId table, RelationSchema schema) {
        DeltaTableWriter w = DeltaTableWriter.open(engine(), TableLocations.of(warehouse.toString(), "main", "public", table.name()),
                "p1/public." + table.name(), table, WriterSettings.DEFAULT);
        if (!w.exists()) {
            w.create(TableLayout.create(schema, List.of(), ScdType.SCD_TYPE_1));
        }
        return w;
    }

    List<RowOp> ops(DeltaTableWriter w, RelationSchema schema, Lsn at, List<RowChange> changes) {
        ChangeBatch.Rows batch = new ChangeBatch.Rows(at, Instant.ofEpochSecond(1_700_000_000L), 7, 0, true, schema, changes);
        List<RowOp> out = new ArrayList<>();
        RowOps.add(batch, w.layout().converter(schema), out);
        return out;
    }

    // ----------------------------------------------------------------------------- keyed

    /** The keyed source: id → (name, amount, doc). */
    final TreeMap<Long, Object[]> source = new TreeMap<>();
    long nextId = 1;

    RowChange keyedChange(Set<Long> insertedInThisTxn) {
        int dice = random.nextInt(100);
        if (source.size() < 10 || dice < 35) {
            long id = nextId++;
            Object[] v = {id, "n" + random.nextInt(1000), new BigDecimal(random.nextInt(100000)).movePointLeft(2), "doc-" + id};
            source.put(id, v);
            insertedInThisTxn.add(id);
            return RowChange.insert(ordinal++, Row.of(v));
        }
        // Half of the updates and deletes go to rows this very transaction inserted (staged rows).
        List<Long> pool = new ArrayList<>(!insertedInThisTxn.isEmpty() && random.nextBoolean() ? insertedInThisTxn : source.keySet());
        pool.removeIf(id -> !source.containsKey(id));
        if (pool.isEmpty()) {
            pool = new ArrayList<>(source.keySet());
        }
        long id = pool.get(random.nextInt(pool.size()));
        if (dice < 70) {
            Object[] old = source.get(id);
            Object[] v = {id, "u" + random.nextInt(1000), new BigDecimal(random.nextInt(100000)).movePointLeft(2), old[3]};
            source.put(id, v);
            Object[] sent = v.clone();
            if (random.nextBoolean()) {
                sent[3] = UnchangedToast.VALUE; // the TOASTed doc is not sent: the stored (maybe staged) value stays
            } else {
                sent[3] = "doc-" + id + "-" + random.nextInt(100);
                v[3] = sent[3];
            }
            return RowChange.update(ordinal++, OldRowKind.NONE, null, Row.of(sent));
        }
        if (dice < 80) {
            long to = nextId++;
            Object[] old = source.remove(id);
            Object[] v = {to, "k" + random.nextInt(1000), old[2], old[3]};
            source.put(to, v);
            insertedInThisTxn.add(to);
            Object[] sent = v.clone();
            sent[3] = UnchangedToast.VALUE; // key change keeping the TOASTed value of the old key
            return RowChange.update(ordinal++, OldRowKind.KEY, Row.of(id, null, null, null), Row.of(sent));
        }
        source.remove(id);
        return RowChange.delete(ordinal++, OldRowKind.KEY, Row.of(id, null, null, null));
    }

    Map<Long, List<Object>> expectedKeyed() {
        RowConverter converter = TableLayout.create(KEYED, List.of(), ScdType.SCD_TYPE_1).converter(KEYED);
        Map<Long, List<Object>> out = new TreeMap<>();
        source.forEach((id, v) -> out.put(id, Arrays.asList(converter.toDelta(Row.of(v), null))));
        return out;
    }

    static Map<Long, List<Object>> actualKeyed(DeltaTableWriter w) {
        Map<Long, List<Object>> out = new TreeMap<>();
        for (Object[] r : w.readAll()) {
            assertNull(out.put((Long) r[0], Arrays.asList(r)), "duplicate key " + r[0]);
        }
        return out;
    }

    @Test
    void aTransactionAppliedInRoundsIsOneCommitEqualToTheSource() throws IOException {
        DeltaTableWriter w = open(ORDERS, KEYED);
        // Committed rows first, in two commits, so that the staged rounds change existing files too.
        for (int c = 0; c < 2; c++) {
            List<RowChange> changes = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                changes.add(keyedChange(new java.util.HashSet<>()));
            }
            Lsn at = Lsn.of(lsn += 0x100);
            assertTrue(w.apply(w.layout(), ops(w, KEYED, at, changes), at).isPresent());
        }
        assertEquals(expectedKeyed(), actualKeyed(w));
        long before = w.version();
        Set<String> filesBefore = dataFiles(w);

        Lsn at = Lsn.of(lsn += 0x100);
        DeltaTableWriter.StagedCommit staged = w.stage(at);
        Set<Long> inserted = new java.util.HashSet<>();
        for (int round = 0; round < 25; round++) {
            List<RowChange> changes = new ArrayList<>();
            for (int i = 0; i < 120; i++) {
                changes.add(keyedChange(inserted));
            }
            staged.round(w.layout(), ops(w, KEYED, at, changes));
            assertEquals(before, w.version(), "nothing is committed before the transaction ends");
        }
        List<RowChange> last = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            last.add(keyedChange(inserted));
        }
        CommitOutcome outcome = staged.commit(w.layout(), ops(w, KEYED, at, last)).orElseThrow();

        assertEquals(before + 1, outcome.version(), "one Delta commit for the whole transaction");
        assertEquals(expectedKeyed(), actualKeyed(w));
        assertEquals(expectedKeyed(), actualKeyed(open(ORDERS, KEYED)), "a fresh reader (Kernel, from the log) sees the same");
        assertEquals(at, w.appliedLsn());
        assertEquals(List.of(at.value()), transactionVersions(w, outcome.version()));
        // Files written by a round and later emptied again were dropped from the commit and deleted.
        Set<String> referenced = dataFiles(w);
        Set<String> onDisk = parquetOnDisk(w);
        onDisk.removeAll(filesBefore);
        onDisk.removeAll(referenced);
        assertEquals(Set.of(), onDisk, "unreferenced files of the staged commit left behind");
        assertTrue(DeltaLogFiles.deletionVectorCardinalities(w.tablePath(), outcome.version()).size() > 0,
                "rounds deleted rows by deletion vector");

        // A replay of the same transaction (redelivered after a crash before the ack) is recognised.
        DeltaTableWriter.StagedCommit replay = w.stage(at);
        assertTrue(replay.commit(w.layout(), List.of()).isEmpty());
        assertEquals(outcome.version(), w.version());
    }

    @Test
    void anAbandonedStagedCommitLeavesTheTableAndItsDirectoryAsTheyWere() throws IOException {
        DeltaTableWriter w = open(ORDERS, KEYED);
        List<RowChange> changes = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            changes.add(keyedChange(new java.util.HashSet<>()));
        }
        Lsn first = Lsn.of(lsn += 0x100);
        w.apply(w.layout(), ops(w, KEYED, first, changes), first);
        Map<Long, List<Object>> committed = expectedKeyed();
        Set<String> onDiskBefore = parquetOnDisk(w);
        long version = w.version();

        Lsn at = Lsn.of(lsn += 0x100);
        DeltaTableWriter.StagedCommit staged = w.stage(at);
        for (int round = 0; round < 3; round++) {
            List<RowChange> more = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                more.add(keyedChange(new java.util.HashSet<>()));
            }
            staged.round(w.layout(), ops(w, KEYED, at, more));
        }
        assertTrue(parquetOnDisk(w).size() > onDiskBefore.size(), "rounds wrote files");
        staged.abandon();

        assertEquals(version, w.version());
        assertEquals(first, w.appliedLsn());
        assertEquals(committed, actualKeyed(open(ORDERS, KEYED)));
        assertEquals(onDiskBefore, parquetOnDisk(w));
    }

    // ----------------------------------------------------------------------------- keyless

    @Test
    void aKeylessTransactionInRoundsKeepsIdenticalRowsAsAMultiset() throws IOException {
        DeltaTableWriter w = open(HISTORY, KEYLESS);
        List<Row> rows = new ArrayList<>();
        List<RowChange> initial = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Row r = keylessRow();
            rows.add(r);
            initial.add(RowChange.insert(ordinal++, r));
        }
        Lsn first = Lsn.of(lsn += 0x100);
        w.apply(w.layout(), ops(w, KEYLESS, first, initial), first);
        long before = w.version();

        Lsn at = Lsn.of(lsn += 0x100);
        DeltaTableWriter.StagedCommit staged = w.stage(at);
        for (int round = 0; round < 20; round++) {
            List<RowChange> changes = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                int dice = random.nextInt(100);
                if (rows.size() < 5 || dice < 45) {
                    Row r = keylessRow();
                    rows.add(r);
                    changes.add(RowChange.insert(ordinal++, r));
                } else if (dice < 75) {
                    Row old = rows.remove(random.nextInt(rows.size()));
                    changes.add(RowChange.delete(ordinal++, OldRowKind.FULL, old));
                } else {
                    int p = random.nextInt(rows.size());
                    Row old = rows.get(p);
                    Row r = keylessRow();
                    rows.set(p, r);
                    changes.add(RowChange.update(ordinal++, OldRowKind.FULL, old, r));
                }
            }
            staged.round(w.layout(), ops(w, KEYLESS, at, changes));
        }
        CommitOutcome outcome = staged.commit(w.layout(), List.of()).orElseThrow();

        assertEquals(before + 1, outcome.version());
        RowConverter converter = TableLayout.create(KEYLESS, List.of(), ScdType.SCD_TYPE_1).converter(KEYLESS);
        List<String> expected = rows.stream().map(r -> Arrays.toString(converter.toDelta(r, null))).sorted().toList();
        assertTrue(expected.size() > expected.stream().distinct().count(), "the workload must leave identical rows");
        List<String> actual = open(HISTORY, KEYLESS).readAll().stream().map(Arrays::toString).sorted(Comparator.naturalOrder()).toList();
        assertEquals(expected, actual);
    }

    Row keylessRow() {
        return Row.of(random.nextInt(4), random.nextInt(3) == 0 ? null : "f" + random.nextInt(3));
    }

    // ----------------------------------------------------------------------------- the log and the directory

    /** Transaction identifier versions in one commit. */
    static List<Long> transactionVersions(DeltaTableWriter w, long version) throws IOException {
        List<Long> out = new ArrayList<>();
        for (JsonNode a : DeltaLogFiles.actions(w.tablePath(), version)) {
            if (a.has("txn")) {
                out.add(a.get("txn").get("version").asLong());
            }
        }
        return out;
    }

    /** Data file names the latest version references. */
    static Set<String> dataFiles(DeltaTableWriter w) throws IOException {
        Set<String> live = new java.util.HashSet<>();
        Path log = DeltaLogFiles.log(w.tablePath());
        List<Path> commits;
        try (Stream<Path> files = Files.list(log)) {
            commits = files.filter(p -> p.getFileName().toString().matches("\\d{20}\\.json")).sorted().toList();
        }
        for (Path commit : commits) {
            for (String line : Files.readAllLines(commit)) {
                JsonNode a = line.isBlank() ? null : new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
                if (a != null && a.has("add")) {
                    live.add(a.get("add").get("path").asText());
                } else if (a != null && a.has("remove")) {
                    live.remove(a.get("remove").get("path").asText());
                }
            }
        }
        return live;
    }

    static Set<String> parquetOnDisk(DeltaTableWriter w) throws IOException {
        Path root = DeltaLogFiles.log(w.tablePath()).getParent();
        try (Stream<Path> files = Files.list(root)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".parquet")).collect(Collectors.toSet());
        }
    }

    @Test
    void stagedFilesAreNotReferencedBeforeTheCommit() throws IOException {
        DeltaTableWriter w = open(ORDERS, KEYED);
        Lsn at = Lsn.of(lsn += 0x100);
        DeltaTableWriter.StagedCommit staged = w.stage(at);
        List<RowChange> changes = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            changes.add(keyedChange(new java.util.HashSet<>()));
        }
        staged.round(w.layout(), ops(w, KEYED, at, changes));
        assertFalse(parquetOnDisk(w).isEmpty());
        assertEquals(Set.of(), dataFiles(w));
        assertEquals(Map.of(), actualKeyed(open(ORDERS, KEYED)));
    }
}
