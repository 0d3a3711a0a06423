package dev.tideline.apply.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import dev.tideline.core.wire.ChangeBatch;
import dev.tideline.core.wire.RowChange;
import dev.tideline.delta.DeltaEngines;
import dev.tideline.delta.EngineSettings;
import dev.tideline.delta.TableLocations;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.TimestampType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * File statistics are read, compared and rewritten in the exact type of the key column, never
 * through a double (issue 11): a {@code numeric(20,0)} key beyond a double's precision, re-keyed,
 * updated and deleted, leaves no duplicate; {@code decimal(38,18)} extremes survive a deletion
 * vector's stats rewrite; text keys compare in the statistics' (UTF-8 byte) order.
 */
class ExactStatisticsTest {

    static final TableId IDS = TableId.of("public", "u64");
    /** {@code numeric(20,0)}: typmod = (precision << 16 | scale) + 4. */
    static final RelationSchema U64 = new RelationSchema(16390, IDS, ReplicaIdentity.DEFAULT, List.of(
            new ColumnSchema("id", PgType.NUMERIC, ((20 << 16) | 0) + 4, true),
            new ColumnSchema("v", PgType.TEXT, -1, false)));
    static final TableId BIG = TableId.of("public", "big");
    static final RelationSchema UNCONSTRAINED = new RelationSchema(16391, BIG, ReplicaIdentity.DEFAULT, List.of(
            new ColumnSchema("id", PgType.NUMERIC, -1, true),
            new ColumnSchema("amount", PgType.NUMERIC, -1, false)));
    static final TableId IDS_NUMERIC = TableId.of("public", "ids");
    static final RelationSchema U64_UNCONSTRAINED = new RelationSchema(16393, IDS_NUMERIC, ReplicaIdentity.DEFAULT, List.of(
            new ColumnSchema("id", PgType.NUMERIC, -1, true),
            new ColumnSchema("v", PgType.TEXT, -1, false)));
    static final TableId WORDS = TableId.of("public", "words");
    static final RelationSchema TEXT_KEY = new RelationSchema(16392, WORDS, ReplicaIdentity.DEFAULT, List.of(
            new ColumnSchema("id", PgType.TEXT, -1, true),
            new ColumnSchema("v", PgType.INT4, -1, false)));

    static final BigInteger BASE = new BigInteger("12345678901234567001");
    static final String EXTREME = "99999999999999999999.999999999999999999";

    @TempDir
    Path warehouse;
    long lsn = 0x1000;
    int ordinal;

    DeltaTableWriter open(TableId table, RelationSchema schema) {
        Engine engine = DeltaEngines.forWarehouse(warehouse.toString(), EngineSettings.defaults().withFsync(false));
        DeltaTableWriter writer = DeltaTableWriter.open(engine, TableLocations.of(warehouse.toString(), "main", "public", table.name()),
                "p1/public." + table.name(), table, WriterSettings.DEFAULT.withCompactAfterFiles(1000));
        writer.create(TableLayout.create(schema, List.of(), ScdType.SCD_TYPE_1));
        return writer;
    }

    void commit(DeltaTableWriter writer, RelationSchema schema, List<RowChange> changes) {
        lsn += 0x100;
        ChangeBatch.Rows batch = new ChangeBatch.Rows(Lsn.of(lsn), Instant.ofEpochSecond(1_700_000_000L + lsn), 7, 0, true, schema,
                changes);
        TableLayout layout = writer.layout().evolve(schema);
        List<RowOp> ops = new ArrayList<>();
        RowOps.add(batch, layout.converter(schema), ops);
        assertTrue(writer.apply(layout, ops, batch.commitLsn()).isPresent());
    }

    static BigDecimal u64(long offset) {
        return new BigDecimal(BASE.add(BigInteger.valueOf(offset)));
    }

    /** Every row of the table by key, failing on a key stored twice. */
    static Map<Object, Object> table(DeltaTableWriter writer) {
        Map<Object, Object> out = new HashMap<>();
        for (Object[] r : writer.readAll()) {
            assertTrue(!out.containsKey(r[0]), "key stored twice: " + r[0]);
            out.put(r[0], r[1]);
        }
        return out;
    }

