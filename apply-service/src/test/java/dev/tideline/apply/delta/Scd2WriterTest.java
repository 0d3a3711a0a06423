package dev.tideline.apply.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.change.ChangeEvent.OldRowKind;
import dev.tideline.core.change.Row;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.PgType;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import dev.tideline.core.wire.ChangeBatch;
import dev.tideline.core.wire.RowChange;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.TableLocations;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SCD type 2 history for a scripted sequence: each transaction closes the previous version at its commit time. */
class Scd2WriterTest {

    static final TableId T = TableId.of("public", "customers");
    static final RelationSchema S = new RelationSchema(1, T, ReplicaIdentity.DEFAULT, List.of(
            new ColumnSchema("id", PgType.INT4, -1, true), new ColumnSchema("city", PgType.TEXT, -1, false)));

    @TempDir
    Path warehouse;

    long lsn = 0x100;

    @Test
    void historyFollowsTheScriptedSequence() {
        DeltaTableWriter writer = DeltaTableWriter.open(DeltaEngines.forWarehouse(warehouse.toString(),
                        EngineSettings.defaults().withFsync(false)), TableLocations.of(warehouse.toString(), "c", "public", "customers"),
                "p/public.customers", T, WriterSettings.DEFAULT);
        writer.create(TableLayout.create(S, List.of(), ScdType.SCD_TYPE_2));
        long t1 = apply(writer, 1, RowChange.insert(0, Row.of(1, "Paris")), RowChange.insert(1, Row.of(2, "Rome")));
        // Two changes of key 1 in one transaction: one version, not two.
        long t2 = apply(writer, 2, RowChange.update(0, OldRowKind.NONE, null, Row.of(1, "Lyon")),
                RowChange.update(1, OldRowKind.NONE, null, Row.of(1, "Nice")));
        long t3 = apply(writer, 3, RowChange.delete(0, OldRowKind.KEY, Row.of(2, null)));
        long t4 = apply(writer, 4, RowChange.insert(0, Row.of(2, "Oslo")),
                RowChange.update(1, OldRowKind.KEY, Row.of(1, null), Row.of(10, "Nice")));

        List<List<Object>> rows = new ArrayList<>();
        for (Object[] r : writer.readAll()) {
            rows.add(Arrays.asList(r));
        }
        rows.sort(Comparator.comparing((List<Object> r) -> (Integer) r.get(0)).thenComparing(r -> (Long) r.get(2)));
        assertEquals(List.of(
                Arrays.asList(1, "Paris", t1, t2),
                Arrays.asList(1, "Nice", t2, t4),
                Arrays.asList(2, "Rome", t1, t3),
                Arrays.asList(2, "Oslo", t4, null),
                Arrays.asList(10, "Nice", t4, null)), rows);
    }

    private long apply(DeltaTableWriter writer, int second, RowChange... changes) {
        lsn += 0x10;
        Instant time = Instant.parse("2024-05-01T12:00:00Z").plusSeconds(second);
        ChangeBatch.Rows batch = new ChangeBatch.Rows(Lsn.of(lsn), time, second, 0, true, S, List.of(changes));
        List<RowOp> ops = new ArrayList<>();
        RowOps.add(batch, writer.layout().converter(S), ops);
        writer.apply(writer.layout(), ops, batch.commitLsn()).orElseThrow();
        return PostgresDeltaTypes.micros(time);
    }
}
