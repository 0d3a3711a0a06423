package dev.tideline.apply.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.change.ChangeEvent.OldRowKind;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.PgType;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import dev.tideline.core.sink.TableSink;
import dev.tideline.core.wire.ChangeBatch;
import dev.tideline.core.wire.RowChange;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.TableLocations;
import dev.tideline.testing.InMemoryTableSink;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@link TableSink} contract, checked on the Delta sink and on the in-memory one the applier's unit
 * tests use — so that what those tests prove holds for Delta too.
 */
class TableSinkContractTest {

    static final TableId TABLE = TableId.of("public", "orders");
    static final RelationSchema SCHEMA = new RelationSchema(16384, TABLE, ReplicaIdentity.DEFAULT,
            List.of(new ColumnSchema("id", PgType.INT8, -1, true), new ColumnSchema("v", PgType.TEXT, -1, false)));

    @TempDir
    Path warehouse;

    /** A sink, and its live rows as sorted {@code id=v}. */
    record Subject(TableSink sink, Supplier<List<String>> rows) {
    }

    Subject subject(String kind) {
        if (kind.equals("memory")) {
            InMemoryTableSink sink = new InMemoryTableSink("orders", List.of());
            return new Subject(sink, () -> sink.rows().stream().map(r -> r.get("id") + "=" + r.get("v")).sorted().toList());
        }
        DeltaTableWriter writer = DeltaTableWriter.open(DeltaEngines.forWarehouse(warehouse.toString(),
                EngineSettings.defaults().withFsync(false)), TableLocations.of(warehouse.toString(), "main", "public", "orders"),
                "p/public.orders", TABLE, WriterSettings.DEFAULT);
        return new Subject(new DeltaTableSink(writer, List.of(), ScdType.SCD_TYPE_1, "main.public.orders"),
                () -> writer.exists() ? writer.readAll().stream().map(r -> r[0] + "=" + r[1]).sorted().toList() : List.of());
    }

    static ChangeBatch.Rows rows(long lsn, RowChange... changes) {
        return new ChangeBatch.Rows(Lsn.of(lsn), Instant.ofEpochSecond(1_700_000_000L), lsn, 0, true, SCHEMA, List.of(changes));
    }

    static ChangeBatch.Rows insert(long lsn, long id, String v) {
        return rows(lsn, RowChange.insert(0, Row.of(id, v)));
    }

    static ChangeBatch.Truncate truncate(long lsn) {
        return new ChangeBatch.Truncate(Lsn.of(lsn), Instant.ofEpochSecond(1_700_000_000L), lsn, 0, true, 0, 16384, TABLE, false, false);
    }

    static ChangeBatch.Snapshot snapshotRows(int chunk, long... ids) {
        return new ChangeBatch.Snapshot("s1", Lsn.of(0x300), chunk, 0, true, SCHEMA,
                Stream.of(ids).flatMapToLong(java.util.Arrays::stream).mapToObj(id -> Row.of(id, "s" + id)).toList());
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "delta"})
    void aCommitRecordsItsLsnAndACommitAtOrBelowItIsSkipped(String kind) {
        Subject s = subject(kind);
        assertFalse(s.sink().exists());
        assertTrue(s.sink().commit(List.of(insert(0x100, 1, "a"), insert(0x100, 2, "b")), Lsn.of(0x100)).isPresent());
        assertTrue(s.sink().exists(), "created from the first ROWS batch");
        assertEquals(Lsn.of(0x100), s.sink().appliedLsn());
        assertTrue(s.sink().commit(List.of(insert(0x100, 3, "c")), Lsn.of(0x100)).isEmpty());
        assertTrue(s.sink().commit(List.of(insert(0x80, 3, "c")), Lsn.of(0x80)).isEmpty());
        assertEquals(List.of("1=a", "2=b"), s.rows().get());
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "delta"})
    void onlyTruncatesOfATableThatDoesNotExistChangeNothing(String kind) {
        Subject s = subject(kind);
        assertTrue(s.sink().commit(List.of(truncate(0x100)), Lsn.of(0x100)).isEmpty());
        assertFalse(s.sink().exists());
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "delta"})
    void aStagedTransactionIsInvisibleUntilItsOneCommit(String kind) {
        Subject s = subject(kind);
        s.sink().commit(List.of(insert(0x100, 1, "a")), Lsn.of(0x100));
        TableSink.Staged staged = s.sink().stage(Lsn.of(0x200));
        staged.round(List.of(insert(0x200, 2, "b")));
        staged.round(List.of(rows(0x200, RowChange.update(1, OldRowKind.NONE, null, Row.of(2L, "b2")))));
        assertEquals(List.of("1=a"), s.rows().get());
        assertEquals(Lsn.of(0x100), s.sink().appliedLsn());
        assertTrue(staged.commit(List.of(rows(0x200, RowChange.delete(2, OldRowKind.KEY, Row.of(1L, null))))).isPresent());
        assertEquals(List.of("2=b2"), s.rows().get());
        assertEquals(Lsn.of(0x200), s.sink().appliedLsn());

        TableSink.Staged replay = s.sink().stage(Lsn.of(0x200));
        replay.round(List.of(insert(0x200, 2, "b")));
        assertTrue(replay.commit(List.of()).isEmpty(), "a staged transaction already applied is skipped");
        assertEquals(List.of("2=b2"), s.rows().get());
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "delta"})
    void aReplacementClearsFailedAndKeepsTheAppliedLsnForTheReplay(String kind) {
        Subject s = subject(kind);
        s.sink().commit(List.of(insert(0x100, 1, "a")), Lsn.of(0x100));
        s.sink().markFailed("broken — run a full refresh");
        assertEquals("broken — run a full refresh", s.sink().failure());

        TableSink.Replacement replacement = s.sink().replace(SCHEMA, "s1", Lsn.of(0x300));
        replacement.write(0, snapshotRows(0, 7, 8));
        replacement.write(1, snapshotRows(1, 9));
        assertEquals(List.of("1=a"), s.rows().get(), "nothing visible before the commit");
        replacement.commit(List.of(0), 2);
        assertEquals(List.of("7=s7", "8=s8"), s.rows().get(), "only the reads it was told to publish");
        assertNull(s.sink().failure());
        assertEquals("s1", s.sink().snapshotId());
        assertEquals(Lsn.of(0x100), s.sink().appliedLsn());

        // The changes since BEGIN: the one before the TRUNCATE is dropped, the TRUNCATE itself not applied.
        assertTrue(s.sink().commitOverSnapshot(List.of(insert(0x310, 10, "x"), truncate(0x320), insert(0x330, 11, "y"),
                insert(0x340, 7, "s7")), Lsn.of(0x340)).isPresent());
        assertEquals(List.of("11=y", "7=s7", "8=s8"), s.rows().get());
        assertEquals(Lsn.of(0x340), s.sink().appliedLsn());
    }
}