    @Test
    void aNumeric20KeyBeyondDoublePrecisionIsUpdatedDeletedAndReKeyedWithoutDuplicates() {
        reKeyWorkload(open(IDS, U64), U64);
    }

    /** The same ids in an unconstrained numeric (decimal(38,18)): their statistics carry 18 decimals, which a double drops. */
    @Test
    void unsigned64IdsInAnUnconstrainedNumericKeyAreUpdatedDeletedAndReKeyedWithoutDuplicates() {
        reKeyWorkload(open(IDS_NUMERIC, U64_UNCONSTRAINED), U64_UNCONSTRAINED);
    }

    void reKeyWorkload(DeltaTableWriter writer, RelationSchema schema) {
        Map<Object, Object> model = new TreeMap<>();
        // 100 keys 2048 apart at most: all of them round to one or two doubles near 1.2345678901234567E19.
        // Two commits, so that two files share that rounded range.
        for (int part = 0; part < 2; part++) {
            List<RowChange> inserts = new ArrayList<>();
            for (int i = part * 50; i < part * 50 + 50; i++) {
                inserts.add(RowChange.insert(ordinal++, Row.of(u64(i), "v" + i)));
                model.put(u64(i), "v" + i);
            }
            commit(writer, schema, inserts);
        }
        // Updates, deletes and key changes, one commit each, as the workload did.
        commit(writer, schema, List.of(RowChange.update(ordinal++, OldRowKind.NONE, null, Row.of(u64(3), "updated")),
                RowChange.update(ordinal++, OldRowKind.NONE, null, Row.of(u64(77), "updated"))));
        model.put(u64(3), "updated");
        model.put(u64(77), "updated");
        commit(writer, schema, List.of(RowChange.delete(ordinal++, OldRowKind.KEY, Row.of(u64(10), null)),
                RowChange.delete(ordinal++, OldRowKind.KEY, Row.of(u64(60), null))));
        model.remove(u64(10));
        model.remove(u64(60));
        commit(writer, schema, List.of(RowChange.update(ordinal++, OldRowKind.KEY, Row.of(u64(20), null), Row.of(u64(1000), "rekeyed")),
                RowChange.update(ordinal++, OldRowKind.KEY, Row.of(u64(70), null), Row.of(u64(5), "rekeyed-onto-5"))));
        model.remove(u64(20));
        model.remove(u64(70));
        model.put(u64(1000), "rekeyed");
        model.put(u64(5), "rekeyed-onto-5");
        commit(writer, schema, List.of(RowChange.update(ordinal++, OldRowKind.NONE, null, Row.of(u64(1000), "again"))));
        model.put(u64(1000), "again");

        Map<Object, Object> actual = table(writer);
        assertEquals(model.size(), writer.readAll().size(), "row count");
        assertEquals(plain(model), plain(actual));
    }

    /** Keys as plain decimals (scale dropped), sorted, for comparing tables of different decimal scales. */
    static Map<String, Object> plain(Map<Object, Object> table) {
        Map<String, Object> out = new TreeMap<>();
        table.forEach((k, v) -> out.put(((BigDecimal) k).stripTrailingZeros().toPlainString(), v));
        return out;
    }

