package dev.tideline.apply.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tideline.core.Lsn;
import dev.tideline.core.TableId;
import dev.tideline.core.schema.ColumnSchema;
import dev.tideline.core.schema.PgType;
import dev.tideline.core.schema.RelationSchema;
import dev.tideline.core.schema.ReplicaIdentity;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.TableLocations;
import io.delta.kernel.engine.Engine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tables whose key is one integer column, which {@link FileKeys} holds as a {@code long[]}: updates and deletes find
 * their rows with {@code int} and {@code bigint} keys, and a keyless one-column table holding a null falls back to
 * boxed values.
 */
class IntegerKeysTest {

    @TempDir
    Path warehouse;

    long lsn = 0x100;

    DeltaTableWriter writer(String name, RelationSchema schema) {
        Engine engine = DeltaEngines.forWarehouse(warehouse.toString(), EngineSettings.defaults());
        DeltaTableWriter w = DeltaTableWriter.open(engine, TableLocations.of(warehouse.toString(), "c", "s", name), "t/" + name,
                schema.table(), WriterSettings.DEFAULT);
        w.create(TableLayout.create(schema, List.of(), ScdType.SCD_TYPE_1));
        return w;
    }

    void upsert(DeltaTableWriter w, Object[]... rows) {
        List<RowOp> ops = new ArrayList<>();
        for (Object[] r : rows) {
            RowKey k = w.layout().keyOf(r);
            ops.add(RowOp.upsert(k, k, r, 0));
        }
        w.apply(w.layout(), ops, Lsn.of(lsn += 16)).orElseThrow();
    }

    void delete(DeltaTableWriter w, Object[]... rows) {
        List<RowOp> ops = new ArrayList<>();
        for (Object[] r : rows) {
            ops.add(RowOp.delete(w.layout().keyOf(r), 0));
        }
        w.apply(w.layout(), ops, Lsn.of(lsn += 16)).orElseThrow();
    }

    static List<String> sorted(List<Object[]> rows) {
        return rows.stream().map(Arrays::toString).sorted(Comparator.naturalOrder()).toList();
    }

    @Test
    void intAndBigintKeysFindTheRowsTheyUpdateAndDelete() {
        for (int type : new int[] {PgType.INT4, PgType.INT8}) {
            RelationSchema schema = new RelationSchema(1, TableId.of("public", "k" + type), ReplicaIdentity.DEFAULT, List.of(
                    new ColumnSchema("id", type, -1, true), new ColumnSchema("v", PgType.TEXT, -1, false)));
            DeltaTableWriter w = writer("k" + type, schema);
            List<Object[]> first = new ArrayList<>();
            for (int i = 20; i >= 1; i--) { // unsorted input: files are written sorted
                first.add(new Object[] {id(type, i), "a" + i});
            }
            upsert(w, first.toArray(Object[][]::new));
            upsert(w, new Object[] {id(type, 5), "b5"}, new Object[] {id(type, 17), "b17"}, new Object[] {id(type, 21), "b21"});
            delete(w, new Object[] {id(type, 1), null}, new Object[] {id(type, 17), null});
            upsert(w, new Object[] {id(type, 5), "c5"});

            List<String> expected = new ArrayList<>();
            for (int i = 2; i <= 21; i++) {
                if (i != 17) {
                    expected.add(Arrays.toString(new Object[] {id(type, i), i == 5 ? "c5" : i == 21 ? "b21" : "a" + i}));
                }
            }
            assertEquals(expected.stream().sorted().toList(), sorted(w.readAll()), "type " + type);
        }
    }

    @Test
    void aKeylessIntegerColumnWithANullFallsBackToBoxedKeys() {
        RelationSchema schema = new RelationSchema(2, TableId.of("public", "bag"), ReplicaIdentity.FULL, List.of(
                new ColumnSchema("n", PgType.INT4, -1, false)));
        DeltaTableWriter w = writer("bag", schema);
        upsert(w, new Object[] {2}, new Object[] {null}, new Object[] {1}, new Object[] {2});
        delete(w, new Object[] {2}, new Object[] {null});
        assertEquals(List.of("[1]", "[2]"), sorted(w.readAll()));
        delete(w, new Object[] {1});
        assertEquals(List.of("[2]"), sorted(w.readAll()));
    }

    static Object id(int type, int i) {
        return type == PgType.INT4 ? (Object) i : (Object) (long) i;
    }
}