    @Test
    void unconstrainedNumericExtremesSurviveADeletionVectorStatsRewrite() throws Exception {
        DeltaTableWriter writer = open(BIG, UNCONSTRAINED);
        BigDecimal max = new BigDecimal(EXTREME);
        BigDecimal min = max.negate();
        commit(writer, UNCONSTRAINED, List.of(RowChange.insert(ordinal++, Row.of(min, min)),
                RowChange.insert(ordinal++, Row.of(BigDecimal.ZERO, BigDecimal.ONE)),
                RowChange.insert(ordinal++, Row.of(max, max))));
        // Updating the middle row gives the file a deletion vector: its stats are re-added, not tight.
        commit(writer, UNCONSTRAINED, List.of(RowChange.update(ordinal++, OldRowKind.NONE, null, Row.of(BigDecimal.ZERO, min))));
        JsonNode readded = DeltaLogFiles.actions(writer.tablePath(), writer.version()).stream()
                .filter(a -> a.path("add").has("deletionVector") && !a.path("add").path("deletionVector").isNull())
                .findFirst().orElseThrow().path("add");
        String stats = readded.path("stats").asText();
        assertTrue(stats.contains("-" + EXTREME) && stats.contains(EXTREME), "exact bounds kept: " + stats);
        assertTrue(stats.contains("\"tightBounds\":false"), stats);
        // The next commits read those stats back (pruning) and must neither fail nor miss the rows.
        commit(writer, UNCONSTRAINED, List.of(RowChange.update(ordinal++, OldRowKind.NONE, null, Row.of(max, BigDecimal.TEN)),
                RowChange.delete(ordinal++, OldRowKind.KEY, Row.of(min, null))));
        Map<Object, Object> actual = table(writer);
        assertEquals(2, actual.size(), actual.toString());
        assertEquals(0, BigDecimal.TEN.compareTo((BigDecimal) actual.get(max.setScale(18))));
        assertEquals(0, min.compareTo((BigDecimal) actual.get(BigDecimal.ZERO.setScale(18))));
    }

    @Test
    void textKeysCompareInTheStatisticsByteOrder() {
        DeltaTableWriter writer = open(WORDS, TEXT_KEY);
        // U+FFFD sorts before U+1F600 in UTF-8 (the Parquet statistics' order) but after it in UTF-16.
        String bmp = "\uFFFD";
        String astral = "\uD83D\uDE00";
        commit(writer, TEXT_KEY, List.of(RowChange.insert(ordinal++, Row.of(bmp, 1)), RowChange.insert(ordinal++, Row.of(astral, 2))));
        commit(writer, TEXT_KEY, List.of(RowChange.insert(ordinal++, Row.of("zzz", 3))));
        commit(writer, TEXT_KEY, List.of(RowChange.update(ordinal++, OldRowKind.NONE, null, Row.of(astral, 20)),
                RowChange.update(ordinal++, OldRowKind.NONE, null, Row.of(bmp, 10))));
        assertEquals(Map.of(bmp, 10, astral, 20, "zzz", 3), table(writer));
    }

    @Test
    void numberBoundsAreReadExactlyAndUnreadableOnesGiveNoBound() {
        FileStatistics stats = FileStatistics.parse(Optional.of("""
                {"numRecords":2,"minValues":{"a":12345678901234567001,"b":-99999999999999999999.999999999999999999,"t":"-4712-01-01T00:00:00.000Z",
                 "d":"NaN","x":1.0E20},"maxValues":{"a":12345678901234567100,"b":99999999999999999999.999999999999999999}}""")).orElseThrow();
        assertEquals(new BigDecimal("12345678901234567001"), stats.min("a", new DecimalType(20, 0)));
        assertEquals(new BigDecimal("12345678901234567100"), stats.max("a", new DecimalType(20, 0)));
        assertEquals(new BigDecimal("-" + EXTREME), stats.min("b", new DecimalType(38, 18)));
        assertEquals(Double.NaN, stats.min("d", DoubleType.DOUBLE));
        assertNull(stats.min("x", new DecimalType(38, 18)), "1E20 does not fit decimal(38,18): no bound rather than an error");
        assertTrue(((Long) stats.min("t", TimestampType.TIMESTAMP)) < 0);
    }

    @Test
    void decimalBoundsThatMayBeAnOlderWritersDoubleRoundingAreNotUsedInFilesWithADeletionVector() {
        String json = "{\"numRecords\":3,\"minValues\":{\"a\":12345678901234567000.000000000000000000,\"b\":1.50,"
                + "\"c\":12345678901234567001.000000000000000000},\"maxValues\":{},\"tightBounds\":false}";
        DecimalType type = new DecimalType(38, 18);
        FileStatistics rewritten = FileStatistics.parse(Optional.of(json), true).orElseThrow();
        assertNull(rewritten.min("a", type), "17 significant digits: possibly a rounded double");
        assertEquals(new BigDecimal("1.500000000000000000"), rewritten.min("b", type), "15 or fewer survive a double");
        assertEquals(new BigDecimal("12345678901234567001.000000000000000000"), rewritten.min("c", type), "20 cannot be a double");
        assertEquals(new BigDecimal("12345678901234567000.000000000000000000"),
                FileStatistics.parse(Optional.of(json), false).orElseThrow().min("a", type), "a file as first written is exact");
    }

    @Test
    void flippingTightBoundsKeepsEveryOtherCharacter() {
        String json = "{\"numRecords\":3,\"minValues\":{\"a\":0E-18,\"tightBounds\":true},\"maxValues\":{\"a\":1.50},"
                + "\"nullCount\":{\"a\":0},\"tightBounds\":true}";
        // Only the top-level field changes, not a column that happens to be called tightBounds.
        assertEquals(json.substring(0, json.length() - "true}".length()) + "false}", FileStatistics.withoutTightBounds(json));
        assertEquals("{\"numRecords\":3,\"minValues\":{\"a\":99999999999999999999.999999999999999999},\"tightBounds\":false}",
                FileStatistics.withoutTightBounds("{\"numRecords\":3,\"minValues\":{\"a\":99999999999999999999.999999999999999999}}"));
    }

    @Test
    void keysOrderAsTheStatisticsDo() {
        // Text by code point (UTF-8 byte order), as Parquet orders min/max.
        assertTrue(RowKey.compareValues("\uFFFD", "\uD83D\uDE00") < 0);
        assertTrue(RowKey.compareValues("a", "ab") < 0);
        // Numbers by exact value, whatever their class; decimals regardless of scale.
        assertEquals(0, RowKey.compareValues(new BigDecimal("1.10"), new BigDecimal("1.1")));
        assertTrue(RowKey.compareValues(new BigDecimal("12345678901234567001"), new BigDecimal("12345678901234567002")) < 0);
        assertTrue(RowKey.compareValues(Long.MAX_VALUE, new BigDecimal("9223372036854775808")) < 0);
        // Values of unrelated types are a bug, never ordered by their text ("10" < "9").
        assertThrows(IllegalArgumentException.class, () -> RowKey.compareValues("10", 9));
    }

    @Test
    void randomNumeric20WorkloadEqualsTheModel() {
        DeltaTableWriter writer = open(IDS, U64);
        Random random = new Random(11);
        Map<Object, Object> model = new TreeMap<>();
        for (int round = 0; round < 25; round++) {
            List<RowChange> changes = new ArrayList<>();
            Map<Object, Object> next = new TreeMap<>(model);
            for (int i = 0; i < 8; i++) {
                BigDecimal key = u64(random.nextInt(300));
                int op = random.nextInt(3);
                if (op == 0 || next.isEmpty()) {
                    if (next.containsKey(key)) {
                        continue;
                    }
                    changes.add(RowChange.insert(ordinal++, Row.of(key, "r" + round)));
                    next.put(key, "r" + round);
                } else {
                    BigDecimal existing = (BigDecimal) new ArrayList<>(next.keySet()).get(random.nextInt(next.size()));
                    if (op == 1) {
                        changes.add(RowChange.delete(ordinal++, OldRowKind.KEY, Row.of(existing, null)));
                        next.remove(existing);
                    } else if (!next.containsKey(key)) {
                        changes.add(RowChange.update(ordinal++, OldRowKind.KEY, Row.of(existing, null), Row.of(key, "k" + round)));
                        next.remove(existing);
                        next.put(key, "k" + round);
                    }
                }
            }
            if (!changes.isEmpty()) {
                commit(writer, U64, changes);
                model = next;
            }
        }
        assertEquals(model, new TreeMap<>(table(writer)));
    }
}
